"""Lesson 05's check: label switching, matching two mixtures' components on whole components.

    check_match(my_match)   order (k,): B's components in that order are A's

my_match(weights_a, means_a, covariances_a, weights_b, means_b, covariances_b) returns the order
of B's components that matches A's, as emlib.compare.match_components(B, A) does: B's component
order[j] is A's component j.  The cases are built by renumbering a mixture, so the right order is
known by construction (never computed by emlib); two of them share one mean between components,
where matching on the means alone cannot tell the components apart.
"""
import numpy as np
from scipy.optimize import linear_sum_assignment

from ..data import seed_true_params
from .checking import Case, Fail, Mistake, Part, array, judge, run

MEANS_ONLY = ("it looks as if you matched on the means alone: here components share a mean, so every "
              "order costs the same on the means. Add the covariances (and weights) to the cost, e.g. "
              "||mu_a - mu_b||^2 + ||Sigma_a - Sigma_b||_F^2 + (pi_a - pi_b)^2.")
INVERSE = ("your order is the inverse of the one asked for: you give, for each of B's components, the "
           "matching one of A; the check wants, for each of A's components j, the one of B (order[j]). "
           "np.argsort(order) inverts it.")


def _rotation(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _cases():
    """(title, A as (weights, means, covariances), permutation p, noise): B's component i is A's p[i]."""
    seed = seed_true_params()
    a_seed = (np.asarray(seed.weights, float), np.asarray(seed.means, float), np.asarray(seed.covariances, float))
    narrow_wide = (np.array([0.5, 0.5]), np.zeros((2, 2)), np.array([0.25 * np.eye(2), 4 * np.eye(2)]))
    stretched = np.diag([4.0, 0.25])
    turned = np.array([_rotation(t) @ stretched @ _rotation(t).T for t in (0.0, np.pi / 3, 2 * np.pi / 3)])
    three_ways = (np.array([0.2, 0.3, 0.5]), np.zeros((3, 2)), turned)
    return [("the seed's mixture, renumbered (k = 3)", a_seed, [2, 0, 1], 0.0),
            ("the seed's mixture from another start: renumbered, numbers a little off", a_seed, [1, 2, 0], 1e-3),
            ("a narrow and a wide component with one mean (k = 2)", narrow_wide, [1, 0], 0.0),
            ("three components with one mean, turned 60 degrees apart (k = 3)", three_ways, [1, 2, 0], 1e-3)]


def _match_case(call, weights_a, means_a, covariances_a, weights_b, means_b, covariances_b, expected):
    k = len(weights_a)
    got = call(weights_a=weights_a, means_a=means_a, covariances_a=covariances_a,
               weights_b=weights_b, means_b=means_b, covariances_b=covariances_b)
    order = array(got, "order", (k,))
    if not np.array_equal(np.sort(order), np.arange(k)):
        raise Fail(f"order should hold each of 0 .. {k - 1} once, but is {np.asarray(got).tolist()}",
                   "return the indices of B's components (0 .. k-1), each once: a permutation.")
    means_cost = ((means_a[:, None, :] - means_b[None, :, :]) ** 2).sum(axis=2)
    mistakes = [Mistake(INVERSE, wrong=lambda: np.argsort(expected).astype(float)),
                Mistake(MEANS_ONLY, wrong=lambda: linear_sum_assignment(means_cost)[1].astype(float))]
    judge(call, [order], [Part("order", expected.astype(float))], mistakes)


def check_match(fn):
    """Check my_match(weights_a, means_a, covariances_a, weights_b, means_b, covariances_b) -> order.

    order (k,): B's component order[j] matches A's component j (as in
    emlib.compare.match_components(B, A)), on whole components: weights, means and covariances.

    Cases: the seed's mixture renumbered, exactly and with its numbers a little off (as two fits
    from different starts are); two components with one mean, narrow and wide; three with one mean
    and turned covariances.  Recognises matching on the means alone and the inverse order.
    Prints a verdict, returns True when every case passes.
    """
    cases = []
    rng = np.random.default_rng(5)
    for title, (w, m, S), p, noise in _cases():
        p = np.array(p)
        b = dict(weights_b=w[p], means_b=m[p] + noise * rng.standard_normal(m.shape),
                 covariances_b=S[p] * (1 + noise))
        cases.append(Case(title, _match_case, dict(weights_a=w, means_a=m, covariances_a=S, **b,
                                                  expected=np.argsort(p))))
    return run(fn, cases)
