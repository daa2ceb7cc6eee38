"""Checks for the notebooks' "write it yourself" exercises: run your function, get a verdict.

    check_sample(my_sample)                  01: draw X (n, d) and z (n,) from a mixture
    check_e_step(my_e_step)                  02: responsibilities gamma (n, k)
    check_log_likelihood(my_log_likelihood)  02: log p(X | theta), a float
    check_m_step(my_m_step)                  03: weights, means, covariances from gamma
    check_em_iteration(my_em_iteration)      04: one E-step and one M-step
    check_bic(my_bic)                        07: -2 log p(X | theta) + p log n

Your functions take and return plain numpy arrays (weights (k,), means (k, d), covariances
(k, d, d), X (n, d)), not emlib.GMM.  Each check runs your function on a few cases, from easy
to hard (identity covariances first, then rotated and stretched ones, then points far from every
component), compares it with emlib's own implementation, and prints which case fails, what was
expected and what came back (rounded to 4 decimals), and a hint when the result looks like a
mistake it knows.  It returns True when every case passes, False otherwise.

A function that still raises NotImplementedError gets "not implemented yet"; one that raises
any other exception gets a verdict naming the exception and the case, without a traceback.
"""
from itertools import combinations
import warnings

import numpy as np
from scipy.special import logsumexp

from .data import sample, seed_data, seed_initial_params, seed_true_params
from .em import LOG_2PI, CollapseError, e_step, log_densities, log_likelihood, m_step
from .gmm import GMM
from .selection import bic, n_parameters

__all__ = ["check_sample", "check_e_step", "check_log_likelihood", "check_m_step", "check_em_iteration",
           "check_bic"]

#: Below this, exp() underflows to 0 in double precision: a naive density is exactly 0 there.
UNDERFLOW = np.log(np.finfo(float).tiny)


# ----------------------------------------------------------------------------------------
# Running a learner's function and reporting
# ----------------------------------------------------------------------------------------
class _NotYet(Exception):
    """The learner's function raised NotImplementedError."""


class _Raised(Exception):
    """The learner's function raised another exception."""


class _Fail(Exception):
    """A case does not pass: what differs (detail) and, when recognised, why (hint)."""

    def __init__(self, detail, hint=None):
        super().__init__(detail)
        self.detail = detail
        self.hint = hint


class _Case:
    def __init__(self, title, evaluate, **data):
        self.title = title
        self.evaluate = evaluate
        self.data = data


def _a(value):
    """'a list', 'an ndarray': the type of value with its article."""
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' or name == 'ndarray' else 'a'} {name}"


def _name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


def _caller(fn):
    """call(*args): fn on copies of the arguments, without numpy's warnings; errors become _NotYet/_Raised."""
    def call(*args):
        args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return fn(*args)
        except NotImplementedError as err:
            raise _NotYet(str(err)) from None
        except Exception as err:  # the learner's bug, reported as a verdict, not a traceback
            raise _Raised(f"{type(err).__name__}: {_one_line(str(err))}") from None
    return call


def _one_line(text, limit=160):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _run(fn, cases):
    """Run the cases in order, stop at the first that does not pass, print the verdict."""
    name = _name(fn)
    if not callable(fn):
        print(f"Pass your function itself, e.g. check(my_function), not {_a(fn)}.")
        return False
    call = _caller(fn)
    lines = []
    for number, case in enumerate(cases, 1):
        try:
            case.evaluate(call, **case.data)
        except _NotYet as err:
            message = str(err) or f"{name} still raises NotImplementedError"
            print(f"{name}: not implemented yet: {message}")
            print("Replace the `raise NotImplementedError(...)` line with your code, run that cell, then this one.")
            return False
        except (_Raised, _Fail) as err:
            print(f"{name}: not yet, case {number} of {len(cases)} does not pass.")
            print("\n".join(lines + [f"  ✗ {number}. {case.title}"]))
            if isinstance(err, _Raised):
                print(f"     {name} raised {err}")
            else:
                print(f"     {err.detail}")
                if err.hint:
                    print(f"     Hint: {err.hint[0].upper()}{err.hint[1:]}")
            return False
        lines.append(f"  ✓ {number}. {case.title}")
    print(f"{name}: {'both' if len(cases) == 2 else f'all {len(cases)}'} cases pass. Well done!")
    print("\n".join(lines))
    return True


# ----------------------------------------------------------------------------------------
# Formatting and comparing
# ----------------------------------------------------------------------------------------
def _fmt(value):
    """Rounded to 4 decimals, the same text on every machine and numpy version (no -0.0000)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        v = float(arr)
        return f"{round(v, 4) + 0.0:.4f}" if np.isfinite(v) else str(v)
    return "[" + ", ".join(_fmt(a) for a in arr) + "]"


def _close(got, expected, rtol=1e-6, atol=1e-8):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _array(value, what, shape, shape_hints=None):
    """value as a float array of the given shape, or a _Fail that says what came back instead."""
    if value is None:
        raise _Fail(f"{what} is None", "is a `return` line missing?")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _Fail(f"{what} should be an array of numbers, but is {_a(value)}") from None
    if arr.shape != shape:
        raise _Fail(f"{what} has shape {arr.shape}, expected {shape}", (shape_hints or {}).get(arr.shape))
    return arr


def _returned(got, line):
    """A _Fail when the function returned None; line is what it should end with, e.g. "`return X, z`"."""
    if got is None:
        raise _Fail("the function returned None", f"end it with {line}.")


def _values(got, names, hint=None):
    """The len(names) values a function returned as a tuple or list, or a _Fail saying what came back
    instead; hint defaults to "end it with `return <names>`"."""
    line = f"`return {', '.join(names)}`"
    _returned(got, line)
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        what = f"{len(got)} values" if isinstance(got, (tuple, list)) else _a(got)
        listed = " and ".join(names) if len(names) == 2 else ", ".join(names)
        raise _Fail(f"expected {['two', 'three'][len(names) - 2]} values back ({listed}), got {what}",
                    hint or f"end it with {line}.")
    return tuple(got)


def _three(got):
    """(weights, means, covariances) from a tuple or list of three, or from anything with those attributes."""
    names = ("weights", "means", "covariances")
    if all(hasattr(got, a) for a in names):
        return tuple(getattr(got, a) for a in names)
    return _values(got, names)


def _first_differing(got, expected, rtol=1e-6, atol=1e-8):
    """Index of the first row (along axis 0) where got and expected differ."""
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    return int(np.flatnonzero(bad.reshape(len(bad), -1).any(axis=1))[0])


# ----------------------------------------------------------------------------------------
# The mixture's log densities, right and with the classic mistakes (the diagnoses compare with these)
# ----------------------------------------------------------------------------------------
#: flag -> what a function that gets it wrong does, said as a hint.
DENSITY_MISTAKES = {
    "inverse": "It looks as if Sigma_j is used where its inverse belongs: the Mahalanobis term is "
               "(x - mu_j)^T Sigma_j^{-1} (x - mu_j) (solve with the Cholesky factor or np.linalg.solve). "
               "Identity covariances hide this mistake; rotated, stretched ones show it.",
    "log_det": "It looks as if log|Sigma_j| is missing (the 1 / |Sigma_j|^(1/2) in front of the "
               "exponential): with unequal covariances it does not cancel between components.",
    "half": "It looks as if the factor 1/2 is missing: the exponent is -1/2 (x - mu_j)^T Sigma_j^{-1} (x - mu_j).",
    "weights": "It looks as if the weights are missing: multiply each density by pi_j (add log pi_j in log space).",
    "constant": "It looks as if the constant d log(2 pi) is missing from log N(x | mu, Sigma): "
                "it cancels in the responsibilities but not in the log-likelihood.",
}


def _log_joint(X, params):
    """a[i, j] = log pi_j + log N(x_i | mu_j, Sigma_j), (n, k): emlib's reference."""
    return log_densities(X, params) + np.log(params.weights)


def _wrong_log_joint(X, weights, means, covariances, wrong):
    """a[i, j] = log pi_j + log N(x_i | mu_j, Sigma_j), (n, k), with the mistakes (DENSITY_MISTAKES keys)
    named in `wrong`: a learner's variants, to recognise, never the reference."""
    n, d = X.shape
    a = np.empty((n, len(weights)))
    for j, (w, mu, S) in enumerate(zip(weights, means, covariances)):
        diff = X - mu
        M = S if "inverse" in wrong else np.linalg.inv(S)
        quad = np.einsum("na,ab,nb->n", diff, M, diff)
        log_w = -np.log(len(weights)) if "weights" in wrong else np.log(w)
        a[:, j] = (log_w - (1.0 if "half" in wrong else 0.5) * quad
                   - 0.5 * (0.0 if "log_det" in wrong else np.linalg.slogdet(S)[1])
                   - 0.5 * (0.0 if "constant" in wrong else d * LOG_2PI))
    return a


def _softmax(a):
    return np.exp(a - logsumexp(a, axis=1, keepdims=True))


def _mistakes(flags, matches):
    """The smallest combination of mistakes (from flags) for which matches(combination) is True."""
    for size in range(1, len(flags) + 1):
        for combo in combinations(flags, size):
            try:
                with np.errstate(all="ignore"):
                    if matches(combo):
                        return combo
            except (ValueError, np.linalg.LinAlgError):
                continue
    return None


def _mistake_hint(combo):
    return " And ".join(DENSITY_MISTAKES[flag] for flag in combo)


LOG_SUM_EXP = ("Far from every component each pi_j N(x | mu_j, Sigma_j) underflows to exactly 0, so the "
               "naive formula divides 0 by 0 (or takes log 0). Work with a_ij = log pi_j + log N(x_i | mu_j, "
               "Sigma_j) and normalise with log-sum-exp (scipy.special.logsumexp), as in 'Why log space'.")


# ----------------------------------------------------------------------------------------
# The cases (deterministic: fixed numbers or fixed seeds)
# ----------------------------------------------------------------------------------------
def _arrays(params):
    """A GMM as the plain (writeable) arrays the learner's functions take."""
    return dict(weights=np.array(params.weights), means=np.array(params.means),
                covariances=np.array(params.covariances))


def _seed_case():
    return dict(X=seed_data()[0], **_arrays(seed_initial_params()))


def _rotated_case():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0], [-1.0, 1.0], [1.5, -0.5], [2.0, 2.0], [0.5, -1.0]])
    return dict(X=X, weights=np.array([0.7, 0.3]), means=np.array([[0.0, 0.0], [2.5, 1.0]]),
                covariances=np.array([[[2.0, 1.2], [1.2, 1.0]], [[0.5, -0.3], [-0.3, 1.5]]]))


def _three_d_params():
    A = np.array([[[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.3, 0.2, 0.5]],
                  [[0.7, 0.0, 0.0], [-0.2, 1.1, 0.0], [0.4, 0.3, 0.9]],
                  [[1.3, 0.0, 0.0], [0.5, 0.4, 0.0], [0.1, -0.6, 0.8]]])
    return (np.array([0.2, 0.5, 0.3]), np.array([[0.0, 0.0, 0.0], [1.5, -1.0, 0.5], [-1.0, 1.0, 2.0]]),
            A @ A.transpose(0, 2, 1))


def _three_d_case():
    weights, means, covariances = _three_d_params()
    X, _ = sample(GMM(weights, means, covariances), 12, np.random.default_rng(3))
    return dict(X=X, weights=weights, means=means, covariances=covariances)


def _far_case():
    case = _seed_case()
    case["X"] = np.array([[40.0, 40.0], [5.0, 5.0], [-40.0, 30.0], [1.0, 1.0], [8.0, 1.0]])
    return case


DENSITY_CASES = (
    ("the seed's data at its starting point (identity covariances, equal weights)", _seed_case),
    ("two rotated, stretched components with unequal weights", _rotated_case),
    ("three components in 3-D", _three_d_case),
    ("points far from every component, such as (40, 40)", _far_case),
)


def _far_rows(X, params):
    """Rows whose every pi_j N(x_i | mu_j, Sigma_j) underflows to 0 in double precision."""
    return _log_joint(X, params).max(axis=1) < UNDERFLOW


# ----------------------------------------------------------------------------------------
# 01: sampling
# ----------------------------------------------------------------------------------------
def _sample_result(got, n, d, k):
    X, z = _values(got, ("X", "z"), "return both the points and their components: `return X, z`.")
    if np.ndim(X) == 1 and np.ndim(z) == 2:
        raise _Fail("the first value is 1-D and the second 2-D", "return them in the order X, z.")
    X = _array(X, "X", (n, d), {(d, n): "X is transposed: one row per point."})
    z = _array(z, "z", (n,))
    if not np.all(np.isfinite(X)):
        raise _Fail(f"X contains {'NaN' if np.isnan(X).any() else 'infinite'} values",
                    "a NaN often comes from np.sqrt(Sigma), which takes square roots entry by entry (and of "
                    "negative covariances): the matrix square root you need is the Cholesky factor "
                    "L = np.linalg.cholesky(Sigma), with Sigma = L L^T.")
    if not np.all(z == np.round(z)):
        raise _Fail("z should hold whole numbers, the component of each point")
    if z.min() >= 1 and z.max() == k:
        raise _Fail(f"z runs from 1 to {k}", f"number the components from 0 to {k - 1}, as Python indexes them.")
    if z.min() < 0 or z.max() > k - 1:
        raise _Fail(f"z has values from {int(z.min())} to {int(z.max())}, expected 0 to {k - 1}")
    return X, z.astype(int)


def _sample_shapes(call, weights, means, covariances, n):
    _sample_result(call(weights, means, covariances, n, np.random.default_rng(0)), n, means.shape[1], len(weights))


def _sample_reproducible(call, weights, means, covariances, n):
    d, k = means.shape[1], len(weights)
    X1, z1 = _sample_result(call(weights, means, covariances, n, np.random.default_rng(3)), n, d, k)
    X2, z2 = _sample_result(call(weights, means, covariances, n, np.random.default_rng(3)), n, d, k)
    if not (np.array_equal(X1, X2) and np.array_equal(z1, z2)):
        raise _Fail("two calls with np.random.default_rng(3) gave different samples",
                    "draw every random number from rng (rng.choice, rng.standard_normal), not from np.random.")
    X3, _ = _sample_result(call(weights, means, covariances, n, np.random.default_rng(4)), n, d, k)
    if np.array_equal(X1, X3):
        raise _Fail("rng = np.random.default_rng(3) and default_rng(4) gave the same sample",
                    "the function seems to ignore its rng argument: draw from rng itself.")


COVARIANCE_MISTAKES = (
    (lambda S, L: S @ S.T, "x = mu + Sigma e has covariance Sigma Sigma^T, not Sigma: multiply e by the "
                           "Cholesky factor L = np.linalg.cholesky(Sigma) instead (Sigma = L L^T)."),
    (lambda S, L: L.T @ L, "this is the covariance of L^T e, not L e: with one point per row, X = mu + E @ L.T "
                           "(or np.einsum('nab,nb->na', L[z], E))."),
    (lambda S, L: np.eye(len(S)), "the covariance is the identity: multiply e by the Cholesky factor L of Sigma_j."),
)


def _sample_statistics(call, weights, means, covariances, n):
    """Label frequencies, and each component's sample mean and covariance, within 5 standard errors."""
    k, d = means.shape
    X, z = _sample_result(call(weights, means, covariances, n, np.random.default_rng(0)), n, d, k)
    freq = np.bincount(z, minlength=k) / n
    se = np.sqrt(weights * (1 - weights) / n)
    if np.any(np.abs(freq - weights) > 5 * se):
        uniform = np.all(np.abs(freq - 1 / k) < 5 * np.sqrt((1 / k) * (1 - 1 / k) / n))
        raise _Fail(f"the fraction of points from each component is {_fmt(freq)}, expected close to the "
                    f"weights {_fmt(weights)}",
                    "the labels look uniform: draw them with the weights, rng.choice(k, size=n, p=weights)."
                    if uniform else "draw each z_i with probabilities pi: rng.choice(k, size=n, p=weights).")
    for j in range(k):
        points = X[z == j]
        S, L = covariances[j], np.linalg.cholesky(covariances[j])
        mean = points.mean(axis=0)
        if np.any(np.abs(mean - means[j]) > 5 * np.sqrt(np.diag(S) / len(points))):
            raise _Fail(f"the points with z = {j} have mean {_fmt(mean)}, expected close to mu_{j} = {_fmt(means[j])}",
                        "each x_i must be drawn from the component z_i names: x_i = mu_{z_i} + L_{z_i} e_i.")
        cov = np.cov(points, rowvar=False)
        sd = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S ** 2) / len(points))
        if np.any(np.abs(cov - S) > 5 * sd):
            hint = next((h for f, h in COVARIANCE_MISTAKES
                         if np.linalg.norm(cov - f(S, L)) < 0.05 * np.linalg.norm(f(S, L))), None)
            raise _Fail(f"the points with z = {j} have covariance {_fmt(cov)}, expected close to "
                        f"Sigma_{j} = {_fmt(S)}", hint)


def check_sample(fn):
    """Check my_sample(weights, means, covariances, n, rng) -> X (n, d), z (n,): the generative story.

    z_i ~ Categorical(pi),   x_i = mu_{z_i} + L_{z_i} e_i,   e_i ~ N(0, I),   Sigma_j = L_j L_j^T

    Cases: the shapes (two components in 3-D); the same rng seed gives the same sample and
    another seed another; 20000 points from three rotated, stretched components, whose label
    frequencies and per-component means and covariances must lie within 5 standard errors of the
    truth.  Prints a verdict, returns True when every case passes.
    """
    weights, means, covariances = _three_d_params()
    rotated = dict(weights=np.array([0.5, 0.3, 0.2]), means=np.array([[0.0, 0.0], [4.0, 3.0], [-3.0, 4.0]]),
                   covariances=np.array([[[2.0, 1.2], [1.2, 1.0]], [[0.5, -0.3], [-0.3, 1.5]],
                                         [[1.0, 0.0], [0.0, 0.2]]]))
    small = dict(weights=weights[:2] / weights[:2].sum(), means=means[:2], covariances=covariances[:2])
    return _run(fn, [
        _Case("shapes: 7 points from two components in 3-D", _sample_shapes, n=7, **small),
        _Case("the same rng seed gives the same sample", _sample_reproducible, n=50, **rotated),
        _Case("20000 points from three rotated, stretched components, weights 0.5, 0.3, 0.2",
              _sample_statistics, n=20000, **rotated),
    ])


# ----------------------------------------------------------------------------------------
# 02: the E-step and the log-likelihood
# ----------------------------------------------------------------------------------------
def _e_step_case(call, X, weights, means, covariances):
    n, k = len(X), len(weights)
    got = _array(call(X, weights, means, covariances), "the result", (n, k), {
        (k, n): f"the result is transposed: one row per point, one column per component, shape (n, k) = ({n}, {k}).",
    })
    params = GMM(weights, means, covariances)
    expected = e_step(X, params)[0]
    far = _far_rows(X, params)
    bad = ~np.isfinite(got).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _Fail(f"point {i} at {_fmt(X[i])}: expected {_fmt(expected[i])}, got {_fmt(got[i])}",
                    LOG_SUM_EXP if far[i]
                    else "a NaN comes from 0/0, inf - inf or the log of a negative number.")
    if _close(got, expected, atol=1e-7):
        return
    i = _first_differing(got, expected, atol=1e-7)
    rows_sum_to_one = np.allclose(got.sum(axis=1), 1)
    if not rows_sum_to_one and np.allclose(got.sum(axis=0), 1):
        hint = ("each column sums to 1, so the normalisation runs over the points: divide each row by its own sum "
                "(sum over the components j, axis=1, with keepdims=True), so that each row sums to 1.")
    elif not rows_sum_to_one and _close(got, np.exp(_log_joint(X, params)), atol=1e-12):
        hint = "these are pi_j N(x_i | mu_j, Sigma_j): divide each row by its sum, the mixture density p(x_i)."
    else:
        combo = _mistakes(("inverse", "log_det", "half", "weights"),
                          lambda c: _close(got, _softmax(_wrong_log_joint(X, weights, means, covariances, c)),
                                           atol=1e-7))
        hint = (_mistake_hint(combo) if combo else
                LOG_SUM_EXP if far[i] else
                None if rows_sum_to_one else "each row of gamma should sum to 1.")
    raise _Fail(f"point {i} at {_fmt(X[i])}: expected {_fmt(expected[i])}, got {_fmt(got[i])}", hint)


def check_e_step(fn):
    """Check my_e_step(X, weights, means, covariances) -> gamma (n, k) against emlib.e_step.

    gamma[i, j] = pi_j N(x_i | mu_j, Sigma_j) / sum_l pi_l N(x_i | mu_l, Sigma_l)   (the E-step)

    Cases: the seed's data at its start (identity covariances); two rotated, stretched components
    with unequal weights; three components in 3-D; points far from every component.  Recognises
    Sigma where Sigma^{-1} belongs, a missing log-determinant, a missing 1/2 or missing weights,
    normalising over the wrong axis, and underflow (NaN rows: use log-sum-exp).
    Prints a verdict, returns True when every case passes.
    """
    return _run(fn, [_Case(title, _e_step_case, **make()) for title, make in DENSITY_CASES])


def _seed_formula(X, params):
    """The seed script's stopping quantity: sum_i log sum_j gamma_ij pi_j (not the log-likelihood)."""
    gamma = e_step(X, params)[0]
    return float(np.log(gamma @ params.weights).sum())


def _log_likelihood_case(call, X, weights, means, covariances):
    n = len(X)
    got = call(X, weights, means, covariances)
    params = GMM(weights, means, covariances)
    expected = log_likelihood(X, params)
    _returned(got, "`return` and the total log-likelihood")
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise _Fail(f"expected one number, got {_a(got)}") from None
    if arr.size == n and n > 1 and np.isclose(arr.sum(), expected, rtol=1e-7):
        raise _Fail(f"expected one number, got an array of shape {arr.shape}",
                    "these are the log-likelihoods of the single points: return their sum.")
    if arr.size != 1:
        raise _Fail(f"expected one number (the total log-likelihood), got an array of shape {arr.shape}")
    value = float(arr.ravel()[0])
    far = _far_rows(X, params).any()
    if not np.isfinite(value):
        raise _Fail(f"expected {_fmt(expected)}, got {value}",
                    LOG_SUM_EXP if far
                    else "a NaN comes from 0/0, inf - inf or the log of a negative number.")
    if np.isclose(value, expected, rtol=1e-7, atol=1e-6):
        return
    same = lambda other: np.isclose(value, other, rtol=1e-7, atol=1e-6)  # noqa: E731
    if same(_seed_formula(X, params)):
        hint = ("this is the seed script's quantity sum_i log sum_j gamma_ij pi_j, not the log-likelihood "
                "sum_i log sum_j pi_j N(x_i | mu_j, Sigma_j): the densities belong inside the sum (notebook 05).")
    elif same(expected / n):
        hint = f"this is the mean over the {n} points: the log-likelihood is their sum."
    elif same(-expected):
        hint = "the sign is flipped: the log-likelihood of these data is negative."
    else:
        combo = _mistakes(("inverse", "log_det", "half", "weights", "constant"),
                          lambda c: same(logsumexp(_wrong_log_joint(X, weights, means, covariances, c),
                                                   axis=1).sum()))
        hint = _mistake_hint(combo) if combo else LOG_SUM_EXP if far else None
    raise _Fail(f"expected {_fmt(expected)}, got {_fmt(value)}", hint)


def check_log_likelihood(fn):
    """Check my_log_likelihood(X, weights, means, covariances) -> float against emlib.log_likelihood.

    log p(X | theta) = sum_i log sum_j pi_j N(x_i | mu_j, Sigma_j)        (a sum over points)

    Cases: as for check_e_step.  Recognises the seed's quantity sum_i log sum_j gamma_ij pi_j, a mean
    instead of a sum, per-point values not summed, -inf from underflow far from every component,
    and the density mistakes (inverse, log-determinant, 1/2, weights, the d log 2 pi constant).
    Prints a verdict, returns True when every case passes.
    """
    return _run(fn, [_Case(title, _log_likelihood_case, **make()) for title, make in DENSITY_CASES])


# ----------------------------------------------------------------------------------------
# 03: the M-step
# ----------------------------------------------------------------------------------------
def _centred_elsewhere(got, expected):
    """True when every got_j - expected_j is c_j c_j^T (rank one, >= 0) and one is not zero:
    sum_i gamma_ij (x_i - c)(x_i - c)^T / N_j = Sigma_j + (mu_j - c)(mu_j - c)^T for any centre c."""
    found = False
    for g, e in zip(got, expected):
        values = np.linalg.eigvalsh(0.5 * ((g - e) + (g - e).T))
        tol = 1e-7 * max(1.0, np.abs(e).max())
        if values.min() < -tol or np.sum(values > tol) > 1:
            return False
        found = found or values.max() > tol
    return found


def _check_m_step_result(X, resp, got, old_means=None):
    """Compare (weights, means, covariances) with emlib.m_step(X, resp); a _Fail names the first that differs."""
    n, d = X.shape
    k = resp.shape[1]
    N = resp.sum(axis=0)
    ref = m_step(X, resp)
    weights, means, covariances = _three(got)

    weights = _array(weights, "weights", (k,))
    if not _close(weights, ref.weights):
        hint = ("these are N_j, the effective numbers of points: divide by n so that the weights sum to 1."
                if _close(weights, N) else
                "the weights are pi_j = N_j / n, the average responsibility of component j, not 1/k."
                if _close(weights, np.full(k, 1 / k)) else
                f"the weights should sum to 1; yours sum to {_fmt(weights.sum())}."
                if not np.isclose(weights.sum(), 1) else None)
        raise _Fail(f"weights: expected {_fmt(ref.weights)}, got {_fmt(weights)}", hint)

    means = _array(means, "means", (k, d), {(d, k): "the means are transposed: one row per component, shape (k, d)."})
    if not _close(means, ref.means):
        hint = ("the means are transposed: one row per component (resp.T @ X, not X.T @ resp)."
                if _close(means.T, ref.means) else
                "these are sum_i gamma_ij x_i: divide by N_j to get the weighted mean."
                if _close(means, resp.T @ X) else
                "divide by N_j, the effective number of points of component j, not by n."
                if _close(means, resp.T @ X / n) else
                "this is the mean of all the data: weight each point by gamma_ij."
                if _close(means, np.broadcast_to(X.mean(axis=0), (k, d))) else None)
        j = _first_differing(means, ref.means)
        raise _Fail(f"means[{j}]: expected {_fmt(ref.means[j])}, got {_fmt(means[j])}", hint)

    covariances = _array(covariances, "covariances", (k, d, d), {
        (k, n, n): "each covariance is (d, d): sum_i gamma_ij (x_i - mu_j)(x_i - mu_j)^T is diff.T @ (gamma * diff), "
                   "not diff @ diff.T, which is (n, n).",
        (d, d, k): "the components are stacked along the last axis: covariances[j] must be component j's "
                   "(d, d) matrix.",
        (k,): "each covariance is a (d, d) matrix: the outer product (x - mu)(x - mu)^T, not the inner product.",
        (k, d): "these look like variances only: each covariance is a full (d, d) matrix.",
    })
    expected = ref.covariances
    if _close(covariances, expected):
        return
    if not np.all(np.isfinite(covariances)):
        j = int(np.flatnonzero(~np.isfinite(covariances).reshape(k, -1).all(axis=1))[0])
        raise _Fail(f"covariances[{j}]: expected {_fmt(expected[j])}, got {_fmt(covariances[j])}",
                    "a NaN comes from 0/0, inf - inf or the log of a negative number.")
    around = lambda centres: np.array([(resp[:, j, None] * (X - c)).T @ (X - c) / N[j]  # noqa: E731
                                       for j, c in enumerate(centres)])
    if any(_close(covariances.transpose(p), expected) for p in ((1, 2, 0), (2, 0, 1), (1, 0, 2), (2, 1, 0))):
        hint = "the components are stacked along the wrong axis: covariances[j] must be component j's (d, d) matrix."
    elif not np.allclose(covariances, covariances.transpose(0, 2, 1), rtol=1e-6, atol=1e-8):
        hint = "the covariances are not symmetric: use the same centred points on both sides of the outer product."
    elif _close(covariances, expected * (N / n)[:, None, None]):
        hint = "divide by N_j, the effective number of points of component j, not by n."
    elif _close(covariances, expected * (N / (N - 1))[:, None, None]):
        hint = ("divide by N_j, not N_j - 1 (that is np.cov's unbiased estimate; the M-step is the "
                "maximum-likelihood one).")
    elif _close(covariances, expected * np.eye(d)):
        hint = "only the variances are there: a full covariance has the off-diagonal terms too."
    elif old_means is not None and _close(covariances, around(old_means)):
        hint = ("these are centred on the old means: the M-step for the covariances uses the new mu_j, "
                "computed just before from the same responsibilities.")
    elif _close(covariances, around(np.zeros((k, d)))):
        hint = "subtract the mean: Sigma_j sums gamma_ij (x_i - mu_j)(x_i - mu_j)^T, not gamma_ij x_i x_i^T."
    elif _close(covariances, around(np.broadcast_to(X.mean(axis=0), (k, d)))):
        hint = "these are centred on the mean of all the data: centre each component on its own new mean mu_j."
    elif _centred_elsewhere(covariances, expected):
        hint = ("these are centred on another point than the new mean mu_j (the old means, say): each is too "
                "large by (mu_j - c)(mu_j - c)^T. Centre on the mu_j you have just computed.")
    else:
        hint = None
    j = _first_differing(covariances, expected)
    raise _Fail(f"covariances[{j}]: expected {_fmt(expected[j])}, got {_fmt(covariances[j])}", hint)


def _m_step_case(call, X, resp):
    _check_m_step_result(X, resp, call(X, resp))


def _with_responsibilities(case):
    """X and the responsibilities under the case's parameters, the input of an M-step."""
    return dict(X=case["X"], resp=e_step(case["X"], GMM(case["weights"], case["means"], case["covariances"]))[0])


def check_m_step(fn):
    """Check my_m_step(X, resp) -> (weights, means, covariances) against emlib.m_step.

    N_j = sum_i gamma_ij,  pi_j = N_j / n,  mu_j = (1/N_j) sum_i gamma_ij x_i,
    Sigma_j = (1/N_j) sum_i gamma_ij (x_i - mu_j)(x_i - mu_j)^T              (the M-step)

    Cases: hard 0/1 responsibilities (each component one group); soft ones with k = d = 2 (so a
    transposed result has the right shape and is recognised); the seed's data at its start; random
    soft responsibilities in 3-D.  Recognises weights N_j instead of N_j / n, covariances divided by n
    or N_j - 1, centred on another point than the new means (the old means, the data mean, zero),
    transposed or wrongly stacked results.  Prints a verdict, returns True when every case passes.
    """
    hard_X = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 2.0], [4.0, 4.0], [5.0, 3.0], [6.0, 5.5],
                       [4.5, 6.0], [-2.0, 5.0], [-3.0, 4.0], [-2.5, 6.5]])
    hard = np.eye(3)[[0, 0, 0, 1, 1, 1, 1, 2, 2, 2]]
    three_d = _three_d_case()
    random_resp = np.random.default_rng(5).dirichlet(np.ones(3), size=len(three_d["X"]))
    return _run(fn, [
        _Case("hard 0/1 responsibilities: each component is one group", _m_step_case, X=hard_X, resp=hard),
        _Case("soft responsibilities, two rotated components in 2-D", _m_step_case,
              **_with_responsibilities(_rotated_case())),
        _Case("the seed's data with the responsibilities at its start", _m_step_case,
              **_with_responsibilities(_seed_case())),
        _Case("three components in 3-D, random soft responsibilities", _m_step_case, X=three_d["X"],
              resp=random_resp),
    ])


# ----------------------------------------------------------------------------------------
# 04: one EM iteration
# ----------------------------------------------------------------------------------------
def _em_iteration_case(call, X, weights, means, covariances):
    k, d = means.shape
    got = _three(call(X, weights, means, covariances))
    resp = e_step(X, GMM(weights, means, covariances))[0]
    ref = m_step(X, resp)
    arrays = [_array(a, name, shape) for a, name, shape in
              zip(got, ("weights", "means", "covariances"), ((k,), (k, d), (k, d, d)))]
    same = lambda params: all(_close(a, b) for a, b in zip(arrays, params))  # noqa: E731
    if same((ref.weights, ref.means, ref.covariances)):
        return
    if same((weights, means, covariances)):
        raise _Fail("the parameters came back unchanged",
                    "compute the responsibilities under the given parameters (the E-step), then the new "
                    "weights, means and covariances from them (the M-step), and return the new ones.")
    try:
        twice = m_step(X, e_step(X, ref)[0])
        if same((twice.weights, twice.means, twice.covariances)):
            raise _Fail("these are the parameters after two iterations", "do one E-step and one M-step only.")
    except CollapseError:
        pass

    def m_step_of(combo):
        other = m_step(X, _softmax(_wrong_log_joint(X, weights, means, covariances, combo)))
        return same((other.weights, other.means, other.covariances))

    combo = _mistakes(("inverse", "log_det", "half", "weights"), m_step_of)
    if combo:
        j = _first_differing(arrays[1], ref.means) if not _close(arrays[1], ref.means) else 0
        raise _Fail(f"means[{j}]: expected {_fmt(ref.means[j])}, got {_fmt(arrays[1][j])}",
                    "the M-step is right but the responsibilities are not. " + _mistake_hint(combo))
    _check_m_step_result(X, resp, arrays, old_means=means)


def check_em_iteration(fn):
    """Check my_em_iteration(X, weights, means, covariances) -> (weights, means, covariances).

    One EM iteration: gamma = E-step under theta, then theta_new = M-step(X, gamma); compared with
    emlib.m_step(X, emlib.e_step(X, theta)[0]).

    Cases: the seed's data from its start; 200 points from two rotated, stretched components from a
    poor start; three components in 3-D.  Recognises parameters returned unchanged, two iterations
    instead of one, a wrong E-step under a right M-step, and the M-step mistakes of check_m_step,
    including covariances centred on the old means.  Prints a verdict, returns True when every
    case passes.
    """
    truth = _rotated_case()
    X, _ = sample(GMM(truth["weights"], truth["means"], truth["covariances"]), 200, np.random.default_rng(1))
    rotated = dict(X=X, weights=np.array([0.5, 0.5]), means=np.array([[-1.0, 1.0], [1.0, 2.0]]),
                   covariances=np.array([[[1.0, 0.5], [0.5, 1.0]], [[2.0, -0.4], [-0.4, 0.5]]]))
    weights, means, covariances = _three_d_params()
    X3, _ = sample(GMM(weights, means, covariances), 150, np.random.default_rng(2))
    three_d = dict(X=X3, weights=np.full(3, 1 / 3), means=X3[:3].copy(), covariances=np.array([np.eye(3)] * 3))
    return _run(fn, [
        _Case("the seed's data from its starting point", _em_iteration_case, **_seed_case()),
        _Case("200 points from two rotated, stretched components, from a poor start",
              _em_iteration_case, **rotated),
        _Case("three components in 3-D", _em_iteration_case, **three_d),
    ])


# ----------------------------------------------------------------------------------------
# 07: BIC
# ----------------------------------------------------------------------------------------
def _bic_case(call, X, weights, means, covariances):
    n, d = X.shape
    k = len(weights)
    got = call(X, weights, means, covariances)
    params = GMM(weights, means, covariances)
    expected, loglik, p = bic(X, params), log_likelihood(X, params), n_parameters(k, d)
    _returned(got, "`return` and the BIC")
    try:
        value = float(np.asarray(got, dtype=float).reshape(()))
    except (TypeError, ValueError):
        raise _Fail(f"expected one number, got {_a(got)}") from None
    detail = (f"expected -2 * ({_fmt(loglik)}) + {p} * log({n}) = {_fmt(expected)}, got "
              f"{_fmt(value) if np.isfinite(value) else value}")
    if np.isclose(value, expected, rtol=1e-9, atol=1e-6):
        return
    if not np.isfinite(value):
        raise _Fail(detail, "a NaN comes from 0/0, inf - inf or the log of a negative number.")
    count = (f"there are (k - 1) + k d + k d (d + 1) / 2 = {k - 1} + {k * d} + {k * d * (d + 1) // 2} = {p} "
             "free parameters")
    mistakes = (
        (-2 * loglik + 2 * p, "this is AIC (2 per parameter): BIC charges log n per parameter."),
        (-2 * loglik + (p + 1) * np.log(n), f"{count}: only k - 1 weights are free, the last is 1 minus the others."),
        (-2 * loglik + (p + k * d * (d - 1) // 2) * np.log(n),
         f"{count}: each Sigma_j is symmetric, so only d (d + 1) / 2 of its d * d entries are free."),
        (-2 * loglik + (p + 1 + k * d * (d - 1) // 2) * np.log(n),
         f"{count}: only k - 1 weights are free, and each symmetric Sigma_j has d (d + 1) / 2 free entries."),
        (-loglik + p * np.log(n), "the log-likelihood is counted once: BIC = -2 log p(X | theta) + p log n."),
        (2 * loglik + p * np.log(n), "the sign of the log-likelihood term: BIC = -2 log p(X | theta) + p log n."),
        (-2 * loglik / n + p * np.log(n), "log p(X | theta) is the sum over the points, not their mean."),
        (-2 * loglik + p * np.log10(n), "use the natural logarithm of n (np.log), not log10."),
        (-2 * loglik, "the penalty p log n is missing."),
    )
    hint = next((h for other, h in mistakes if np.isclose(value, other, rtol=1e-9, atol=1e-6)), None)
    implied = (value + 2 * loglik) / np.log(n)
    if hint is None and abs(implied - round(implied)) < 1e-6 and round(implied) > 0:
        hint = f"your value is what p = {round(implied)} parameters give: {count}."
    raise _Fail(detail, hint)


def check_bic(fn):
    """Check my_bic(X, weights, means, covariances) -> float against emlib.selection.bic.

    BIC = -2 log p(X | theta) + p log n,   p = (k - 1) + k d + k d (d + 1) / 2

    Cases: the seed's data and the mixture it was drawn from (k = 3, d = 2); 100 points from two
    components in 3-D.  Recognises AIC's 2 in place of log n, k weights instead of k - 1, d * d
    covariance entries instead of d (d + 1) / 2, a log-likelihood not doubled, of the wrong sign or
    averaged, log10, a missing penalty, and names any other parameter count the value implies.
    Prints a verdict, returns True when every case passes.
    """
    weights, means, covariances = _three_d_params()
    two = dict(weights=weights[1:] / weights[1:].sum(), means=means[1:], covariances=covariances[1:])
    X3, _ = sample(GMM(**two), 100, np.random.default_rng(4))
    return _run(fn, [
        _Case("the seed's data and the mixture it was drawn from (k = 3, d = 2)", _bic_case, X=seed_data()[0],
              **_arrays(seed_true_params())),
        _Case("100 points from two components in 3-D", _bic_case, X=X3, **two),
    ])
