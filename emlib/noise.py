"""A Gaussian mixture with a uniform noise component: clusters, plus points that belong to none.

    p(x | theta) = pi_0 / V + sum_{j=1..k} pi_j N(x | mu_j, Sigma_j),     pi_0 + sum_j pi_j = 1

The noise component spreads its weight pi_0 evenly over a region of volume V that holds the
data (by default their bounding box, V = prod_f (max_i x_if - min_i x_if)); its density 1/V is
fixed, and only its weight is fitted.  A point far from every cluster is then explained by the
noise (its responsibility gamma_i0 near 1) instead of pulling a Gaussian onto itself: the robust
mixture of Banfield & Raftery (1993, Biometrics 49:803-821), fitted by EM as in Fraley & Raftery
(1998, Computer Journal 41:578-588; 2002, JASA 97:611-631), and mclust's
`Mclust(X, initialization = list(noise = ...))`.  (mclust's default V, `hypvol`, is the smaller
of the bounding boxes of the variables and of the principal component scores.)

Notation as in emlib.em; the responsibilities gain one column, the noise's, which comes last
(as in mclust's z):
    gamma  (n, k + 1)   gamma[i, j] for the Gaussians j = 0 .. k-1, gamma[i, k] = gamma_i0 for the noise

The Gaussian part is stored as an emlib.GMM whose weights are those of the Gaussians among
themselves, w_j = pi_j / (1 - pi_0), so that the E-step and M-step of emlib.em serve it
unchanged, and the loop is emlib.em.em_loop.  Everything is in log space.
"""
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from . import _blocked
from ._checks import FLOAT64, check_data, check_data_matches, check_enough_points, check_number, check_params, \
    check_responsibilities, check_spread
from .covariance import check_covariance_type
from .em import CollapseError, FitResult, _log_joint, _m_step, em_loop
from .gmm import GMM


@dataclass(frozen=True, eq=False)
class NoiseMixture:
    """The parameters of a Gaussian mixture with a uniform noise component.

    p(x | theta) = pi_0 / V + (1 - pi_0) sum_j w_j N(x | mu_j, Sigma_j)

    gaussians: GMM, the k Gaussians with their weights among themselves, w_j = pi_j / (1 - pi_0).
    noise_weight: pi_0, strictly between 0 and 1.
    log_volume: log V, the log of the volume of the noise region (log space: a box in 50
        dimensions easily has a volume beyond float64).

    weights gives all k + 1 weights, (pi_1 .. pi_k, pi_0), the noise's last.  Checked on
    construction, immutable.
    """

    gaussians: GMM
    noise_weight: float
    log_volume: float

    def __post_init__(self):
        check_params(self.gaussians, "gaussians")
        weight = check_number(self.noise_weight, "noise_weight", minimum=0, strict=True)
        if not weight < 1:
            raise ValueError(f"noise_weight must be < 1 (the Gaussians need some weight), got {weight}")
        object.__setattr__(self, "noise_weight", weight)
        object.__setattr__(self, "log_volume", check_number(self.log_volume, "log_volume", minimum=-np.inf))

    k = property(lambda self: self.gaussians.k, doc="Number of Gaussian components (the noise not counted).")
    d = property(lambda self: self.gaussians.d, doc="Dimension of the data.")
    volume = property(lambda self: float(np.exp(self.log_volume)), doc="V, the volume of the noise region.")

    @property
    def weights(self):
        """(k + 1,): pi_j = (1 - pi_0) w_j for the Gaussians, then pi_0 for the noise."""
        return np.append((1 - self.noise_weight) * self.gaussians.weights, self.noise_weight)

    def __repr__(self):
        return (f"NoiseMixture(k={self.k} Gaussians + noise, d={self.d}, noise_weight={self.noise_weight:.4g}, "
                f"volume={self.volume:.4g})")


def log_box_volume(X):
    """The log volume of the data's bounding box, the noise region's default.

    log V = sum_f log(max_i x_if - min_i x_if)

    X: (n, d).  Returns a float.  Refuses (ValueError) a constant feature, whose box is flat.
    """
    X = check_data(X)
    ranges = X.max(axis=0) - X.min(axis=0)
    for f in np.flatnonzero(~(ranges > 0)):
        raise ValueError(f"X[:, {f}] is constant, so the bounding box of X has volume 0; pass volume= "
                         "(the volume of the region the noise spreads over) or drop that feature")
    return float(np.log(ranges).sum())


def e_step(X, mixture):
    """Responsibilities of the k Gaussians and of the noise for each point (the E-step).

    a_ij = log pi_j + log N(x_i | mu_j, Sigma_j)      for the Gaussians, pi_j = (1 - pi_0) w_j
    a_i0 = log pi_0 - log V                            for the noise (the last column)
    gamma[i, .] = exp(a_i. - logsumexp a_i.)

    X: (n, d); mixture: NoiseMixture.  Returns gamma (n, k + 1), rows summing to 1, and the
    log-likelihood log p(X | theta) = sum_i logsumexp a_i. (a float).  The noise density 1/V is
    taken at every point, as mclust does: V is assumed to hold the data.
    """
    X, mixture = _checked(X, mixture)
    resp, loglik = _e_step(_blocked.Data(X), mixture)
    return resp.T, loglik


def log_likelihood(X, mixture):
    """log p(X | theta) = sum_i log [pi_0 / V + sum_j pi_j N(x_i | mu_j, Sigma_j)], a float."""
    return e_step(X, mixture)[1]


def m_step(X, resp, log_volume, reg_covar=0.0, covariance_type="full"):
    """The closed-form updates that maximise the expected complete-data log-likelihood (the M-step).

    N_j = sum_i gamma[i, j],   pi_0 = N_0 / n                      (the noise's weight)
    w_j = N_j / (n - N_0),   mu_j, Sigma_j as in emlib.m_step      (the Gaussians, on their own gamma)

    The noise's density 1/V is fixed, so its weight is all the M-step changes of it; each
    Gaussian's update is emlib's, with the responsibilities it has (a point that is mostly noise
    counts little).

    X: (n, d); resp: gamma (n, k + 1), the noise's column last; log_volume: log V (e.g.
    log_box_volume(X)); reg_covar, covariance_type: as for emlib.m_step.  Returns a
    NoiseMixture.  Raises CollapseError when a Gaussian collapses, or when the noise explains
    none of the points (then fit without it, emlib.fit).
    """
    X = check_data(X)
    resp = check_responsibilities(resp, X.shape[0])
    if resp.shape[1] < 2:
        raise ValueError(f"resp must have k + 1 >= 2 columns (the Gaussians', then the noise's), "
                         f"but has {resp.shape[1]}")
    check_enough_points(X.shape[0], resp.shape[1] - 1)
    log_volume = check_number(log_volume, "log_volume", minimum=-np.inf)
    reg_covar = check_number(reg_covar, "reg_covar", minimum=0)
    covariance_type = check_covariance_type(covariance_type)
    check_spread(X)
    return _m_step_noise(_blocked.Data(X), np.ascontiguousarray(resp.T), log_volume, reg_covar, covariance_type)


def fit_with_noise(X, init, *, noise_weight=0.1, volume=None, max_iter=100, tol=1e-6, reg_covar=0.0):
    """Fit a Gaussian mixture with a uniform noise component by EM.

    p(x | theta) = pi_0 / V + sum_j pi_j N(x | mu_j, Sigma_j)

    Each iteration is one M-step (`m_step`) on the responsibilities of the previous parameters,
    then the E-step (`e_step`); the log-likelihood never decreases.  Stopping rule as in
    emlib.fit: stop when |L_t - L_{t-1}| / n < tol, else after max_iter iterations.

    X: (n, d) data.  init: a GMM, the start of the k Gaussians (its covariance_type is kept);
    noise_weight: pi_0 at the start, in (0, 1), e.g. a guess of the fraction of outliers;
    volume: V, the volume of the region the noise spreads over, in the units of X (to the
    power d); None: the bounding box of X (`log_box_volume`).  reg_covar: as in emlib.fit.

    Returns an emlib FitResult whose params is a NoiseMixture and whose responsibilities are
    (n, k + 1), the noise's column last.  Raises CollapseError naming the iteration when a
    Gaussian collapses or the noise explains no point.
    """
    X = check_data(X)
    check_params(init, "init")
    check_data_matches(X, init, p_name="init")
    check_enough_points(X.shape[0], init.k)
    max_iter = check_number(max_iter, "max_iter", minimum=0, integer=True)
    tol = check_number(tol, "tol", minimum=0)
    reg_covar = check_number(reg_covar, "reg_covar", minimum=0)
    if volume is None:
        log_volume = log_box_volume(X)
    else:
        log_volume = float(np.log(check_number(volume, "volume", minimum=0, strict=True)))
    start = NoiseMixture(init, noise_weight, log_volume)
    check_spread(X)

    data = _blocked.Data(X)
    run = em_loop(
        start,
        e_step=lambda mixture, _: _e_step(data, mixture),
        m_step=lambda resp: _m_step_noise(data, resp, log_volume, reg_covar, init.covariance_type),
        log_prior=lambda mixture: 0.0,
        n=data.n, max_iter=max_iter, tol=tol,
    )
    return FitResult(params=run.params, log_likelihoods=run.log_likelihoods, objectives=run.objectives,
                     n_iter=run.n_iter, converged=run.converged, responsibilities=run.responsibilities.T)


# ----------------------------------------------------------------------------------------
# Internals: inputs already checked; gamma laid out (k + 1, n) as in emlib.em
# ----------------------------------------------------------------------------------------
def _e_step(data, mixture):
    a = np.empty((mixture.k + 1, data.n))
    a[:-1] = _log_joint(data, mixture.gaussians)            # log w_j + log N(x_i | mu_j, Sigma_j)
    a[:-1] += np.log1p(-mixture.noise_weight)               # + log(1 - pi_0): log pi_j
    a[-1] = np.log(mixture.noise_weight) - mixture.log_volume
    log_p = logsumexp(a, axis=0)
    a -= log_p
    return np.exp(a, out=a), float(log_p.sum())


def _m_step_noise(data, resp, log_volume, reg_covar, covariance_type):
    noise_count = resp[-1].sum()
    if noise_count < data.n * FLOAT64.eps:
        raise CollapseError(
            f"the noise component has collapsed: its total responsibility is {noise_count:.3g}, so it "
            "explains none of the points; fit without it (emlib.fit)", component=resp.shape[0] - 1)
    gaussians = _m_step(data, resp[:-1], reg_covar, covariance_type)   # weights N_j / (n - N_0)
    return NoiseMixture(gaussians, noise_count / data.n, log_volume)


def _checked(X, mixture):
    X = check_data(X)
    if not isinstance(mixture, NoiseMixture):
        raise TypeError(f"mixture must be an emlib.noise.NoiseMixture, not {type(mixture).__name__}")
    check_data_matches(X, mixture.gaussians, p_name="mixture")
    return X, mixture
