"""The EM algorithm for a Gaussian mixture: E-step, M-step, log-likelihood and the loop.

Notation (the same as the notebooks'):
    X      (n, d)     the data, one point x_i per row
    pi     (k,)       mixing weights          mu (k, d) means       Sigma (k, d, d) covariances
    L_j    (d, d)     lower Cholesky factor, Sigma_j = L_j L_j^T
    gamma  (n, k)     responsibilities, gamma[i, j] = p(z_i = j | x_i, theta)
    N_j               sum_i gamma[i, j], the effective number of points of component j

Everything is computed in log space: the Mahalanobis term ||L_j^{-1}(x_i - mu_j)||^2 comes from
the Cholesky factor (never an explicit inverse of a covariance), and log-sum-exp is applied once
per E-step.  The sums over the n points are done by `emlib._blocked`, block of rows by block of
rows, on the data prepared once per fit (laid out feature by feature); the per-point
arrays are laid out (k, n) there, and the public functions return the (n, k) view the notebooks use.
"""
from dataclasses import dataclass

import numpy as np
from scipy.special import entr

from . import _blocked, covariance
from ._checks import (
    FLOAT64,
    check_data,
    check_data_matches,
    check_enough_points,
    check_number,
    check_params,
    check_responsibilities,
    check_spread,
    memory_for,
    rounding_tolerance,
)
from ._blocked import LOG_2PI  # noqa: F401  (re-exported: the exercises' checks use it)
from .covariance import check_covariance_type, check_structure, is_diagonal
from .gmm import GMM
from .init import INITIALISATIONS, as_generator
from .prior import _log_prior, check_prior, map_update

TOO_FAR = ("X has points so far from the components that their squared distances overflow "
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
def _log_joint(data, params):
    """(k, n) array of log pi_j + log N(x_i | mu_j, Sigma_j), refused unless all finite."""
    out = _blocked.log_joint(data, params, np.empty((params.k, data.n)))
    if not np.all(np.isfinite(out)):
        raise ValueError(TOO_FAR)
    return out


def log_densities(X, params):
    """Log density of every point under every component.

    log N(x_i | mu_j, Sigma_j) = -1/2 [ d log(2 pi) + log|Sigma_j| + (x_i - mu_j)^T Sigma_j^{-1} (x_i - mu_j) ]

    with log|Sigma_j| = 2 sum log diag(L_j) and the quadratic form ||L_j^{-1}(x_i - mu_j)||^2.

    X: (n, d).  Returns (n, k).  A point so far from a component that its squared distance
    overflows (beyond ~1e154 standard deviations) is refused (ValueError), never -inf or NaN.
    """
    X, params = _checked(X, params)
    return (_log_joint(_blocked.Data(X), params) - np.log(params.weights)[:, None]).T


def _e_step(data, params, out=None):
    """E-step on prepared data: gamma (k, n), written into out if given, and the log-likelihood."""
    if out is None:
        out = np.empty((params.k, data.n))
    resp, loglik = _blocked.responsibilities(data, params, out)
    if not np.isfinite(loglik):                    # a point whose every squared distance overflowed
        raise ValueError(TOO_FAR)
    return resp, loglik


def e_step(X, params):
    """Responsibilities: how much each component explains each point (the E-step).

    gamma[i, j] = pi_j N(x_i | mu_j, Sigma_j) / sum_l pi_l N(x_i | mu_l, Sigma_l)

    computed as exp(a_ij - logsumexp_l a_il) with a_ij = log pi_j + log N(x_i | mu_j, Sigma_j),
    so that a point far from every component still gets a valid row.

    X: (n, d) data; params: GMM.  Returns gamma (n, k), rows summing to 1, and the total
    log-likelihood  log p(X | theta) = sum_i logsumexp_j a_ij  (a float).

    How it is computed (emlib._blocked.log_joint and .responsibilities): a block of a few
    thousand points at a time, every component whitened by one matrix product with the stacked
    inverse Cholesky factors, and the log-sum-exp done while the block is in cache.
    """
    X, params = _checked(X, params)
    resp, loglik = _e_step(_blocked.Data(X), params)
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
    log_joint = _log_joint(_blocked.Data(X), params)
    return float(np.sum(resp * log_joint.T) + entr(resp).sum())


# ----------------------------------------------------------------------------------------
# The M-step
# ----------------------------------------------------------------------------------------
def _statistics(data, resp, covariance_type="full"):
    """The weighted sums the M-step needs, from gamma (k, n) on prepared data:

    N_j = sum_i gamma[i, j],   mu_j = (1 / N_j) sum_i gamma[i, j] x_i,
    S_j = sum_i gamma[i, j] (x_i - mu_j)(x_i - mu_j)^T          (the scatter matrices)

    Returns N (k,), mu (k, d), and S (k, d, d), or for the diagonal structures ("diag",
    "spherical"), which read nothing else, only its diagonals diag(S_j), (k, d).  Raises
    CollapseError when some N_j is 0.
    """
    counts = resp.sum(axis=1)
    for j in np.flatnonzero(counts < data.n * FLOAT64.eps):
        raise CollapseError(
            f"component {j} has collapsed: its total responsibility N_{j} = {counts[j]:.3g}, "
            "so it explains none of the points; start from other initial parameters",
            component=int(j),
        )
    with np.errstate(over="ignore", invalid="ignore"):  # sums beyond 1e308: refused below
        means = _blocked.means(data, resp, counts)
        if is_diagonal(covariance_type):
            scatter = _blocked.diagonal_scatter(data, resp, counts, means)
        else:
            scatter = _blocked.scatter(data, resp, means)
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(scatter))):
        raise ValueError("X has values so large that their weighted sums or squared deviations "
                         f"overflow (beyond {FLOAT64.max:.3g}); rescale X")
    return counts, means, scatter


def _m_step(data, resp, reg_covar, covariance_type="full", prior=None):
    """M-step on prepared data and gamma (k, n).  Raises CollapseError.

    The sums over the points are all in _statistics; what is made of them afterwards is where
    the covariance structure (emlib.covariance) and the prior (emlib.prior) act.
    """
    counts, means, scatter = _statistics(data, resp, covariance_type)
    if prior is None:
        weights = counts / counts.sum()      # N_j / n, still summing to 1 if gamma was rounded
        covariances = covariance.UPDATES[covariance_type](counts, scatter)
    else:
        weights, means, covariances = map_update(covariance_type, counts, means, scatter, prior)
    covariances[:, np.arange(data.d), np.arange(data.d)] += reg_covar
    cholesky, singular = _cholesky_or_singular(covariances, None if reg_covar else (means, data.center[:, 0]))
    for j in singular:
        raise CollapseError(
            f"component {j} has collapsed: its covariance is singular (its points lie on a single "
            f"point, line or plane, e.g. duplicated points); {_reg_covar_hint(data, reg_covar)}",
            component=int(j),
        )
    return GMM._valid(weights, means, covariances, cholesky, covariance_type)


def _cholesky_or_singular(covariances, about=None):
    """The Cholesky factors L_j (k, d, d) of the covariances, and the indices of those that are
    singular up to rounding, judged without units (then L is None).

    On the correlation scale, R = D^{-1/2} Sigma D^{-1/2} (D = diag(Sigma)), a change of units
    does not show.  Its smallest eigenvalue lambda_min(R) is estimated, within a factor d, by

        lambda_hat = 1 / trace(R^{-1}) = 1 / sum_{i,r} (L^{-1})_ir^2 Sigma_rr,
        lambda_min(R) / d <= lambda_hat <= lambda_min(R),

    from the inverse Cholesky factor (`_blocked.inverse_factors`: numpy, no LAPACK call), and
    lambda_hat at the level of float64 rounding (10 d eps) means the component has lost a
    dimension (its points lie on a point, line or plane).  A covariance that is not even
    positive definite, or has a zero variance, is singular too.  (The Cholesky pivots relative
    to Sigma_rr, which this used to judge by, are only an upper bound on lambda_min(R): a
    component on 4 points in 4-D, its covariance exactly singular, kept a last pivot of 1.7e-14,
    80 eps, from rounding, and EM went on with it, its log-likelihood falling by 1.3:
    tests/test_properties.py found it.)

    R cannot see a component that has shrunk onto one point in every direction at once:
    a diagonal covariance has R = I whatever its size (a spherical one from a single point
    keeps a variance of one rounding step squared, ~1e-32).  So, given about = (mu (k, d), c (d,)),
    the means and the data's mean they were computed about, a component is singular, too, when
    one of its standard deviations sqrt(Sigma_ff) is within 100 rounding steps of the numbers it
    was computed from: sqrt(Sigma_ff) <= 100 eps max(|mu_f|, |c_f|).  Both sides scale with
    feature f's units.  The M-step asks this only without reg_covar: a reg_covar > 0 is a floor
    under every variance that the user chose, and then lambda_hat alone judges.
    """
    def smallest_eigenvalue(cov):                   # lambda_hat of R; 0 when not positive definite
        try:
            L = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            return None, 0.0
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):   # inf or NaN: singular
            inverse = _blocked.inverse_factors(L.reshape(-1, *L.shape[-2:])).reshape(L.shape)
            trace = np.einsum("...ir,...r->...", inverse * inverse, np.diagonal(cov, axis1=-2, axis2=-1))
            return L, 1 / trace

    L, lam = smallest_eigenvalue(covariances)       # all k at once, unless one is not SPD
    if L is None:
        lam = np.array([smallest_eigenvalue(cov)[1] for cov in covariances])
    singular = ~(lam > 10 * covariances.shape[1] * FLOAT64.eps)
    if about is not None:
        means, center = about
        with np.errstate(invalid="ignore"):                                # a negative variance: NaN, singular
            spread = np.sqrt(np.diagonal(covariances, axis1=1, axis2=2))
        singular |= np.any(~(spread > 100 * FLOAT64.eps * np.maximum(np.abs(means), np.abs(center))), axis=1)
    singular = np.flatnonzero(singular)
    return (None if singular.size else L), singular


def _reg_covar_hint(data, reg_covar):
    """What to do about a collapse, in the data's units: a reg_covar small against every
    feature's variance (a millionth of the smallest)."""
    if reg_covar > 0:
        return f"increase reg_covar (now {reg_covar:.3g}) to keep it positive definite"
    variances = data.variances()
    if not np.any(variances > 0):
        return "pass reg_covar > 0 to keep it positive definite"
    return (f"pass reg_covar > 0 to keep it positive definite, e.g. reg_covar={1e-6 * variances[variances > 0].min():.2g} "
            "(a millionth of the smallest variance of X's features)")


def m_step(X, resp, reg_covar=0.0, covariance_type="full", prior=None):
    """The closed-form updates that maximise the expected complete-data log-likelihood (the M-step).

    N_j     = sum_i gamma[i, j]
    pi_j    = N_j / n                                                 (the M-step for the weights)
    mu_j    = (1 / N_j) sum_i gamma[i, j] x_i                         (the M-step for the means)
    Sigma_j = (1 / N_j) sum_i gamma[i, j] (x_i - mu_j)(x_i - mu_j)^T  + reg_covar I
                                                                      (the M-step for the covariances)

    That is the covariances' update for covariance_type="full".  The other structures
    (emlib.covariance) maximise the same function among the covariances they allow; with the
    scatter matrices S_j = sum_i gamma[i, j] (x_i - mu_j)(x_i - mu_j)^T,
        "tied"       Sigma_j = sum_l S_l / n           (one covariance, shared by all)
        "diag"       Sigma_j = Diag(S_j) / N_j          (the variances only)
        "spherical"  Sigma_j = tr(S_j) / (d N_j) I      (one variance per component)
    each + reg_covar I, which is how scikit-learn adds it.

    With a prior (an emlib.prior.Prior, e.g. emlib.default_prior(X, k)) the updates maximise
    the expected complete-data log-likelihood plus log p(theta) instead (MAP-EM): the means are
    pulled towards the prior's mean, the prior's scale joins the scatter matrices, and no
    covariance can become singular (equations in emlib.prior).

    X: (n, d) data; resp: gamma, (n, k); covariance_type: "full", "tied", "diag" or
    "spherical".  Returns a GMM of that covariance_type.  Raises CollapseError (a ValueError)
    naming the component when one has no responsibility left or a singular covariance (judged
    without units: see _cholesky_or_singular), with a suggested reg_covar in the units of X.

    How it is computed: the sums over points (N_j; then mu_j, about the data's mean; then the
    scatter matrices S_j = sum_i gamma[i, j] (x_i - mu_j)(x_i - mu_j)^T, from each component's
    own mean, or only their diagonals for "diag" and "spherical") are taken by `_statistics`,
    block of rows by block of rows (emlib._blocked.means, .scatter, .diagonal_scatter); the
    covariances are then made of them by emlib.covariance (or emlib.prior.map_update).
    """
    X = check_data(X)
    resp = check_responsibilities(resp, X.shape[0])
    check_enough_points(X.shape[0], resp.shape[1])
    reg_covar = check_number(reg_covar, "reg_covar", minimum=0)
    covariance_type = check_covariance_type(covariance_type)
    prior = check_prior(prior, X.shape[1])
    check_spread(X)
    return _m_step(_blocked.Data(X), np.ascontiguousarray(resp.T), reg_covar, covariance_type, prior)


# ----------------------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FitResult:
    """What `fit` returns.

    params            GMM, the parameters after the last iteration, theta_T.
    log_likelihoods   (T + 1,) array: log p(X | theta_t) for t = 0 (the initial parameters) .. T.
    objectives        (T + 1,) array: what EM climbs, which never decreases: the log-likelihoods
                      themselves, or with a prior log p(X | theta_t) + log p(theta_t) (MAP-EM).
    n_iter            T, the number of EM iterations (E-step + M-step) done.
    converged         True when the stopping rule fired before max_iter.
    responsibilities  (n, k): gamma under the final parameters theta_T.
    history           tuple (theta_0, ..., theta_T) of GMMs when fit(..., keep_history=True), else None.
    """

    params: GMM
    log_likelihoods: np.ndarray
    objectives: np.ndarray
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
        keep_history=False, covariance_type=None, prior=None):
    """Fit a Gaussian mixture by EM (MAP-EM with a prior).

    Iteration t (t = 1, 2, ...) is one M-step on the responsibilities of theta_{t-1} followed by
    the E-step of the new parameters theta_t, which gives L_t = log p(X | theta_t).  EM climbs
    the objective O_t = L_t, or with a prior O_t = L_t + log p(theta_t) (emlib.prior).

    Stopping rule: stop after iteration t, with converged=True, as soon as the objective per
    point changed by less than tol,
        |O_t - O_{t-1}| / n < tol,
    and otherwise after max_iter iterations (converged=False).  With tol=0 it runs exactly
    max_iter iterations.  (scikit-learn's tol means the same, on the same per-point scale.)
    max_iter=0 runs none: the result is the start theta_0 with its log-likelihood L_0 and
    responsibilities (n_iter=0, converged=False), which is how to evaluate a start.

    X: (n, d) data.
    init: a GMM (the starting parameters theta_0), or the number of components k, in which case
        theta_0 = init_kmeanspp(X, k, rng) (init_method="kmeans++") or init_random(X, k, rng)
        (init_method="random"); rng (a seed or numpy.random.Generator) is then required.
        Every argument given is checked, even when a GMM start makes rng and init_method unused.
    reg_covar: added to the diagonal of every covariance in every M-step (0: none), in the
        units of X (squared): choose it small against the variances of X's features.
    keep_history: keep theta_0 .. theta_T in the result (to animate the fit).
    covariance_type: "full", "tied", "diag" or "spherical" (mclust's VVV, EEE, VVI, VII; see
        emlib.covariance): the structure every M-step gives the covariances.  By default that
        of init when it is a GMM, else "full".  A GMM start must have the structure asked for
        (a "full" GMM with diagonal covariances may start a "diag" fit).
    prior: None (maximum likelihood), or an emlib.prior.Prior such as emlib.default_prior(X, k):
        then every M-step is the MAP update, and no covariance can become singular.

    Returns a FitResult.  Raises CollapseError (a ValueError) naming the component and the
    iteration when a component collapses.
    """
    X = check_data(X)
    max_iter = check_number(max_iter, "max_iter", minimum=0, integer=True)
    tol = check_number(tol, "tol", minimum=0)
    reg_covar = check_number(reg_covar, "reg_covar", minimum=0)
    initialise = _initialisation(init_method)
    if rng is not None:
        rng = as_generator(rng)
    if covariance_type is not None:
        covariance_type = check_covariance_type(covariance_type)
    prior = check_prior(prior, X.shape[1])
    if isinstance(init, GMM):
        params = init
        check_data_matches(X, params, p_name="init")
        check_enough_points(X.shape[0], params.k)
        check_spread(X)
        if covariance_type not in (None, init.covariance_type):
            check_structure(init.covariances, covariance_type, rounding_tolerance(np.float64), "init.covariances")
            params = GMM._valid(init.weights, init.means, init.covariances, init.cholesky, covariance_type)
    else:
        if isinstance(init, bool) or not isinstance(init, (int, np.integer)):
            raise TypeError(
                f"init must be an emlib.GMM (the starting parameters) or an integer (the number "
                f"of components), not {type(init).__name__} ({init!r})"
            )
        if rng is None:
            raise ValueError(f"init={init} components needs rng (a seed or a numpy.random.Generator) "
                             "so that the starting point is reproducible")
        params = initialise(X, init, rng, covariance_type or "full")   # checks X's spread
    covariance_type = params.covariance_type

    data = _blocked.Data(X)
    run = em_loop(
        params,
        e_step=lambda params, resp: _e_step(data, params, out=resp),     # gamma_{t-1}'s memory reused
        m_step=lambda resp: _m_step(data, resp, reg_covar, covariance_type, prior),
        log_prior=lambda params: _log_prior(params, prior),
        n=data.n, max_iter=max_iter, tol=tol, keep_history=keep_history,
    )
    return FitResult(
        params=run.params,
        log_likelihoods=run.log_likelihoods,
        objectives=run.objectives,
        n_iter=run.n_iter,
        converged=run.converged,
        responsibilities=run.responsibilities.T,
        history=run.history,
    )


@dataclass(frozen=True, eq=False)
class Run:
    """What `em_loop` returns: its fields as in FitResult (responsibilities as e_step made them)."""

    params: object
    log_likelihoods: np.ndarray
    objectives: np.ndarray
    n_iter: int
    converged: bool
    responsibilities: np.ndarray
    history: tuple = None


def em_loop(params, e_step, m_step, log_prior, *, n, max_iter, tol, keep_history=False):
    """The EM loop, for any mixture (`fit` here, `emlib.bernoulli.fit`): from theta_0 = params,

    gamma_0, L_0 = E-step(theta_0);  then for t = 1, 2, ...:
        theta_t = M-step(gamma_{t-1});   gamma_t, L_t = E-step(theta_t);   O_t = L_t + log p(theta_t)

    until |O_t - O_{t-1}| < tol n (converged) or t = max_iter.

    e_step(params, resp) -> (gamma, L): resp is gamma_{t-1}, whose memory it may reuse (None at
    t = 0); m_step(gamma) -> params, raising CollapseError, which is raised again naming the
    iteration; log_prior(params) -> log p(theta), 0.0 without a prior.  Returns a Run.
    """
    resp, loglik = e_step(params, None)
    log_likelihoods, objectives = [loglik], [loglik + log_prior(params)]
    history = [params] if keep_history else None
    converged, t = False, 0
    while t < max_iter and not converged:
        t += 1
        try:
            params = m_step(resp)
        except CollapseError as err:
            raise CollapseError(f"iteration {t}: {err}", err.component, t) from None
        resp, loglik = e_step(params, resp)
        log_likelihoods.append(loglik)
        objectives.append(loglik + log_prior(params))
        if keep_history:
            history.append(params)
        converged = abs(objectives[-1] - objectives[-2]) < tol * n
    return Run(params=params, log_likelihoods=np.array(log_likelihoods), objectives=np.array(objectives),
               n_iter=t, converged=converged, responsibilities=resp,
               history=tuple(history) if keep_history else None)


def fit_restarts(X, k, *, n_init=10, rng, init_method="kmeans++", covariance_type="full", **fit_options):
    """Run EM from n_init starting points and keep the fit with the highest objective.

    EM only finds a local maximum; which one depends on the start.  Start r (r = 0 .. n_init-1)
    draws its initial parameters, of the structure covariance_type, from the one generator made
    from rng, in turn, so the whole run is reproducible.  A start whose fit collapses
    (CollapseError) is recorded as NaN.  The best fit is the one with the highest final
    objective: the log-likelihood, or with a prior the log-likelihood plus the log-prior.

    X: (n, d); k: number of components; covariance_type: "full", "tied", "diag" or
    "spherical"; fit_options: passed to fit (max_iter, tol, reg_covar, prior).
    Returns the best FitResult and the final objective of every start, (n_init,) (their
    log-likelihoods, without a prior).
    """
    X = check_data(X)
    n_init = check_number(n_init, "n_init", minimum=1, integer=True)
    initialise = _initialisation(init_method)
    covariance_type = check_covariance_type(covariance_type)
    rng = as_generator(rng)
    with memory_for("n_init", n_init, "the final log-likelihoods of that many starts"):
        finals = np.full(n_init, np.nan)
    best = None
    for r in range(n_init):
        try:
            result = fit(X, initialise(X, k, rng, covariance_type), **fit_options)
        except CollapseError:
            continue
        finals[r] = result.objectives[-1]
        if best is None or finals[r] > best.objectives[-1]:
            best = result
    if best is None:
        hint = _reg_covar_hint(_blocked.Data(X), float(fit_options.get("reg_covar", 0.0)))
        raise CollapseError(f"all {n_init} starts collapsed; {hint}", component=None)
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
