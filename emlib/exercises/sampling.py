"""Lesson 01's check: drawing from a mixture by the generative story.

    check_sample(my_sample)   X (n, d) and z (n,) from weights, means, covariances, n and rng

A sample is random, so it is not compared entry by entry: the check asks for the shapes, the
same sample from the same seed and other ones from other seeds (labels drawn, not counted out),
nothing drawn from np.random's global state, and 20000 draws whose label frequencies and
per-component means and covariances lie within 5 standard errors of the truth.
"""
import numpy as np

from .cases import case, three_d_params
from .checking import Fail, array, fmt, run, values

GLOBAL_STATE = ("draw every random number from rng itself (rng.choice, rng.standard_normal), not from "
                "np.random: seeding or drawing from the global state changes everybody else's random numbers.")
COVARIANCE_MISTAKES = (
    (lambda S, L: S @ S.T, "x = mu + Sigma e has covariance Sigma Sigma^T, not Sigma: multiply e by the "
                           "Cholesky factor L = np.linalg.cholesky(Sigma) instead (Sigma = L L^T)."),
    (lambda S, L: L.T @ L, "this is the covariance of L^T e, not L e: with one point per row, X = mu + E @ L.T "
                           "(or np.einsum('nab,nb->na', L[z], E))."),
    (lambda S, L: np.eye(len(S)), "the covariance is the identity: multiply e by the Cholesky factor L of Sigma_j."),
)


def _same_state(a, b):
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


def _draw(call, weights, means, covariances, n, seed):
    """X, z from the learner's function with rng = default_rng(seed), checked; a Fail when it touched np.random."""
    state = np.random.get_state()
    try:
        got = call(weights=weights, means=means, covariances=covariances, n=n, rng=np.random.default_rng(seed))
    finally:
        changed = not _same_state(state, np.random.get_state())
        np.random.set_state(state)
    if changed:
        raise Fail("the call changed np.random's global state (np.random.seed, or a draw from np.random)",
                   GLOBAL_STATE)
    k, d = means.shape
    X, z = values(got, ("X", "z"), "return both the points and their components: `return X, z`.")
    if np.ndim(X) == 1 and np.ndim(z) == 2:
        raise Fail("the first value is 1-D and the second 2-D", "return them in the order X, z.")
    X = array(X, "X", (n, d), {(d, n): "X is transposed: one row per point."})
    z = array(z, "z", (n,))
    if not np.all(np.isfinite(X)):
        raise Fail(f"X contains {'NaN' if np.isnan(X).any() else 'infinite'} values",
                   "a NaN often comes from np.sqrt(Sigma), which takes square roots entry by entry (and of "
                   "negative covariances): the matrix square root you need is the Cholesky factor "
                   "L = np.linalg.cholesky(Sigma), with Sigma = L L^T.")
    if not np.all(z == np.round(z)):
        raise Fail("z should hold whole numbers, the component of each point")
    if z.min() >= 1 and z.max() == k:
        raise Fail(f"z runs from 1 to {k}", f"number the components from 0 to {k - 1}, as Python indexes them.")
    if z.min() < 0 or z.max() > k - 1:
        raise Fail(f"z has values from {int(z.min())} to {int(z.max())}, expected 0 to {k - 1}")
    return X, z.astype(int)


def _sample_shapes(call, weights, means, covariances, n):
    _draw(call, weights, means, covariances, n, 0)


def _sample_random(call, weights, means, covariances, n):
    X1, z1 = _draw(call, weights, means, covariances, n, 3)
    X2, z2 = _draw(call, weights, means, covariances, n, 3)
    if not (np.array_equal(X1, X2) and np.array_equal(z1, z2)):
        raise Fail("two calls with np.random.default_rng(3) gave different samples",
                   "draw every random number from rng (rng.choice, rng.standard_normal), not from np.random "
                   "or a generator of your own.")
    samples = [_draw(call, weights, means, covariances, n, seed) for seed in range(4, 9)]
    if np.array_equal(X1, samples[0][0]):
        raise Fail("rng = np.random.default_rng(3) and default_rng(4) gave the same sample",
                   "the function seems to ignore its rng argument: draw from rng itself.")
    counts = [np.bincount(z, minlength=len(weights)) for _, z in [(X1, z1), *samples]]
    if all(np.array_equal(c, counts[0]) for c in counts):
        raise Fail(f"with rng seeds 3 to 8 the numbers of points from each component are always "
                   f"{counts[0].tolist()}",
                   "the labels must be random draws, z = rng.choice(k, size=n, p=weights): counts fixed in "
                   "advance, such as round(n pi_j), give every sample the same proportions.")


def _sample_statistics(call, weights, means, covariances, n):
    """Label frequencies, and each component's sample mean and covariance, within 5 standard errors."""
    k, d = means.shape
    X, z = _draw(call, weights, means, covariances, n, 0)
    freq = np.bincount(z, minlength=k) / n
    se = np.sqrt(weights * (1 - weights) / n)
    if np.any(np.abs(freq - weights) > 5 * se):
        uniform = np.all(np.abs(freq - 1 / k) < 5 * np.sqrt((1 / k) * (1 - 1 / k) / n))
        raise Fail(f"the fraction of points from each component is {fmt(freq)}, expected close to the "
                   f"weights {fmt(weights)}",
                   "the labels look uniform: draw them with the weights, rng.choice(k, size=n, p=weights)."
                   if uniform else "draw each z_i with probabilities pi: rng.choice(k, size=n, p=weights).")
    for j in range(k):
        points = X[z == j]
        S, L = covariances[j], np.linalg.cholesky(covariances[j])
        mean = points.mean(axis=0)
        if np.any(np.abs(mean - means[j]) > 5 * np.sqrt(np.diag(S) / len(points))):
            raise Fail(f"the points with z = {j} have mean {fmt(mean)}, expected close to mu_{j} = {fmt(means[j])}",
                       "each x_i must be drawn from the component z_i names: x_i = mu_{z_i} + L_{z_i} e_i.")
        cov = np.cov(points, rowvar=False)
        sd = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S ** 2) / len(points))
        if np.any(np.abs(cov - S) > 5 * sd):
            hint = next((h for f, h in COVARIANCE_MISTAKES
                         if np.linalg.norm(cov - f(S, L)) < 0.05 * np.linalg.norm(f(S, L))), None)
            raise Fail([f"the points with z = {j} have covariance {fmt(cov)},",
                        f"expected close to Sigma_{j} = {fmt(S)}"], hint)


def check_sample(fn):
    """Check my_sample(weights, means, covariances, n, rng) -> X (n, d), z (n,): the generative story.

    z_i ~ Categorical(pi),   x_i = mu_{z_i} + L_{z_i} e_i,   e_i ~ N(0, I),   Sigma_j = L_j L_j^T

    Cases: the shapes (two components in 3-D); the same rng seed gives the same sample, other seeds
    other samples with other label counts; 20000 points from three rotated, stretched components,
    whose label frequencies and per-component means and covariances must lie within 5 standard
    errors of the truth.  Every call must leave np.random's global state alone.  Prints a verdict,
    returns True when every case passes.
    """
    weights, means, covariances = three_d_params()
    rotated = dict(weights=np.array([0.5, 0.3, 0.2]), means=np.array([[0.0, 0.0], [4.0, 3.0], [-3.0, 4.0]]),
                   covariances=np.array([[[2.0, 1.2], [1.2, 1.0]], [[0.5, -0.3], [-0.3, 1.5]],
                                         [[1.0, 0.0], [0.0, 0.2]]]))
    small = dict(weights=weights[:2] / weights[:2].sum(), means=means[:2], covariances=covariances[:2])
    return run(fn, [
        case("shapes: two components in 3-D", _sample_shapes, n=7, **small),
        case("random: the same rng seed gives the same sample, other seeds other ones", _sample_random, n=50,
             **rotated),
        case("three rotated, stretched components, weights 0.5, 0.3, 0.2", _sample_statistics, n=20000, **rotated),
    ])
