"""A fitted mixture is a density: how typical each point is, and which class a point belongs to.

    log p(x_i | theta) = logsumexp_j [log pi_j + log N(x_i | mu_j, Sigma_j)]     (score_samples)
    log p(x_i | theta_c), one column per class                             (class_log_densities)

A point of low density is one the mixture finds unusual (anomaly detection: flag the points
whose log density falls below a threshold).  With one mixture theta_c per class c and the class
priors P(c), Bayes' rule gives each point's class posterior (a generative classifier):

    log P(c | x_i) = log P(c) + log p(x_i | theta_c) - logsumexp_l [log P(l) + log p(x_i | theta_l)]

Both are computed in log space: far from the data every density underflows to 0 in float64
(below about 1e-308, a log density below -708), but its logarithm does not.  One Gaussian per
class with a full covariance is quadratic discriminant analysis (QDA; Hastie, Tibshirani &
Friedman 2009, ESL section 4.3).
"""
import numpy as np
from scipy.special import logsumexp

from . import _blocked
from ._checks import check_data, check_data_matches, check_params, check_weights
from .em import _checked, _log_joint


def score_samples(X, params):
    """The log density of each point under the mixture: high where the data are, low far away.

    log p(x_i | theta) = log sum_j pi_j N(x_i | mu_j, Sigma_j) = logsumexp_j a_ij,
    a_ij = log pi_j + log N(x_i | mu_j, Sigma_j)

    (scikit-learn's GaussianMixture.score_samples; their sum is emlib.log_likelihood.)  Computed
    from the a_ij of the E-step (Cholesky factors, log space), so a point far from every
    component gets a finite, very negative value, never -inf.

    X: (n, d) data; params: GMM.  Returns (n,) floats.
    """
    X, params = _checked(X, params)
    return logsumexp(_log_joint(_blocked.Data(X), params), axis=0)


def class_log_densities(X, class_mixtures):
    """The log density of each point under each class's mixture.

    L[i, c] = log p(x_i | theta_c) = score_samples(X, theta_c)[i]

    X: (n, d) data; class_mixtures: a sequence of C GMMs, one per class, all of dimension d.
    Returns L (n, C).
    """
    X = check_data(X)
    return np.column_stack([score_samples(X, params) for params in _check_mixtures(class_mixtures, X)])


def class_posterior(X, class_mixtures, class_priors):
    """The probability of each class given each point, by Bayes' rule (a generative classifier).

    P(c | x_i) = P(c) p(x_i | theta_c) / sum_l P(l) p(x_i | theta_l)
               = exp(b_ic - logsumexp_l b_il),   b_ic = log P(c) + log p(x_i | theta_c)

    with log p(x_i | theta_c) = class_log_densities(X, class_mixtures)[i, c], the class's
    mixture density.  The predicted class is the column of the largest posterior.

    X: (n, d) data; class_mixtures: a sequence of C GMMs, one per class, all of dimension d;
    class_priors: (C,) positive, summing to 1 (e.g. the classes' frequencies in the training
    data).  Returns (n, C): row i holds P(c | x_i), summing to 1.
    """
    X = check_data(X)
    priors = _check_priors(class_priors, len(_check_mixtures(class_mixtures, X)))
    b = class_log_densities(X, class_mixtures) + np.log(priors)
    return np.exp(b - logsumexp(b, axis=1, keepdims=True))


def _check_mixtures(class_mixtures, X):
    if isinstance(class_mixtures, (str, bytes)) or not np.iterable(class_mixtures):
        raise TypeError("class_mixtures must be a sequence of emlib.GMM, one per class, "
                        f"not {type(class_mixtures).__name__}")
    mixtures = list(class_mixtures)
    if not mixtures:
        raise ValueError("class_mixtures is empty: give one emlib.GMM per class")
    for c, params in enumerate(mixtures):
        check_params(params, f"class_mixtures[{c}]")
        check_data_matches(X, params, p_name=f"class_mixtures[{c}]")
    return mixtures


def _check_priors(class_priors, n_classes):
    priors = check_weights(class_priors, "class_priors")       # positive, summing to 1
    if priors.shape != (n_classes,):
        raise ValueError(f"class_priors must have shape ({n_classes},), one per class mixture, "
                         f"but has shape {priors.shape}")
    return priors
