"""Starting points for EM: plain functions of the data, a number of components and a generator."""
import numpy as np

from ._checks import check_data, check_enough_points, check_number, check_spread
from .covariance import check_covariance_type
from .gmm import GMM


def as_generator(rng, name="rng"):
    """A numpy Generator from a Generator or a non-negative integer seed (None is refused: seed it)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{name} must be a non-negative integer seed (or a numpy.random.Generator), got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(
        f"{name} must be a numpy.random.Generator or an integer seed, not {type(rng).__name__}; "
        "pass a seed so that the result is reproducible"
    )


def _checked(X, k, rng, covariance_type):
    X = check_data(X)
    k = check_number(k, "k", minimum=1, integer=True)
    check_enough_points(X.shape[0], k)
    rng = as_generator(rng)
    covariance_type = check_covariance_type(covariance_type)
    check_spread(X)
    return X, k, rng, covariance_type


def init_random(X, k, rng, covariance_type="full"):
    """The seed script's start: uniform weights, random means, identity covariances.

    pi_j = 1/k,   mu_j ~ Uniform(box spanned by the data),   Sigma_j = I

    The seed itself drew mu_j ~ Uniform([0, 10)^2) with the legacy global generator;
    `emlib.data.seed_initial_params()` gives those exact numbers.  Identity covariances only
    suit data whose features vary on a scale of about 1 (see the pitfalls notebook).  They
    have every structure, so the start is the same for every covariance_type ("full",
    "tied", "diag", "spherical"), which only labels it.

    X: (n, d); k: number of components; rng: Generator or seed.  Returns a GMM.
    """
    X, k, rng, covariance_type = _checked(X, k, rng, covariance_type)
    d = X.shape[1]
    means = rng.uniform(X.min(axis=0), X.max(axis=0), size=(k, d))
    return GMM(np.full(k, 1 / k), means, np.broadcast_to(np.eye(d), (k, d, d)), covariance_type)


def init_kmeanspp(X, k, rng, covariance_type="full"):
    """A k-means++-style start: spread-out means picked among the data points.

    mu_1 = a point chosen uniformly; then mu_j = x_i with probability proportional to
    D(x_i)^2, the squared distance from x_i to the nearest mean chosen so far.
    pi_j = 1/k and Sigma_j = the covariance of the whole data set (positive definite
    whenever the data are not all on one line or plane), or what of it the covariance_type
    keeps: its diagonal for "diag", the mean of its diagonal times I for "spherical" (then
    only a constant feature, or for "spherical" constant data, leaves no start).  The means
    do not depend on the covariance_type: the same rng gives the same means for every type.

    X: (n, d); k: number of components; rng: Generator or seed.  Returns a GMM.
    """
    X, k, rng, covariance_type = _checked(X, k, rng, covariance_type)
    n, d = X.shape
    chosen = [rng.integers(n)]
    nearest = _squared_distances(X, X[chosen[0]])
    for _ in range(1, k):
        total = nearest.sum()
        # All points identical to the chosen means: pick uniformly among the rest.
        p = nearest / total if total > 0 else None
        chosen.append(rng.choice(n, p=p))
        nearest = np.minimum(nearest, _squared_distances(X, X[chosen[-1]]))
    cov = _data_covariance(X, covariance_type)
    return GMM(np.full(k, 1 / k), X[chosen], np.broadcast_to(cov, (k, d, d)), covariance_type)


def _squared_distances(X, point):
    """||x_i - point||^2 for every row of X, refused with a named error if their sum overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        dist = ((X - point) ** 2).sum(axis=1)
        finite = np.isfinite(dist.sum())
    if not finite:
        raise ValueError(
            f"X has values so large (up to {np.abs(X).max():.3g}) that squared distances between "
            "its points overflow; rescale X"
        )
    return dist


def _data_covariance(X, covariance_type):
    """The covariance of the whole data set, (d, d), with the structure covariance_type (its
    diagonal, or the mean of it times I), refused with a named error when it is singular."""
    cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
    if covariance_type == "diag":
        cov = np.diag(np.diag(cov))
    elif covariance_type == "spherical":
        cov = np.trace(cov) / len(cov) * np.eye(len(cov))
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"X has a singular covariance (its {X.shape[0]} point(s) are all identical or lie on "
            "a line or plane), so init_kmeanspp has no positive definite covariance to start "
            "from; drop the redundant features or use init_random"
        ) from None
    return cov


INITIALISATIONS = {"random": init_random, "kmeans++": init_kmeanspp}
