"""A conjugate prior on a Gaussian mixture's parameters, and the MAP-EM updates it gives.

The likelihood of a Gaussian mixture has no maximum: a component that shrinks onto one point
(or onto duplicated points) makes it grow without bound, and maximum-likelihood EM collapses.
A prior p(theta) whose density vanishes as a covariance becomes singular removes those spikes.
EM then climbs the log posterior (up to a constant),

    O(theta) = log p(X | theta) + log p(theta),                          (the MAP objective)

which never decreases (the proof of the likelihood's case, with log p(theta) added to Q), and
whose M-step keeps every covariance positive definite.  `reg_covar` imitates this roughly: it
adds eps I after the M-step, and no objective backs it.

The prior (conjugate: the M-step stays closed-form, Fraley & Raftery 2007):

    pi                ~ Dirichlet(alpha, ..., alpha)
    mu_j | Sigma_j    ~ N(mu_p, Sigma_j / kappa)      (kappa = 0: no prior on the means)
    Sigma_j           ~ InvWishart(nu, Lambda)        "full"; "tied": one Sigma for all j
    sigma_jr^2        ~ InvGamma(nu / 2, Lambda_rr / 2)        "diag", each feature r
    sigma_j^2         ~ InvGamma(nu / 2, tr(Lambda) / (2 d))   "spherical"

InvWishart(nu, Lambda) has density prop. to |Sigma|^(-(nu + d + 1) / 2) exp(-tr(Lambda Sigma^-1) / 2)
(scipy.stats.invwishart(df=nu, scale=Lambda)); InvGamma(a, b) prop. to s^(-(a + 1)) exp(-b / s)
(scipy.stats.invgamma(a, scale=b)).  Together mu_j and Sigma_j have a normal-inverse-Wishart
prior (normal-inverse-gamma for the diagonal structures).

The MAP M-step maximises Q(theta) + log p(theta).  With the M-step's sums N_j, xbar_j (the
maximum-likelihood mean) and S_j (the scatter about xbar_j), n = sum_j N_j, and

    B_j = kappa N_j / (N_j + kappa) (xbar_j - mu_p)(xbar_j - mu_p)^T       (the means' pull)

the updates are (`map_update`)

    pi_j      = (N_j + alpha - 1) / (n + k (alpha - 1))
    mu_j      = (N_j xbar_j + kappa mu_p) / (N_j + kappa)
    full:       Sigma_j    = (Lambda + S_j + B_j) / (nu + N_j + d + 2)
    tied:       Sigma      = (Lambda + sum_j (S_j + B_j)) / (nu + n + d + 1 + k)
    diag:       sigma_jr^2 = (Lambda_rr + (S_j)_rr + (B_j)_rr) / (nu + N_j + 3)
    spherical:  sigma_j^2  = (tr(Lambda) / d + tr(S_j) + tr(B_j)) / (nu + d N_j + d + 2)

and with kappa = 0 (no prior on the means, so no |Sigma_j|^(-1/2) from it) the denominators
lose the means' share: 1 for full and diag, k for tied, d for spherical.  Each is the
maximum-likelihood update (`emlib.covariance`) with the prior's scale added to the scatter and
its degrees of freedom (plus a constant) to the counts: the prior acts as pseudo-observations,
and keeps every covariance above a floor (for "full", Sigma_j >= Lambda / (nu + N_j + d + 2)).

These are mclust's updates (its Fortran msvvvp, mseeep, msvvip, msviip, mclust 6.1;
Fraley & Raftery 2007), with two differences.  For "diag", mclust's VVI prior has one scale
for every feature (the mean of the features' variances), ours one per feature (Lambda_rr), so
that the fit does not depend on each feature's units.  mclust puts no prior on the weights;
our default, alpha = 1, gives the same update, and alpha > 1 is allowed.

Reference: C. Fraley and A. E. Raftery (2007), "Bayesian regularization for normal mixture
estimation and model-based clustering", Journal of Classification 24:155-181.
"""
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import gammaln, multigammaln

from ._checks import as_float_array, check_data, check_finite, check_number, check_params, check_spread, \
    rounding_tolerance
from ._blocked import LOG_2PI
from .covariance import diagonal_matrices
from .gmm import _cholesky_factors, _frozen


@dataclass(frozen=True, eq=False)
class Prior:
    """A conjugate prior on (pi, mu_1..k, Sigma_1..k): see the module's docstring for the densities.

    mean           mu_p (d,): where the means are pulled.
    shrinkage      kappa >= 0: the prior on each mean is worth kappa points at mu_p (0: none).
    dof            nu > d - 1: the inverse-Wishart's degrees of freedom, so that it is a proper
                   prior ("diag" and "spherical": twice the inverse-gamma's shape).
    scale          Lambda (d, d), symmetric positive definite: the inverse-Wishart's scale
                   ("diag" reads its diagonal, "spherical" the mean of that, tr(Lambda) / d).
    concentration  alpha >= 1: the Dirichlet's parameter (1: flat, the weights' update is the
                   maximum-likelihood one; alpha > 1 keeps every weight above (alpha - 1) /
                   (n + k (alpha - 1))).

    Checked once, here; immutable (read-only arrays).  `default_prior(X, k)` builds the default
    from the data; `dataclasses.replace(prior, shrinkage=0.1)` makes a variant, checked again.
    """

    mean: np.ndarray
    shrinkage: float
    dof: float
    scale: np.ndarray
    concentration: float = 1.0

    def __post_init__(self):
        mean = as_float_array(self.mean, "mean")
        if mean.ndim != 1 or mean.size == 0:
            raise ValueError(f"mean must have shape (d,), but has shape {mean.shape}")
        check_finite(mean, "mean")
        d = mean.size
        given = as_float_array(self.scale, "scale")
        if given.shape != (d, d):
            raise ValueError(f"scale must have shape (d, d) = ({d}, {d}) (d from mean), but has shape {given.shape}")
        check_finite(given, "scale")
        _cholesky_factors(given[None], "scale", rounding_tolerance(np.asarray(self.scale).dtype))
        shrinkage = check_number(self.shrinkage, "shrinkage", minimum=0)
        dof = check_number(self.dof, "dof", minimum=d - 1, strict=True)
        concentration = check_number(self.concentration, "concentration", minimum=1)
        for name, value in (("mean", _frozen(mean)), ("scale", _frozen(given)), ("shrinkage", shrinkage),
                            ("dof", dof), ("concentration", concentration)):
            object.__setattr__(self, name, value)

    d = property(lambda self: self.mean.size, doc="Dimension of the data.")

    def __repr__(self):
        return (f"Prior(d={self.d}, shrinkage={self.shrinkage:g}, dof={self.dof:g}, "
                f"concentration={self.concentration:g},\n    mean={np.round(self.mean, 4).tolist()},\n"
                f"    scale={np.round(self.scale, 4).tolist()})")


def default_prior(X, k):
    """The default conjugate prior for k components on data X, as Fraley & Raftery (2007) propose
    it for model-based clustering (mclust's `defaultPrior`, R/mclust.R in mclust 6.1):

    mu_p   = the mean of X              where a component with few points is pulled
    kappa  = 0.01                       the means' prior is worth 1/100 of a point: nearly flat
    nu     = d + 2                      the smallest integer for which the inverse-Wishart has a
                                        mean, E[Sigma_j] = Lambda / (nu - d - 1) = Lambda
    Lambda = cov(X) / k^(2 / d)         so that the prior's mean covariance, Lambda, has an
                                        ellipsoid of 1/k the volume of the data's:
                                        |Lambda|^(1/2) = |cov(X)|^(1/2) / k
    alpha  = 1                          a flat prior on the weights, as in mclust (which has
                                        none): the weights keep their update N_j / n

    cov(X) divides by n - 1, as R's var does; with n <= d points it is singular, and mclust (and
    we) keep only its diagonal, the features' variances.  The prior transforms with the data
    (x -> A x + b moves mu_p and Lambda the same way), so a "full" MAP fit does not depend on
    the units; for "diag" the prior uses the features' own variances Lambda_rr and for
    "spherical" their mean tr(Lambda) / d (see the module's docstring).

    X: (n, d) data, n >= 2; k: number of components.  Returns a Prior.  Raises ValueError when
    X's covariance is singular (a constant feature, or features tied by an exact linear relation).
    """
    X = check_data(X)
    k = check_number(k, "k", minimum=1, integer=True)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"X has {n} point: the default prior's scale is X's covariance, which needs "
                         "at least 2 points")
    check_spread(X)
    cov = np.atleast_2d(np.cov(X, rowvar=False, ddof=1))
    if n <= d:
        cov = np.diag(np.diag(cov))
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(
            "X's covariance is singular (a constant feature, or features tied by an exact linear "
            "relation), so it gives no default scale for the prior; drop the redundant features, "
            "or build a Prior with a scale of your own"
        ) from None
    return Prior(mean=X.mean(axis=0), shrinkage=0.01, dof=d + 2, scale=cov / k ** (2 / d))


def check_prior(prior, d, name="prior"):
    """None, or a Prior for d-dimensional data (TypeError / ValueError naming the argument)."""
    if prior is None:
        return None
    if not isinstance(prior, Prior):
        raise TypeError(f"{name} must be None or an emlib.prior.Prior (e.g. emlib.default_prior(X, k)), "
                        f"not {type(prior).__name__}")
    if prior.d != d:
        raise ValueError(f"{name} is for d={prior.d} features but X has d={d}")
    return prior


# ----------------------------------------------------------------------------------------
# The MAP M-step
# ----------------------------------------------------------------------------------------
def map_update(covariance_type, counts, means, scatter, prior):
    """The MAP M-step from the M-step's sums (equations in the module's docstring).

    counts: N (k,); means: xbar (k, d), the maximum-likelihood means; scatter: S (k, d, d)
    about them, or only their diagonals (k, d) for "diag" and "spherical"; prior: a Prior.
    Returns weights (k,), means (k, d) and covariances (k, d, d) of the structure.
    """
    k, d = means.shape
    alpha, kappa, nu, mu_p = prior.concentration, prior.shrinkage, prior.dof, prior.mean
    n = counts.sum()
    weights = (counts + alpha - 1) / (n + k * (alpha - 1))
    map_means = (counts[:, None] * means + kappa * mu_p) / (counts + kappa)[:, None]
    pull = kappa * counts / (counts + kappa)                            # kappa N_j / (N_j + kappa)
    shift = means - mu_p                                                # xbar_j - mu_p
    has_mean_prior = 1.0 if kappa > 0 else 0.0
    if covariance_type == "full":
        B = pull[:, None, None] * shift[:, :, None] * shift[:, None, :]
        covariances = (prior.scale + scatter + B) / (nu + counts + d + 1 + has_mean_prior)[:, None, None]
        covariances = 0.5 * (covariances + covariances.transpose(0, 2, 1))
    elif covariance_type == "tied":
        B = pull[:, None, None] * shift[:, :, None] * shift[:, None, :]
        pooled = (prior.scale + (scatter + B).sum(axis=0)) / (nu + n + d + 1 + k * has_mean_prior)
        covariances = np.repeat(0.5 * (pooled + pooled.T)[None], k, axis=0)
    elif covariance_type == "diag":
        b = pull[:, None] * shift**2
        variances = (np.diag(prior.scale) + scatter + b) / (nu + counts + 2 + has_mean_prior)[:, None]
        covariances = diagonal_matrices(variances)
    else:                                                                # spherical
        b = pull * (shift**2).sum(axis=1)
        variances = (np.trace(prior.scale) / d + scatter.sum(axis=1) + b) / (nu + d * counts + 2 + d * has_mean_prior)
        covariances = diagonal_matrices(np.repeat(variances[:, None], d, axis=1))
    return weights, map_means, covariances


# ----------------------------------------------------------------------------------------
# The log-prior
# ----------------------------------------------------------------------------------------
def log_prior(params, prior):
    """Log density of the parameters under the prior (the densities in the module's docstring),
    for the structure params.covariance_type:

    log p(theta) = log Dir(pi | alpha) + sum_j log N(mu_j | mu_p, Sigma_j / kappa)
                   + sum_j log InvWishart(Sigma_j | nu, Lambda)       ("full"; "tied": once)
                   (or the inverse-gamma densities of the variances, "diag" and "spherical")

    every normalising constant included, so that it is the log of a probability density.  The
    means' term is left out when kappa = 0 (a flat prior on them).  MAP-EM climbs
    log p(X | theta) + log p(theta); without a prior (prior=None) EM climbs the log-likelihood
    alone, and this returns 0.0.

    params: GMM; prior: a Prior for params.d features, or None.  Returns a float.
    """
    params = check_params(params)
    return _log_prior(params, check_prior(prior, params.d))


def _log_prior(params, prior):
    """log_prior without the checks (0.0 for prior=None)."""
    if prior is None:
        return 0.0
    k, d = params.k, params.d
    alpha, kappa, nu = prior.concentration, prior.shrinkage, prior.dof
    L = params.cholesky
    log_det = 2 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)        # log|Sigma_j|
    total = gammaln(k * alpha) - k * gammaln(alpha) + (alpha - 1) * np.log(params.weights).sum()
    if kappa > 0:
        z = np.stack([solve_triangular(L[j], params.means[j] - prior.mean, lower=True) for j in range(k)])
        total += np.sum(0.5 * d * (np.log(kappa) - LOG_2PI) - 0.5 * log_det - 0.5 * kappa * (z**2).sum(axis=1))
    if params.covariance_type in ("full", "tied"):
        M = np.linalg.cholesky(prior.scale)                                     # Lambda = M M^T
        log_det_scale = 2 * np.log(np.diag(M)).sum()
        components = range(k) if params.covariance_type == "full" else range(1)
        for j in components:
            trace = (solve_triangular(L[j], M, lower=True) ** 2).sum()          # tr(Lambda Sigma_j^-1)
            total += (0.5 * nu * log_det_scale - 0.5 * nu * d * np.log(2) - multigammaln(0.5 * nu, d)
                      - 0.5 * (nu + d + 1) * log_det[j] - 0.5 * trace)
        return float(total)
    variances = np.diagonal(params.covariances, axis1=1, axis2=2)
    if params.covariance_type == "diag":
        scales = np.broadcast_to(0.5 * np.diag(prior.scale), (k, d))
    else:                                                                       # spherical
        variances = variances[:, :1]
        scales = np.full((k, 1), 0.5 * np.trace(prior.scale) / d)
    a = 0.5 * nu
    total += np.sum(a * np.log(scales) - gammaln(a) - (a + 1) * np.log(variances) - scales / variances)
    return float(total)
