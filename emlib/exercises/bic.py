"""Lesson 07's check: the Bayesian information criterion.

    check_bic(my_bic)   -2 log p(X | theta) + p log n, a float

The verdict never shows the parameter count p (it would give the answer away) unless the value
shows a count that is off: then the hint says how to count.
"""
import numpy as np

from ..em import log_likelihood
from ..gmm import GMM
from ..data import sample, seed_data, seed_true_params
from ..selection import bic, n_parameters
from .cases import NOTEBOOK, arrays, case, log_likelihood_scale, notebook_size_hint, params_of, three_d_params
from .checking import Mistake, Part, judge, number, run


def _bic_case(call, X, weights, means, covariances):
    n, d = X.shape
    k = len(weights)
    data = dict(X=X, weights=weights, means=means, covariances=covariances)
    value = number(call(**data), "the BIC", "`return` and the BIC")
    params = params_of(data)
    expected, loglik, p = bic(X, params), log_likelihood(X, params), n_parameters(k, d)
    count = (f"there are (k - 1) + k d + k d (d + 1) / 2 = {k - 1} + {k * d} + {k * d * (d + 1) // 2} = {p} "
             "free parameters")
    mistakes = [Mistake(hint, wrong=lambda other=other: other) for other, hint in (
        (-2 * loglik + 2 * p, "this is AIC (2 per parameter): BIC charges log n per parameter."),
        (loglik - p / 2 * np.log(n), "this is the Schwarz criterion log p(X | theta) - (p/2) log n, where larger "
                                     "is better (mclust reports BIC this way): it is -1/2 times the BIC asked for "
                                     "here, -2 log p(X | theta) + p log n, where smaller is better."),
        (-loglik + p / 2 * np.log(n), "this is half the BIC: BIC = -2 log p(X | theta) + p log n."),
        (-2 * loglik + (p + 1) * np.log(n), f"{count}: only k - 1 weights are free, the last is 1 minus the others."),
        (-2 * loglik + (p + k * d * (d - 1) // 2) * np.log(n),
         f"{count}: each Sigma_j is symmetric, so only d (d + 1) / 2 of its d * d entries are free."),
        (-2 * loglik + (p + 1 + k * d * (d - 1) // 2) * np.log(n),
         f"{count}: only k - 1 weights are free, and each symmetric Sigma_j has d (d + 1) / 2 free entries."),
        (-2 * loglik + p * np.log(NOTEBOOK["n"]) if n != NOTEBOOK["n"] else None, notebook_size_hint("n", data)),
        (-loglik + p * np.log(n), "the log-likelihood is counted once: BIC = -2 log p(X | theta) + p log n."),
        (2 * loglik + p * np.log(n), "the sign of the log-likelihood term: BIC = -2 log p(X | theta) + p log n."),
        (-2 * loglik / n + p * np.log(n), "log p(X | theta) is the sum over the points, not their mean."),
        (-2 * loglik + p * np.log10(n), "use the natural logarithm of n (np.log), not log10."),
        (-2 * loglik, "the penalty p log n is missing."),
    )]

    def fallback(got):
        implied = (float(got[0]) + 2 * loglik) / np.log(n)
        if np.isfinite(implied) and abs(implied - round(implied)) < 1e-4 and round(implied) > 0:
            return f"your value is what p = {round(implied)} parameters give: {count}."
        return None

    judge(call, [value], [Part("the BIC", np.float64(expected), 2 * log_likelihood_scale(X, params))], mistakes,
          fallback)


def check_bic(fn):
    """Check my_bic(X, weights, means, covariances) -> float against emlib.selection.bic.

    BIC = -2 log p(X | theta) + p log n,   p = (k - 1) + k d + k d (d + 1) / 2

    Cases: the seed's data and the mixture it was drawn from (k = 3, d = 2); 100 points from two
    components in 3-D.  Recognises AIC's 2 in place of log n, the Schwarz form log L - (p/2) log n
    (larger is better) and half the BIC, k weights instead of k - 1, d * d covariance entries
    instead of d (d + 1) / 2, the notebook's n = 300 in place of len(X), a log-likelihood not
    doubled, of the wrong sign or averaged, log10, a missing penalty, rounding, and names any other
    parameter count the value implies.  A BIC built from a float32 log-likelihood passes, with a
    note.  Prints a verdict, returns True when every case passes.
    """
    weights, means, covariances = three_d_params()
    two = dict(weights=weights[1:] / weights[1:].sum(), means=means[1:], covariances=covariances[1:])
    X3, _ = sample(GMM(**two), 100, np.random.default_rng(4))
    return run(fn, [
        case("the seed's data and the mixture it was drawn from (k = 3, d = 2)", _bic_case, X=seed_data()[0],
             **arrays(seed_true_params())),
        case("two components in 3-D", _bic_case, X=X3, **two),
    ])
