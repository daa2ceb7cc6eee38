"""emlib: the EM algorithm for Gaussian mixture models, in short functions named as the notebooks name them.

    GMM(weights, means, covariances, covariance_type="full")
                                       the parameters theta = (pi, mu, Sigma), validated, immutable
    e_step(X, params)                  responsibilities gamma (n, k) and the log-likelihood
    m_step(X, resp, reg_covar=0, covariance_type="full", prior=None)
                                       the closed-form updates, a new GMM
    log_likelihood(X, params)          sum_i log sum_j pi_j N(x_i | mu_j, Sigma_j)
    lower_bound(X, params, q)          the bound B(q, theta) <= log-likelihood that EM climbs
    fit(X, init, ...)                  the EM loop, a FitResult (covariance_type=, prior=)
    fit_restarts(X, k, n_init, rng)    the best of several starts
    init_random, init_kmeanspp         starting points
    kmeans(X, init_means)              Lloyd's algorithm, k-means as hard EM (emlib.kmeans)
    default_prior(X, k), log_prior     the conjugate prior of MAP-EM (emlib.prior)
    emlib.covariance                   the covariance structures: full, tied, diag, spherical
    emlib.selection                    parameter counts, BIC, AIC, choose_k
    emlib.bernoulli                    EM for a mixture of multivariate Bernoullis
    emlib.compare                      match components across fits (label switching)
    emlib.data                         the seed's data, sampling from any mixture
    emlib.exercises                    checks for the notebooks' write-it-yourself exercises
    emlib.seed                         the user's original script, kept as written
"""
from .em import (
    CollapseError, FitResult, e_step, fit, fit_restarts, log_densities, log_likelihood, lower_bound, m_step,
)
from .gmm import GMM
from .init import init_kmeanspp, init_random
from .kmeans import kmeans
from .prior import Prior, default_prior, log_prior
from . import bernoulli, covariance

__all__ = [
    "GMM", "e_step", "m_step", "log_likelihood", "log_densities", "lower_bound", "fit", "fit_restarts", "FitResult",
    "CollapseError", "init_random", "init_kmeanspp", "kmeans", "Prior", "default_prior", "log_prior",
]
__version__ = "0.1.0"
