"""EM for a mixture of multivariate Bernoullis: clusters of binary vectors (black-and-white images).

Notation (the notebooks'):
    X      (n, d)   binary data, x_id in {0, 1}
    pi     (k,)     mixing weights        p (k, d) probabilities, p_jd = P(x_d = 1 | component j)
    gamma  (n, k)   responsibilities      N_j = sum_i gamma[i, j]

The model (Bishop, PRML section 9.3.3):
    p(x | theta) = sum_j pi_j prod_d p_jd^x_d (1 - p_jd)^(1 - x_d)

Everything is computed in log space, from log p_jd and log(1 - p_jd) = log1p(-p_jd), with one
log-sum-exp per E-step: for a 28 x 28 image a product of 784 probabilities of 0.1 is 1e-784, far
below the smallest float64 (5e-324).
An optional Beta(a, b) prior on every p_jd (a, b > 1) keeps the probabilities away from 0 and 1;
EM then climbs the log-likelihood plus the log-prior (MAP-EM).
"""
from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, entr, logsumexp

from ._checks import as_float_array, check_data, check_data_matches, check_enough_points, check_finite, \
    check_number, check_responsibilities, check_weights
from .em import CollapseError, em_loop
from .gmm import _frozen
from .init import as_generator


# ----------------------------------------------------------------------------------------
# The parameters
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, init=False, repr=False)
class BernoulliMixture:
    """The parameters theta = (pi, p) of a mixture of multivariate Bernoullis.

    p(x | theta) = sum_j pi_j prod_d p_jd^x_d (1 - p_jd)^(1 - x_d)      (the mixture)

    weights pi: (k,), positive, summing to 1.  probabilities p: (k, d), each strictly
    between 0 and 1 (so that log p and log(1 - p) are finite).

    Checked once, here; immutable afterwards (its arrays are read-only).
    """

    weights: np.ndarray
    probabilities: np.ndarray

    def __init__(self, weights, probabilities):
        w = check_weights(weights)
        p = as_float_array(probabilities, "probabilities")
        if p.ndim != 2 or p.shape[0] != w.size or p.shape[1] == 0:
            raise ValueError(f"probabilities must have shape (k, d) = ({w.size}, d), but has shape {p.shape}")
        check_finite(p, "probabilities")
        outside = (p <= 0) | (p >= 1)
        if outside.any():
            j, f = np.argwhere(outside)[0]
            raise ValueError(f"probabilities must lie strictly between 0 and 1 (their logs must be finite); "
                             f"probabilities[{j}, {f}] = {p[j, f]:g}")
        object.__setattr__(self, "weights", _frozen(w))
        object.__setattr__(self, "probabilities", _frozen(p))

    def __reduce__(self):
        """Copies and pickles go through the constructor: checked again, read-only again."""
        return BernoulliMixture, (self.weights, self.probabilities)

    k = property(lambda self: self.weights.size, doc="Number of components.")
    d = property(lambda self: self.probabilities.shape[1], doc="Dimension of the data.")

    def __repr__(self):
        return (f"BernoulliMixture(k={self.k}, d={self.d},\n    weights={np.round(self.weights, 4).tolist()},\n"
                f"    probabilities=<{self.k} x {self.d} array in [{self.probabilities.min():.4g}, "
                f"{self.probabilities.max():.4g}]>)")


# ----------------------------------------------------------------------------------------
# E-step, log-likelihood, prior
# ----------------------------------------------------------------------------------------
def e_step(X, params):
    """Responsibilities: how much each component explains each binary vector (the E-step).

    log p(x_i | p_j) = sum_d [x_id log p_jd + (1 - x_id) log(1 - p_jd)]
    gamma[i, j]      = pi_j p(x_i | p_j) / sum_l pi_l p(x_i | p_l)
                     = exp(a_ij - logsumexp_l a_il),   a_ij = log pi_j + log p(x_i | p_j)

    X: (n, d) binary data; params: BernoulliMixture.  Returns gamma (n, k), rows summing to 1,
    and the total log-likelihood log p(X | theta) = sum_i logsumexp_j a_ij (a float).
    """
    X, params = _checked(X, params)
    return _e_step(X, params)


def log_densities(X, params):
    """Log-probability of each binary vector under each component alone.

    log p(x_i | p_j) = sum_d [x_id log p_jd + (1 - x_id) log(1 - p_jd)]

    X: (n, d) binary data; params: BernoulliMixture.  Returns (n, k).  A sum of logs: it stays
    finite where the product of the d probabilities would underflow to 0.
    """
    X, params = _checked(X, params)
    return _log_densities(X, params)


def lower_bound(X, params, resp):
    """The lower bound on the log-likelihood that EM climbs (the ELBO), for any q.

    B(q, theta) = sum_i sum_j q[i, j] [log pi_j + log p(x_i | p_j) - log q[i, j]]
               = log p(X | theta) - sum_i KL(q_i || p(z_i | x_i, theta))   <= log p(X | theta),

    with equality exactly when q = gamma, the responsibilities under theta (0 log 0 counts as 0).

    X: (n, d) binary data; params: BernoulliMixture; resp: q, (n, k), rows summing to 1.
    Returns a float.
    """
    X, params = _checked(X, params)
    resp = check_responsibilities(resp, X.shape[0])
    if resp.shape[1] != params.k:
        raise ValueError(f"resp has {resp.shape[1]} columns but params has k={params.k} components")
    return float(np.sum(resp * _log_joint(X, params)) + entr(resp).sum())


def log_likelihood(X, params):
    """Total log-likelihood of binary data under the mixture.

    log p(X | theta) = sum_i log sum_j pi_j prod_d p_jd^x_id (1 - p_jd)^(1 - x_id)

    X: (n, d) binary data; params: BernoulliMixture.  Returns a float (a sum over points).
    """
    return e_step(X, params)[1]


def log_prior(params, prior):
    """Log density of the probabilities under independent Beta(a, b) priors.

    log p(theta) = sum_j sum_d [(a - 1) log p_jd + (b - 1) log(1 - p_jd) - log B(a, b)]

    The weights have a flat prior (Dirichlet(1, ..., 1)), a constant left out.  MAP-EM climbs
    log p(X | theta) + log p(theta).  prior=None is the flat Beta(1, 1) prior: log p(theta) = 0.

    params: BernoulliMixture; prior: None or (a, b) with a, b > 1.  Returns a float.
    """
    _check_params(params)
    return _log_prior(params, None if prior is None else _check_prior(prior))


# ----------------------------------------------------------------------------------------
# M-step
# ----------------------------------------------------------------------------------------
def m_step(X, resp, prior=None):
    """The closed-form updates that maximise the expected complete-data log-likelihood (the M-step).

    N_j  = sum_i gamma[i, j]
    pi_j = N_j / n                                             (the M-step for the weights)
    p_jd = sum_i gamma[i, j] x_id / N_j                        (the M-step for the probabilities)

    With a Beta(a, b) prior on each p_jd (prior=(a, b), a, b > 1) the MAP update is
    p_jd = (sum_i gamma[i, j] x_id + a - 1) / (N_j + a + b - 2),
    which lies strictly between 0 and 1; a = b = 2 is Laplace's add-one smoothing.  The
    weights' update is unchanged (their prior is flat).
    N_j in p_jd's denominator is computed as sum_i gamma[i, j] x_id + sum_i gamma[i, j] (1 - x_id),
    so that p_jd rounds to exactly 1 when, and only when, the second sum is lost next to the first.

    X: (n, d) binary data; resp: gamma, (n, k); prior: None or (a, b).  Returns a
    BernoulliMixture.  Raises CollapseError (a ValueError) naming the component when one has
    no responsibility left, or, without a prior, when a probability reaches exactly 0 or 1.
    """
    X = _check_binary(X)
    resp = check_responsibilities(resp, X.shape[0])
    check_enough_points(X.shape[0], resp.shape[1])
    return _m_step(X, resp, None if prior is None else _check_prior(prior))


# ----------------------------------------------------------------------------------------
# The loop and its start
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FitResult:
    """What `fit` returns.

    params            BernoulliMixture, the parameters after the last iteration, theta_T.
    log_likelihoods   (T + 1,): log p(X | theta_t) for t = 0 (the start) .. T.
    objectives        (T + 1,): what EM climbs, log p(X | theta_t) + log p(theta_t) with a prior,
                      the log-likelihoods themselves without one; never decreases.
    n_iter            T, the number of EM iterations (E-step + M-step) done.
    converged         True when the stopping rule fired before max_iter.
    responsibilities  (n, k): gamma under theta_T.
    """

    params: BernoulliMixture
    log_likelihoods: np.ndarray
    objectives: np.ndarray
    n_iter: int
    converged: bool
    responsibilities: np.ndarray

    def __repr__(self):
        return (f"bernoulli.FitResult(n_iter={self.n_iter}, converged={self.converged}, "
                f"log_likelihood={self.log_likelihoods[-1]:.4f}, objective={self.objectives[-1]:.4f})")


def fit(X, init, *, max_iter=100, tol=1e-6, prior=None, rng=None):
    """Fit a mixture of multivariate Bernoullis by EM (MAP-EM with a prior).

    Iteration t is one M-step on the responsibilities of theta_{t-1} and the E-step of the new
    theta_t.  Stopping rule (emlib.fit's): stop after iteration t, with converged=True, when the
    objective per point changed by less than tol,  |O_t - O_{t-1}| / n < tol,  where
    O_t = log p(X | theta_t) (+ log p(theta_t) with a prior); else after max_iter iterations.

    X: (n, d) binary data.  init: a BernoulliMixture (theta_0), or the number of components k,
    then theta_0 = init_random(X, k, rng) (rng, a seed or numpy Generator, is then required).
    prior: None (maximum likelihood) or (a, b), a Beta(a, b) prior on every p_jd, a, b > 1.

    Returns a FitResult.  Raises CollapseError naming the component and the iteration when a
    component loses all its points or, without a prior, a probability reaches 0 or 1.
    """
    X = _check_binary(X)
    check_number(max_iter, "max_iter", minimum=1, integer=True)
    check_number(tol, "tol", minimum=0)
    prior = None if prior is None else _check_prior(prior)
    if isinstance(init, BernoulliMixture):
        params = init
        check_data_matches(X, params, p_name="init")
        check_enough_points(X.shape[0], params.k)
    elif isinstance(init, (int, np.integer)) and not isinstance(init, bool):
        if rng is None:
            raise ValueError(f"init={init} components needs rng (a seed or a numpy.random.Generator) "
                             "so that the starting point is reproducible")
        params = init_random(X, init, rng)
    else:
        raise TypeError(f"init must be an emlib.bernoulli.BernoulliMixture (the starting parameters) or an "
                        f"integer (the number of components), not {type(init).__name__} ({init!r})")

    run = em_loop(params, e_step=lambda params, _: _e_step(X, params), m_step=lambda resp: _m_step(X, resp, prior),
                  log_prior=lambda params: _log_prior(params, prior), n=X.shape[0], max_iter=max_iter, tol=tol)
    return FitResult(params=run.params, log_likelihoods=run.log_likelihoods, objectives=run.objectives,
                     n_iter=run.n_iter, converged=run.converged, responsibilities=run.responsibilities)


def init_random(X, k, rng):
    """A random start: uniform weights, probabilities drawn uniformly from (0.25, 0.75).

    pi_j = 1/k,   p_jd ~ Uniform(0.25, 0.75)         (Bishop, PRML section 9.3.3)

    Probabilities near 1/2 favour no pattern; their randomness breaks the symmetry between the
    components.  X: (n, d) binary data (for d, and checked); k: number of components;
    rng: a numpy Generator or an integer seed.  Returns a BernoulliMixture.
    """
    X = _check_binary(X)
    check_number(k, "k", minimum=1, integer=True)
    check_enough_points(X.shape[0], k)
    rng = as_generator(rng)
    return BernoulliMixture(np.full(k, 1 / k), rng.uniform(0.25, 0.75, size=(k, X.shape[1])))


# ----------------------------------------------------------------------------------------
# Internals: inputs already checked
# ----------------------------------------------------------------------------------------
def _log_densities(X, params):
    log_p, log_q = np.log(params.probabilities), np.log1p(-params.probabilities)
    # sum_d x_id log p_jd + (1 - x_id) log(1 - p_jd) = x_i . (log p_j - log(1 - p_j)) + sum_d log(1 - p_jd)
    return X @ (log_p - log_q).T + log_q.sum(axis=1)


def _log_joint(X, params):
    """a[i, j] = log pi_j + log p(x_i | p_j), (n, k)."""
    return _log_densities(X, params) + np.log(params.weights)


def _e_step(X, params):
    log_joint = _log_joint(X, params)
    log_norm = logsumexp(log_joint, axis=1)
    return np.exp(log_joint - log_norm[:, None]), float(log_norm.sum())


def _m_step(X, resp, prior):
    n = X.shape[0]
    counts = resp.sum(axis=0)                                   # N_j
    for j in np.flatnonzero(counts < n * np.finfo(float).eps):
        raise CollapseError(f"component {j} has collapsed: its total responsibility N_{j} = "
                            f"{counts[j]:.3g}, so it explains none of the points; start from other "
                            "initial parameters", component=int(j))
    a, b = (1.0, 1.0) if prior is None else prior
    on = resp.T @ X + (a - 1)                                   # sum_i gamma[i, j] x_id + a - 1
    off = resp.T @ (1 - X) + (b - 1)                            # sum_i gamma[i, j] (1 - x_id) + b - 1
    # p_jd = on / (on + off), the same number as on / (N_j + a + b - 2) in exact arithmetic.  In
    # floating point p_jd is exactly 1 when off is lost next to on (below half a unit in its last
    # place), whatever order the BLAS summed the gammas in; on / N_j could land a few units either
    # side of 1, so a fit's collapse would hinge on the machine's last digit.
    probabilities = on / (on + off)
    if prior is None:
        _check_not_at_the_boundary(probabilities)
    return BernoulliMixture(counts / n, probabilities)


def _check_not_at_the_boundary(probabilities):
    """Without a prior a probability can reach exactly 0 or 1, where its log is -inf: refuse it."""
    at_edge = (probabilities <= 0) | (probabilities >= 1)
    if at_edge.any():
        j, f = np.argwhere(at_edge)[0]
        raise CollapseError(
            f"component {j} has collapsed onto probabilities[{j}, {f}] = {probabilities[j, f]:g}: the points "
            f"it explains all have feature {f} {'on' if probabilities[j, f] >= 1 else 'off'}, so a point "
            "with it the other way would have probability 0; pass prior=(a, b) with a, b > 1 "
            "(e.g. prior=(2, 2), add-one smoothing) to keep every probability inside (0, 1)",
            component=int(j),
        )


def _log_prior(params, prior):
    if prior is None:
        return 0.0
    a, b = prior
    p = params.probabilities
    return float(((a - 1) * np.log(p) + (b - 1) * np.log1p(-p)).sum() - p.size * betaln(a, b))


# ----------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------
def _check_binary(X, name="X"):
    """A non-empty (n, d) array of 0s and 1s (ints, bools, or floats exactly 0.0 or 1.0), as float64."""
    X = check_data(X, name)
    not_binary = (X != 0) & (X != 1)
    if not_binary.any():
        i, f = np.argwhere(not_binary)[0]
        raise ValueError(f"{name} must be binary, every value 0 or 1 (or True/False); "
                         f"{name}[{i}, {f}] = {X[i, f]:g}")
    return X


def _check_prior(prior):
    """prior = (a, b), both real and > 1: returns (float(a), float(b))."""
    try:
        a, b = prior
    except (TypeError, ValueError):
        raise TypeError(f"prior must be None or a pair (a, b) of Beta parameters, not {prior!r}") from None
    for name, value in (("a", a), ("b", b)):
        check_number(value, f"prior's {name}", minimum=-np.inf)
        if not value > 1:
            raise ValueError(f"prior=(a, b) needs a > 1 and b > 1 so that every probability stays inside "
                             f"(0, 1), but {name} = {value} (a = b = 1 is the flat prior: prior=None)")
    return float(a), float(b)


def _check_params(params, name="params"):
    if not isinstance(params, BernoulliMixture):
        raise TypeError(f"{name} must be an emlib.bernoulli.BernoulliMixture, not {type(params).__name__}")


def _checked(X, params):
    X = _check_binary(X)
    _check_params(params)
    check_data_matches(X, params)
    return X, params
