"""Starting points for EM: plain functions of the data, a number of components and a generator."""
import numpy as np

from ._checks import check_data, check_enough_points, check_number
from .gmm import GMM


def as_generator(rng, name="rng"):
    """A numpy Generator from a Generator or an integer seed (None is refused: seed it)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    raise TypeError(
        f"{name} must be a numpy.random.Generator or an integer seed, not {type(rng).__name__}; "
        "pass a seed so that the result is reproducible"
    )


def _checked(X, k, rng):
    X = check_data(X)
    check_number(k, "k", minimum=1, integer=True)
    check_enough_points(X.shape[0], k)
    return X, int(k), as_generator(rng)


def init_random(X, k, rng):
    """The seed script's start: uniform weights, random means, identity covariances.

    pi_j = 1/k,   mu_j ~ Uniform(box spanned by the data),   Sigma_j = I

    The seed itself drew mu_j ~ Uniform([0, 10)^2) with the legacy global generator;
    `emlib.data.seed_initial_params()` gives those exact numbers.  Identity covariances only
    suit data whose features vary on a scale of about 1 (see the pitfalls notebook).

    X: (n, d); k: number of components; rng: Generator or seed.  Returns a GMM.
    """
    X, k, rng = _checked(X, k, rng)
    d = X.shape[1]
    means = rng.uniform(X.min(axis=0), X.max(axis=0), size=(k, d))
    return GMM(np.full(k, 1 / k), means, np.broadcast_to(np.eye(d), (k, d, d)))


def init_kmeanspp(X, k, rng):
    """A k-means++-style start: spread-out means picked among the data points.

    mu_1 = a point chosen uniformly; then mu_j = x_i with probability proportional to
    D(x_i)^2, the squared distance from x_i to the nearest mean chosen so far.
    pi_j = 1/k and Sigma_j = the covariance of the whole data set (positive definite
    whenever the data are not all on one line or plane).

    X: (n, d); k: number of components; rng: Generator or seed.  Returns a GMM.
    """
    X, k, rng = _checked(X, k, rng)
    n, d = X.shape
    chosen = [rng.integers(n)]
    nearest = ((X - X[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = nearest.sum()
        # All points identical to the chosen means: pick uniformly among the rest.
        p = nearest / total if total > 0 else None
        chosen.append(rng.choice(n, p=p))
        nearest = np.minimum(nearest, ((X - X[chosen[-1]]) ** 2).sum(axis=1))
    cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
    return GMM(np.full(k, 1 / k), X[chosen], np.broadcast_to(cov, (k, d, d)))


INITIALISATIONS = {"random": init_random, "kmeans++": init_kmeanspp}
