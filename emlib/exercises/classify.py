"""Lesson 13's check: the posterior over classes of a generative classifier (one mixture per class).

    check_class_posterior(my_class_posterior)   P(c | x_i), (n, C), by Bayes' rule in log space

The learner's function gets the points X (n, d), a list of C emlib.GMM (one mixture per class)
and the class priors (C,), and may use emlib.score_samples for each class's log density.  The
check recognises the classic slips by recomputing the posterior with them from the right class
log densities: the priors forgotten or not logged, the mixture weights left out of a class's
density, densities multiplied in linear space (they underflow far from every class), the
normalisation over the wrong axis, and a log-posterior or an unnormalised result.
"""
import numpy as np
from scipy.special import logsumexp

from ..data import sample
from ..density import class_log_densities, class_posterior
from ..em import log_densities
from ..gmm import GMM
from .cases import case, three_d_params
from .checking import Mistake, Part, array, fmt, judge, run, worst

COLUMNS = ("each column sums to 1, so the normalisation runs over the points: normalise each row over the "
           "classes (axis=1, with keepdims=True), so that each point's posteriors sum to 1.")
LOG_SPACE = ("far from every class each P(c) p(x | c) underflows to exactly 0, so the naive formula divides "
             "0 by 0. Add log P(c) to each class's log density (emlib.score_samples) and normalise each row "
             "with log-sum-exp (scipy.special.logsumexp).")


def _softmax(b):
    return np.exp(b - logsumexp(b, axis=1, keepdims=True))


def _mistakes(X, class_mixtures, class_priors):
    """The slips, each an independent wrong computation from the right class log densities."""
    log_p = class_log_densities(X, class_mixtures)
    b = log_p + np.log(class_priors)
    unweighted = np.column_stack([logsumexp(log_densities(X, params), axis=1) for params in class_mixtures])
    hardest = np.column_stack([(log_densities(X, params) + np.log(params.weights)).max(axis=1)
                               for params in class_mixtures])

    def linear():
        p = np.exp(log_p) * class_priors
        return p / p.sum(axis=1, keepdims=True)

    return [
        Mistake("the class priors are missing: Bayes' rule multiplies each class's density by its prior "
                "P(c) (in log space: add log P(c)).", wrong=lambda: _softmax(log_p)),
        Mistake("P(c) is added where log P(c) belongs: b_ic = log P(c) + log p(x_i | theta_c).",
                wrong=lambda: _softmax(log_p + class_priors)),
        Mistake("the log density is multiplied by P(c): in log space the prior is added, "
                "b_ic = log P(c) + log p(x_i | theta_c).", wrong=lambda: _softmax(log_p * class_priors)),
        Mistake("each class's density leaves out its mixture's weights: p(x | theta_c) = sum_j pi_cj "
                "N(x | mu_cj, Sigma_cj), which is emlib.score_samples(X, class_mixtures[c]).",
                wrong=lambda: _softmax(unweighted + np.log(class_priors))),
        Mistake("each class's density is its largest component's, not the sum over its components: use "
                "log-sum-exp over the components (emlib.score_samples), not max.",
                wrong=lambda: _softmax(hardest + np.log(class_priors))),
        Mistake(COLUMNS, wrong=lambda: np.exp(b - logsumexp(b, axis=0, keepdims=True))),
        Mistake("these are the log-posteriors log P(c | x_i): exponentiate them.",
                wrong=lambda: b - logsumexp(b, axis=1, keepdims=True)),
        Mistake("these are P(c) p(x_i | theta_c): divide each row by its sum, p(x_i), to get P(c | x_i).",
                wrong=lambda: np.exp(b)),
        Mistake(LOG_SPACE, wrong=linear),
    ]


def _posterior_case(call, X, class_mixtures, class_priors):
    n, C = len(X), len(class_mixtures)
    got = array(call(X=X, class_mixtures=class_mixtures, class_priors=class_priors), "the posteriors", (n, C), {
        (C, n): f"the result is transposed: one row per point, one column per class, shape (n, C) = ({n}, {C}).",
        (n,): "these look like the predicted classes: return the posteriors P(c | x_i), shape (n, C); the "
              "prediction is their argmax along axis=1.",
    })
    b = class_log_densities(X, class_mixtures) + np.log(class_priors)
    part = Part("P(c | x)", class_posterior(X, class_mixtures, class_priors),
                scale=np.abs(b).max(axis=1, keepdims=True), row=lambda i: f"point {i} at {fmt(X[i])}")
    far = b.max(axis=1) < np.log(np.finfo(float).tiny)

    def fallback(got):
        (i, _), _ = worst(got[0], part)
        if far[i]:
            return LOG_SPACE
        return None if np.allclose(got[0].sum(axis=1), 1) else "each row (a point's posteriors) should sum to 1."

    judge(call, [got], [part], _mistakes(X, class_mixtures, class_priors), fallback)


def _two_classes():
    """10 points, two classes of one rotated Gaussian each, priors 0.8 and 0.2."""
    mixtures = [GMM([1.0], [[0.0, 0.0]], [[[2.0, 1.2], [1.2, 1.0]]]),
                GMM([1.0], [[2.5, 1.0]], [[[0.5, -0.3], [-0.3, 1.5]]])]
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0], [-1.0, 1.0], [1.5, -0.5], [2.0, 2.0],
                  [0.5, -1.0], [1.2, 0.6], [2.5, 1.0]])
    return dict(X=X, class_mixtures=mixtures, class_priors=np.array([0.8, 0.2]))


def _three_classes():
    """15 points in 3-D, three classes of two components each, unequal priors."""
    weights, means, covariances = three_d_params()
    mixtures = []
    for c in range(3):
        other = (c + 1) % 3
        mixtures.append(GMM([0.7, 0.3], [means[c], means[c] + [1.0, -0.5, 0.5]],
                            [covariances[c], covariances[other]]))
    X, _ = sample(GMM(weights, means, covariances), 15, np.random.default_rng(7))
    return dict(X=X, class_mixtures=mixtures, class_priors=np.array([0.5, 0.3, 0.2]))


def _far_points():
    """5 points, three so far from both classes that every P(c) p(x | c) underflows to 0."""
    data = _two_classes()
    data["X"] = np.array([[60.0, 60.0], [0.5, 0.5], [-50.0, 40.0], [2.5, 1.0], [80.0, -70.0]])
    return data


CASES = (
    ("two classes, one Gaussian each, priors 0.8 and 0.2", _two_classes),
    ("three classes of two components each, in 3-D", _three_classes),
    ("points far from every class, such as (60, 60)", _far_points),
)


def check_class_posterior(fn):
    """Check my_class_posterior(X, class_mixtures, class_priors) -> (n, C) against
    emlib.density.class_posterior.

    P(c | x_i) = exp(b_ic - logsumexp_l b_il),   b_ic = log P(c) + log p(x_i | theta_c)   (Bayes' rule)

    Cases: two classes of one Gaussian each with priors 0.8 and 0.2; three classes of two
    components each in 3-D; points far from every class.  Recognises the priors forgotten, added
    unlogged or multiplied onto the log density, a class density without its mixture's weights or
    with max in place of log-sum-exp, normalising over the wrong axis, a log-posterior, an
    unnormalised result, the predicted classes or the transpose in place of the (n, C) array,
    rounding, and underflow in linear space.  Prints a verdict, returns True when every case passes.
    """
    return run(fn, [case(title, _posterior_case, **make()) for title, make in CASES])
