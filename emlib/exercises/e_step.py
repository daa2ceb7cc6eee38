"""Lesson 02's checks: the E-step (responsibilities) and the log-likelihood.

    check_e_step(my_e_step)                  gamma (n, k)
    check_log_likelihood(my_log_likelihood)  log p(X | theta), a float

Both compare with emlib on the density cases (identity covariances, rotated and stretched ones,
3-D, points far from every component), and recognise the classic slips in
a_ij = log pi_j + log N(x_i | mu_j, Sigma_j) by recomputing a_ij with them (`wrong_log_joint`):
check_em_iteration uses the same.
"""
import numpy as np
from scipy.special import logsumexp

from ..em import e_step, log_likelihood
from .cases import DENSITY_CASES, case, far_rows, log_joint, log_likelihood_scale, params_of, softmax
from .checking import Fail, Mistake, Part, array, fmt, judge, number, returned, run, slip_mistakes, worst

#: aspect of a_ij -> {slip: what the learner's a_ij then does}.  `wrong_log_joint` makes each slip.
SLIPS = {
    "quadratic": {
        "covariance": "Sigma_j is used where its inverse belongs: the Mahalanobis term is "
                      "(x - mu_j)^T Sigma_j^{-1} (x - mu_j) (solve with the Cholesky factor or np.linalg.solve). "
                      "Identity covariances hide this mistake; rotated, stretched ones show it.",
        "transposed factor": "the triangular solve uses L_j^T where L_j belongs: L_j^{-1} (x - mu_j) is "
                             "solve_triangular(L_j, (X - mu_j).T, lower=True); with L_j^T the quadratic form "
                             "is another one, and only diagonal covariances hide it.",
    },
    "log_det": {
        "missing": "log|Sigma_j| is missing (the 1 / |Sigma_j|^(1/2) in front of the exponential): with "
                   "unequal covariances it does not cancel between components.",
        "halved": "log|Sigma_j| is half what it should be: from the Cholesky factor, log|Sigma_j| = "
                  "2 sum_a log L_aa (|Sigma_j| = |L_j|^2), so -1/2 log|Sigma_j| = -sum_a log L_aa.",
    },
    "half": {
        "missing": "the factor 1/2 is missing: the exponent is -1/2 (x - mu_j)^T Sigma_j^{-1} (x - mu_j).",
    },
    "weights": {
        "missing": "the weights are missing: multiply each density by pi_j (add log pi_j in log space).",
        "uniform": "the weights are taken as 1/k: use the weights given, pi_j.",
        "not logged": "pi_j is added where log pi_j belongs: a_ij = log pi_j + log N(x_i | mu_j, Sigma_j).",
    },
    "constant": {
        "missing": "the constant d log(2 pi) is missing from log N(x | mu, Sigma): it cancels in the "
                   "responsibilities but not in the log-likelihood.",
    },
}

COLUMNS = ("each column sums to 1, so the normalisation runs over the points: divide each row by its own "
           "sum (over the components j, axis=1, with keepdims=True), so that each row sums to 1.")
LOG_SUM_EXP = ("far from every component each pi_j N(x | mu_j, Sigma_j) underflows to exactly 0, so the "
               "naive formula divides 0 by 0 (or takes log 0). Work with a_ij = log pi_j + log N(x_i | mu_j, "
               "Sigma_j) and normalise with log-sum-exp (scipy.special.logsumexp), as in 'Why log space'.")


def wrong_log_joint(X, weights, means, covariances, slips):
    """a[i, j] = log pi_j + log N(x_i | mu_j, Sigma_j), (n, k), with the slips ({aspect: slip}, keys
    of SLIPS): a learner's variant, written independently of emlib, to recognise; never the reference."""
    n, d = X.shape
    k = len(weights)
    a = np.empty((n, k))
    for j, (w, mu, S) in enumerate(zip(weights, means, covariances)):
        diff = X - mu
        quadratic = slips.get("quadratic")
        if quadratic == "covariance":
            M = S
        elif quadratic == "transposed factor":
            L = np.linalg.cholesky(S)
            M = np.linalg.inv(L.T @ L)                 # |L^{-T} (x - mu)|^2 = (x - mu)^T (L^T L)^{-1} (x - mu)
        else:
            M = np.linalg.inv(S)
        quad = np.einsum("na,ab,nb->n", diff, M, diff)
        log_det = np.linalg.slogdet(S)[1] * {None: 1.0, "missing": 0.0, "halved": 0.5}[slips.get("log_det")]
        log_w = {None: np.log(w), "missing": 0.0, "uniform": -np.log(k), "not logged": w}[slips.get("weights")]
        constant = 0.0 if slips.get("constant") else d * np.log(2 * np.pi)
        a[:, j] = log_w - (1.0 if slips.get("half") else 0.5) * quad - 0.5 * log_det - 0.5 * constant
    return a


def density_mistakes(data, aspects, then, most=3):
    """A Mistake for every combination of up to `most` slips in the aspects (fewest slips first):
    then(wrong a_ij) is what the learner's function returns with them."""
    X, weights, means, covariances = (data[key] for key in ("X", "weights", "means", "covariances"))
    return slip_mistakes(SLIPS, aspects, lambda slips: then(wrong_log_joint(X, weights, means, covariances, slips)),
                         most)


def linear_space_e_step(a):
    """The E-step outside log space: pi_j N(x_i | mu_j, Sigma_j) normalised by its row sum (0/0 far away)."""
    p = np.exp(a)
    return p / p.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------------
# The E-step
# ----------------------------------------------------------------------------------------
def e_step_mistakes(a):
    """What a wrong E-step returns, from the right a_ij (n, k): whole-answer mistakes."""
    return [
        Mistake(COLUMNS, wrong=lambda: np.exp(a - logsumexp(a, axis=0, keepdims=True))),
        Mistake("these are pi_j N(x_i | mu_j, Sigma_j): divide each row by its sum, the mixture density p(x_i).",
                wrong=lambda: np.exp(a)),
        Mistake("these are the log-responsibilities log gamma_ij: exponentiate them, "
                "gamma = np.exp(a - logsumexp(a, axis=1, keepdims=True)).",
                wrong=lambda: a - logsumexp(a, axis=1, keepdims=True)),
        Mistake(LOG_SUM_EXP, wrong=lambda: linear_space_e_step(a)),
    ]


def _e_step_case(call, X, weights, means, covariances):
    n, k = len(X), len(weights)
    got = array(call(X=X, weights=weights, means=means, covariances=covariances), "gamma", (n, k), {
        (k, n): f"the result is transposed: one row per point, one column per component, shape (n, k) = ({n}, {k}).",
    })
    params = params_of(dict(weights=weights, means=means, covariances=covariances))
    a = log_joint(X, params)
    part = Part("gamma", e_step(X, params)[0], scale=np.abs(a).max(axis=1, keepdims=True),
                row=lambda i: f"point {i} at {fmt(X[i])}")
    data = dict(X=X, weights=weights, means=means, covariances=covariances)
    mistakes = [
        Mistake(COLUMNS, test=lambda g: not np.allclose(g.sum(axis=1), 1) and np.allclose(g.sum(axis=0), 1)),
        *e_step_mistakes(a),
        *density_mistakes(data, ("quadratic", "log_det", "half", "weights"), softmax),
    ]

    def fallback(got):
        (i, _), _ = worst(got[0], part)
        return (LOG_SUM_EXP if far_rows(X, params)[i] else
                None if np.allclose(got[0].sum(axis=1), 1) else "each row of gamma should sum to 1.")

    judge(call, [got], [part], mistakes, fallback)


def check_e_step(fn):
    """Check my_e_step(X, weights, means, covariances) -> gamma (n, k) against emlib.e_step.

    gamma[i, j] = pi_j N(x_i | mu_j, Sigma_j) / sum_l pi_l N(x_i | mu_l, Sigma_l)   (the E-step)

    Cases: the seed's data at its start (identity covariances); two rotated, stretched components
    with unequal weights; three components in 3-D; points far from every component.  Recognises
    Sigma where Sigma^{-1} belongs, a solve with L^T, a missing or halved log-determinant, a
    missing 1/2, weights missing or not logged, normalising over the wrong axis, an unnormalised or
    log-space result, a (gamma, log-likelihood) tuple, rounding, and underflow (use log-sum-exp).
    Prints a verdict, returns True when every case passes.
    """
    return run(fn, [case(title, _e_step_case, **make()) for title, make in DENSITY_CASES])


# ----------------------------------------------------------------------------------------
# The log-likelihood
# ----------------------------------------------------------------------------------------
def _log_likelihood_case(call, X, weights, means, covariances):
    n = len(X)
    got = call(X=X, weights=weights, means=means, covariances=covariances)
    params = params_of(dict(weights=weights, means=means, covariances=covariances))
    expected = log_likelihood(X, params)
    line = "`return` and the total log-likelihood"
    returned(got, line)
    shape = np.shape(got) if not isinstance(got, str) else ()
    if len(shape) == 1 and shape[0] == n > 1 and np.isclose(np.sum(got), expected, rtol=1e-5):
        raise Fail(f"expected one number, got an array of shape {shape}",
                   "these are the log-likelihoods of the single points: return their sum.")
    value = number(got, "the total log-likelihood", line)
    a = log_joint(X, params)
    e_rows = logsumexp(a, axis=1)
    data = dict(X=X, weights=weights, means=means, covariances=covariances)
    mistakes = [
        Mistake(LOG_SUM_EXP, wrong=lambda: np.log(np.exp(a).sum(axis=1)).sum()),
        Mistake("-inf is log 0: the product of the n densities p(x_i) underflows to 0. The log of a product "
                "is the sum of the logs: add up log p(x_i) instead of taking np.log(np.prod(...)).",
                wrong=lambda: np.log(np.prod(np.exp(e_rows)))),
        Mistake("this is the seed script's quantity sum_i log sum_j gamma_ij pi_j, not the log-likelihood "
                "sum_i log sum_j pi_j N(x_i | mu_j, Sigma_j): the densities belong inside the sum (notebook 05).",
                wrong=lambda: np.log(e_step(X, params)[0] @ weights).sum()),
        Mistake(f"this is the mean over the {n} points: the log-likelihood is their sum.", wrong=lambda: expected / n),
        Mistake("the sign is flipped: the log-likelihood of these data is negative.", wrong=lambda: -expected),
        *density_mistakes(data, ("quadratic", "log_det", "half", "weights", "constant"),
                          lambda a: logsumexp(a, axis=1).sum()),
    ]
    far = far_rows(X, params).any()
    judge(call, [value], [Part("the log-likelihood", np.float64(expected), log_likelihood_scale(X, params))],
          mistakes, fallback=lambda got: LOG_SUM_EXP if far else None)


def check_log_likelihood(fn):
    """Check my_log_likelihood(X, weights, means, covariances) -> float against emlib.log_likelihood.

    log p(X | theta) = sum_i log sum_j pi_j N(x_i | mu_j, Sigma_j)        (a sum over points)

    Cases: as for check_e_step.  Recognises the seed's quantity sum_i log sum_j gamma_ij pi_j, a mean
    instead of a sum, per-point values not summed, a flipped sign, -inf from a product of densities
    or from underflow far from every component, rounding, and the density slips (inverse, L^T,
    log-determinant, 1/2, weights, the d log 2 pi constant).
    Prints a verdict, returns True when every case passes.
    """
    return run(fn, [case(title, _log_likelihood_case, **make()) for title, make in DENSITY_CASES])
