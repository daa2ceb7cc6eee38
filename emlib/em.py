"""The EM algorithm for a Gaussian mixture: E-step, M-step, log-likelihood and the loop.

Notation (the same as the notebooks'):
    X      (n, d)     the data, one point x_i per row
    pi     (k,)       mixing weights          mu (k, d) means       Sigma (k, d, d) covariances
    L_j    (d, d)     lower Cholesky factor, Sigma_j = L_j L_j^T
    gamma  (n, k)     responsibilities, gamma[i, j] = p(z_i = j | x_i, theta)
    N_j               sum_i gamma[i, j], the effective number of points of component j

Everything is computed in log space: the Mahalanobis term ||L_j^{-1}(x_i - mu_j)||^2 comes from
a triangular solve (never an explicit inverse), and log-sum-exp is applied once per E-step.
Internally the per-component arrays are laid out (k, n), component by component, so that
each loop over the k components reads and writes contiguous rows; the public functions
return the (n, k) view the notebooks use.
"""
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import entr

from ._checks import (
    check_data,
    check_data_matches,
    check_enough_points,
    check_number,
    check_params,
    check_responsibilities,
)
from .gmm import GMM
from .init import INITIALISATIONS, as_generator

LOG_2PI = np.log(2 * np.pi)
TOO_FAR = ("X has points so far from every component that their squared distances overflow "
           "(beyond 1e300); rescale X")


class CollapseError(ValueError):
    """A component collapsed: it lost all its points, or its covariance became singular."""

    def __init__(self, message, component, iteration=None):
        super().__init__(message)
        self.component = component
        self.iteration = iteration


# ----------------------------------------------------------------------------------------
# Densities and the E-step
# ----------------------------------------------------------------------------------------
def _log_joint(X, params):
    """(k, n) array of log pi_j + log N(x_i | mu_j, Sigma_j); X and params already checked."""
    n, d = X.shape
    out = np.empty((params.k, n))
    for j, (mu, L) in enumerate(zip(params.means, params.cholesky)):
        diff = X - mu                                   # (n, d), so diff.T is Fortran-ordered
        z = solve_triangular(L, diff.T, lower=True, overwrite_b=True, check_finite=False)
        with np.errstate(over="ignore"):                # beyond ~1e154 sigmas: inf, see _e_step
            np.einsum("ij,ij->j", z, z, out=out[j])     # ||L_j^{-1}(x_i - mu_j)||^2
    log_det = 2 * np.log(np.diagonal(params.cholesky, axis1=1, axis2=2)).sum(axis=1)
    out *= -0.5
    out += (np.log(params.weights) - 0.5 * (d * LOG_2PI + log_det))[:, None]
    return out


def log_densities(X, params):
    """Log density of every point under every component.

    log N(x_i | mu_j, Sigma_j) = -1/2 [ d log(2 pi) + log|Sigma_j| + (x_i - mu_j)^T Sigma_j^{-1} (x_i - mu_j) ]

    with log|Sigma_j| = 2 sum log diag(L_j) and the quadratic form ||L_j^{-1}(x_i - mu_j)||^2.

    X: (n, d).  Returns (n, k).
    """
    X, params = _checked(X, params)
    return (_log_joint(X, params) - np.log(params.weights)[:, None]).T


def _normalise(log_joint):
    """In place: (k, n) log pi_j N(x_i|..) -> responsibilities; returns them and the log-likelihood."""
    top = log_joint.max(axis=0)                         # (n,): the log-sum-exp shift
    log_joint -= top
    resp = np.exp(log_joint, out=log_joint)             # every column has an entry exactly 1
    total = resp.sum(axis=0)                            # in [1, k]: never 0, never overflows
    resp /= total
    loglik = float(np.log(total).sum() + top.sum())
    if not np.isfinite(loglik):
        raise ValueError(TOO_FAR)
    return resp, loglik


def _e_step(X, params):
    # A point beyond ~1e154 standard deviations overflows its squared distance to inf; that is
    # reported by _normalise as a clear error (the log-likelihood is then not finite), not as
    # numpy's overflow warnings on the way.
    with np.errstate(invalid="ignore"):
        return _normalise(_log_joint(X, params))


def e_step(X, params):
    """Responsibilities: how much each component explains each point (the E-step).

    gamma[i, j] = pi_j N(x_i | mu_j, Sigma_j) / sum_l pi_l N(x_i | mu_l, Sigma_l)

    computed as exp(a_ij - logsumexp_l a_il) with a_ij = log pi_j + log N(x_i | mu_j, Sigma_j),
    so that a point far from every component still gets a valid row.

    X: (n, d) data; params: GMM.  Returns gamma (n, k), rows summing to 1, and the total
    log-likelihood  log p(X | theta) = sum_i logsumexp_j a_ij  (a float).
    """
    X, params = _checked(X, params)
    resp, loglik = _e_step(X, params)
    return resp.T, loglik


def log_likelihood(X, params):
    """Total log-likelihood of the data under the mixture.

    log p(X | theta) = sum_i log sum_j pi_j N(x_i | mu_j, Sigma_j)

    X: (n, d).  Returns a float (a sum over points, not a mean).
    """
    return e_step(X, params)[1]


def lower_bound(X, params, resp):
    """The lower bound on the log-likelihood that EM climbs (the evidence lower bound).

    B(q, theta) = sum_i sum_j q[i, j] [log pi_j + log N(x_i | mu_j, Sigma_j) - log q[i, j]]
               <= log p(X | theta)    (Jensen's inequality),

    with equality when q = gamma, the responsibilities under theta (0 log 0 counts as 0).

    X: (n, d); params: GMM; resp: q, (n, k) rows summing to 1.  Returns a float.
    """
    X, params = _checked(X, params)
    resp = check_responsibilities(resp, X.shape[0])
    if resp.shape[1] != params.k:
        raise ValueError(f"resp has {resp.shape[1]} columns but params has k={params.k} components")
    log_joint = _log_joint(X, params)
    if not np.all(np.isfinite(log_joint)):
        raise ValueError(TOO_FAR)
    return float(np.sum(resp * log_joint.T) + entr(resp).sum())


# ----------------------------------------------------------------------------------------
# The M-step
# ----------------------------------------------------------------------------------------
def _m_step(X, resp, reg_covar):
    """M-step on (k, n) responsibilities; X checked.  Raises CollapseError."""
    n, d = X.shape
    counts = resp.sum(axis=1)                           # N_j
    for j in np.flatnonzero(counts < n * np.finfo(float).eps):
        raise CollapseError(
            f"component {j} has collapsed: its total responsibility N_{j} = {counts[j]:.3g}, "
            "so it explains none of the points; start from other initial parameters",
            component=int(j),
        )
    weights = counts / n
    means = (resp @ X) / counts[:, None]
    covariances = np.empty((len(counts), d, d))
    with np.errstate(over="ignore"):                    # squares beyond 1e308: refused below
        for j, mu in enumerate(means):
            diff = X - mu
            covariances[j] = (resp[j][:, None] * diff).T @ diff / counts[j]
    if not np.all(np.isfinite(covariances)):
        raise ValueError("X has values so large that their squared deviations overflow "
                         "(beyond 1e308); rescale X")
    covariances = 0.5 * (covariances + covariances.transpose(0, 2, 1))  # exactly symmetric
    covariances[:, np.arange(d), np.arange(d)] += reg_covar
    _check_not_singular(covariances, reg_covar)
    return GMM(weights, means, covariances)


def _check_not_singular(covariances, reg_covar):
    """Refuse a covariance that is singular up to rounding (a component on a point or a line).

    A Cholesky pivot L_rr^2 at the level of rounding error relative to the largest variance
    means the matrix has (numerically) lost a dimension.
    """
    d = covariances.shape[1]
    variances = np.diagonal(covariances, axis1=1, axis2=2)
    try:
        pivots = np.diagonal(np.linalg.cholesky(covariances), axis1=1, axis2=2) ** 2
        singular = pivots.min(axis=1) <= 10 * d * np.finfo(float).eps * variances.max(axis=1)
    except np.linalg.LinAlgError:  # not even positive definite: flag at least the worst one
        smallest = np.linalg.eigvalsh(covariances).min(axis=1)
        singular = smallest <= 10 * d * np.finfo(float).eps * variances.max(axis=1)
        if not singular.any():
            singular[np.argmin(smallest)] = True
    for j in np.flatnonzero(singular):
        hint = "increase reg_covar" if reg_covar > 0 else "pass reg_covar > 0 (e.g. reg_covar=1e-6)"
        raise CollapseError(
            f"component {j} has collapsed: its covariance is singular (its points lie on a single "
            f"point, line or plane, e.g. duplicated points); {hint} to keep it positive definite",
            component=int(j),
        )


def m_step(X, resp, reg_covar=0.0):
    """The closed-form updates that maximise the expected complete-data log-likelihood (the M-step).

    N_j     = sum_i gamma[i, j]
    pi_j    = N_j / n                                                 (the M-step for the weights)
    mu_j    = (1 / N_j) sum_i gamma[i, j] x_i                         (the M-step for the means)
    Sigma_j = (1 / N_j) sum_i gamma[i, j] (x_i - mu_j)(x_i - mu_j)^T  + reg_covar I
                                                                      (the M-step for the covariances)

    X: (n, d) data; resp: gamma, (n, k).  Returns a GMM.  Raises CollapseError (a ValueError)
    naming the component when one has no responsibility left or a singular covariance.
    """
    X = check_data(X)
    resp = check_responsibilities(resp, X.shape[0])
    check_enough_points(X.shape[0], resp.shape[1])
    check_number(reg_covar, "reg_covar", minimum=0)
    return _m_step(X, np.ascontiguousarray(resp.T), float(reg_covar))


# ----------------------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FitResult:
    """What `fit` returns.

    params            GMM, the parameters after the last iteration, theta_T.
    log_likelihoods   (T + 1,) array: log p(X | theta_t) for t = 0 (the initial parameters) .. T.
    n_iter            T, the number of EM iterations (E-step + M-step) done.
    converged         True when the stopping rule fired before max_iter.
    responsibilities  (n, k): gamma under the final parameters theta_T.
    history           tuple (theta_0, ..., theta_T) of GMMs when fit(..., keep_history=True), else None.
    """

    params: GMM
    log_likelihoods: np.ndarray
    n_iter: int
    converged: bool
    responsibilities: np.ndarray
    history: tuple = None

    def __repr__(self):
        return (
            f"FitResult(n_iter={self.n_iter}, converged={self.converged}, "
            f"log_likelihood={self.log_likelihoods[-1]:.4f})"
        )


def fit(X, init, *, max_iter=100, tol=1e-6, reg_covar=0.0, rng=None, init_method="kmeans++",
        keep_history=False):
    """Fit a Gaussian mixture by EM.

    Iteration t (t = 1, 2, ...) is one M-step on the responsibilities of theta_{t-1} followed by
    the E-step of the new parameters theta_t, which gives L_t = log p(X | theta_t).

    Stopping rule: stop after iteration t, with converged=True, as soon as the average
    log-likelihood per point changed by less than tol,
        |L_t - L_{t-1}| / n < tol,
    and otherwise after max_iter iterations (converged=False).  With tol=0 it runs exactly
    max_iter iterations.  (scikit-learn's tol means the same, on the same per-point scale.)

    X: (n, d) data.
    init: a GMM (the starting parameters theta_0), or the number of components k, in which case
        theta_0 = init_kmeanspp(X, k, rng) (init_method="kmeans++") or init_random(X, k, rng)
        (init_method="random"); rng (a seed or numpy.random.Generator) is then required.
    reg_covar: added to the diagonal of every covariance in every M-step (0: none).
    keep_history: keep theta_0 .. theta_T in the result (to animate the fit).

    Returns a FitResult.  Raises CollapseError (a ValueError) naming the component and the
    iteration when a component collapses.
    """
    X = check_data(X)
    check_number(max_iter, "max_iter", minimum=1, integer=True)
    check_number(tol, "tol", minimum=0)
    check_number(reg_covar, "reg_covar", minimum=0)
    if isinstance(init, GMM):
        params = init
        check_data_matches(X, params, p_name="init")
        check_enough_points(X.shape[0], params.k)
    else:
        if isinstance(init, bool) or not isinstance(init, (int, np.integer)):
            raise TypeError(
                f"init must be an emlib.GMM (the starting parameters) or an integer (the number "
                f"of components), not {type(init).__name__} ({init!r})"
            )
        initialise = _initialisation(init_method)
        if rng is None:
            raise ValueError(f"init={init} components needs rng (a seed or a numpy.random.Generator) "
                             "so that the starting point is reproducible")
        params = initialise(X, init, rng)

    n = X.shape[0]
    resp, loglik = _e_step(X, params)
    log_likelihoods = [loglik]
    history = [params] if keep_history else None
    converged = False
    for iteration in range(1, max_iter + 1):
        try:
            params = _m_step(X, resp, reg_covar)
        except CollapseError as err:
            raise CollapseError(f"iteration {iteration}: {err}", err.component, iteration) from None
        resp, loglik = _e_step(X, params)
        log_likelihoods.append(loglik)
        if keep_history:
            history.append(params)
        if abs(log_likelihoods[-1] - log_likelihoods[-2]) < tol * n:
            converged = True
            break
    return FitResult(
        params=params,
        log_likelihoods=np.array(log_likelihoods),
        n_iter=iteration,
        converged=converged,
        responsibilities=resp.T,
        history=tuple(history) if keep_history else None,
    )


def fit_restarts(X, k, *, n_init=10, rng, init_method="kmeans++", **fit_options):
    """Run EM from n_init starting points and keep the fit with the highest log-likelihood.

    EM only finds a local maximum; which one depends on the start.  Start r (r = 0 .. n_init-1)
    draws its initial parameters from the one generator made from rng, in turn, so the whole
    run is reproducible.  A start whose fit collapses (CollapseError) is recorded as NaN.

    X: (n, d); k: number of components; fit_options: passed to fit (max_iter, tol, reg_covar).
    Returns the best FitResult and the final log-likelihood of every start, (n_init,).
    """
    X = check_data(X)
    check_number(n_init, "n_init", minimum=1, integer=True)
    initialise = _initialisation(init_method)
    rng = as_generator(rng)
    best, finals = None, np.full(n_init, np.nan)
    for r in range(n_init):
        try:
            result = fit(X, initialise(X, k, rng), **fit_options)
        except CollapseError:
            continue
        finals[r] = result.log_likelihoods[-1]
        if best is None or finals[r] > best.log_likelihoods[-1]:
            best = result
    if best is None:
        raise CollapseError(f"all {n_init} starts collapsed; pass reg_covar > 0", component=None)
    return best, finals


def _initialisation(init_method):
    """The initialisation function named by init_method ("kmeans++" or "random")."""
    if init_method not in INITIALISATIONS:
        raise ValueError(f"init_method must be one of {sorted(INITIALISATIONS)}, got {init_method!r}")
    return INITIALISATIONS[init_method]


def _checked(X, params):
    X = check_data(X)
    params = check_params(params)
    check_data_matches(X, params)
    return X, params
