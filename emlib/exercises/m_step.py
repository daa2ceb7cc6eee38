"""Lesson 03's checks: the M-step, in d dimensions and in 1-D.

    check_m_step(my_m_step)        weights (k,), means (k, d), covariances (k, d, d) from X and gamma
    check_m_step_1d(my_m_step_1d)  weights, means, variances, each (k,), from 1-D x and gamma

Both compare with emlib.m_step and recognise the classic slips by recomputing the M-step with them
(`m_step_mistakes`, written independently of emlib): check_em_iteration uses the same.
"""
import numpy as np

from ..em import m_step
from .cases import NOTEBOOK, case, notebook_size_hint, responsibilities, rotated_case, seed_case, three_d_case
from .checking import Fail, Mistake, Part, array, fmt, judge, run, values

NAMES = ("weights", "means", "covariances")


def weighted_covariances(X, resp, centres, denominators, power=1):
    """sum_i gamma_ij^power (x_i - c_j)(x_i - c_j)^T / denominator_j, (k, d, d): the M-step for the
    covariances with c_j = mu_j and the denominator N_j, and its slips with others."""
    return np.array([(resp[:, j, None] ** power * (X - c)).T @ (X - c) / denominators[j]
                     for j, c in enumerate(centres)])


def plain_m_step(X, resp):
    """The M-step with numpy alone, for any resp (even a wrong one): weights, means, covariances."""
    N = resp.sum(axis=0)
    means = resp.T @ X / N[:, None]
    return N / len(X), means, weighted_covariances(X, resp, means, N)


def _centred_elsewhere(got, expected):
    """True when every got_j - expected_j is c_j c_j^T (rank one, >= 0) and one is not zero:
    sum_i gamma_ij (x_i - c)(x_i - c)^T / N_j = Sigma_j + (mu_j - c)(mu_j - c)^T for any centre c."""
    found = False
    for g, e in zip(got, expected):
        values = np.linalg.eigvalsh(0.5 * ((g - e) + (g - e).T))
        tol = 1e-7 * max(1.0, np.abs(e).max())
        if values.min() < -tol or np.sum(values > tol) > 1:
            return False
        found = found or values.max() > tol
    return found


def _regularised(got, expected):
    """True when got = expected + c I with the same c > 0 for every component (a reg_covar)."""
    d = expected.shape[1]
    c = np.mean(np.diagonal(got - expected, axis1=1, axis2=2))
    return c > 0 and np.allclose(got - expected, c * np.eye(d), rtol=0, atol=1e-3 * c)


def m_step_mistakes(X, resp, old_means=None):
    """The M-step's recognisable mistakes for the parts (weights, means, covariances), in order."""
    n, d = X.shape
    k = resp.shape[1]
    N = resp.sum(axis=0)
    weights, means, covariances = plain_m_step(X, resp)
    around = lambda centres: weighted_covariances(X, resp, centres, N)  # noqa: E731
    data_mean = np.broadcast_to(X.mean(axis=0), (k, d))
    wrong_n = n != NOTEBOOK["n"]
    mistakes = [
        Mistake("these are the updates for hard assignments (each point given wholly to its most likely "
                "component): the M-step weights every point by its responsibility gamma_ij.",
                wrong=lambda: plain_m_step(X, np.eye(k)[resp.argmax(axis=1)])),
        # the weights
        Mistake("these are N_j, the effective numbers of points: divide by n so that the weights sum to 1.",
                wrong=lambda: N, part=0),
        Mistake("the weights are pi_j = N_j / n, the average responsibility of component j, not 1/k.",
                wrong=lambda: np.full(k, 1 / k), part=0),
        Mistake(notebook_size_hint("n", dict(X=X)), wrong=lambda: N / NOTEBOOK["n"] if wrong_n else None, part=0),
        # the means
        Mistake("the means are transposed: one row per component (resp.T @ X, not X.T @ resp).",
                wrong=lambda: means.T, part=1),
        Mistake("these are sum_i gamma_ij x_i: divide by N_j to get the weighted mean.",
                wrong=lambda: resp.T @ X, part=1),
        Mistake("divide by N_j, the effective number of points of component j, not by n.",
                wrong=lambda: resp.T @ X / n, part=1),
        Mistake("this is the mean of all the data: weight each point by gamma_ij.", wrong=lambda: data_mean, part=1),
        # the covariances
        *(Mistake("the components are stacked along the wrong axis: covariances[j] must be component j's "
                  "(d, d) matrix.", wrong=lambda p=p: covariances.transpose(p), part=2)
          for p in ((1, 2, 0), (2, 0, 1), (1, 0, 2), (2, 1, 0))),
        Mistake("the covariances are not symmetric: use the same centred points on both sides of the outer product.",
                test=lambda C: not np.allclose(C, C.transpose(0, 2, 1), rtol=1e-6, atol=1e-8), part=2),
        Mistake("divide by N_j, the effective number of points of component j, not by n.",
                wrong=lambda: covariances * (N / n)[:, None, None], part=2),
        Mistake(notebook_size_hint("n", dict(X=X)),
                wrong=lambda: covariances * (N / NOTEBOOK["n"])[:, None, None] if wrong_n else None, part=2),
        Mistake("divide by N_j, not N_j - 1 (that is np.cov's unbiased estimate; the M-step is the "
                "maximum-likelihood one).", wrong=lambda: covariances * (N / (N - 1))[:, None, None], part=2),
        Mistake("only the variances are there: a full covariance has the off-diagonal terms too.",
                wrong=lambda: covariances * np.eye(d), part=2),
        Mistake("the responsibility gamma_ij is counted twice: each term of the sum is gamma_ij (x_i - mu_j)(x_i - mu_j)^T, so "
                "weight only one side of the outer product, diff.T @ (gamma_j * diff), not (gamma_j * diff).T @ "
                "(gamma_j * diff).", wrong=lambda: weighted_covariances(X, resp, means, N, power=2), part=2),
        Mistake("these are centred on the old means: the M-step for the covariances uses the new mu_j, "
                "computed just before from the same responsibilities.",
                wrong=lambda: None if old_means is None else around(old_means), part=2),
        Mistake("subtract the mean: Sigma_j sums gamma_ij (x_i - mu_j)(x_i - mu_j)^T, not gamma_ij x_i x_i^T.",
                wrong=lambda: around(np.zeros((k, d))), part=2),
        Mistake("these are centred on the mean of all the data: centre each component on its own new mean mu_j.",
                wrong=lambda: around(data_mean), part=2),
        Mistake("these are the covariances plus a constant on the diagonal (a regularisation, such as "
                "scikit-learn's reg_covar): leave it out here, the exercise asks for the plain M-step.",
                test=lambda C: _regularised(C, covariances), part=2),
        Mistake("these are centred on another point than the new mean mu_j (the old means, say): each is too "
                "large by (mu_j - c)(mu_j - c)^T. Centre on the mu_j you have just computed.",
                test=lambda C: _centred_elsewhere(C, covariances), part=2),
    ]
    return mistakes


def _weights_sum(got):
    total = float(np.sum(got[0]))
    return None if np.isclose(total, 1) else f"the weights should sum to 1; yours sum to {fmt(total)}."


def _in_order(got, shapes):
    """A Fail when the values have the right shapes in another order."""
    have = [np.shape(v) if not isinstance(v, str) else None for v in got]
    if have != list(shapes) and sorted(map(str, have)) == sorted(map(str, shapes)):
        raise Fail(f"the values came back with shapes {', '.join(map(str, have))}, expected "
                   f"{', '.join(map(str, shapes))}", "return them in the order weights, means, covariances.")


def three(got, n, k, d):
    """(weights, means, covariances) arrays from a tuple or list of three, or from anything with those
    attributes (an emlib.GMM), or a Fail saying what came back."""
    if all(hasattr(got, a) for a in NAMES):
        got = tuple(getattr(got, a) for a in NAMES)
    got = values(got, NAMES)
    _in_order(got, ((k,), (k, d), (k, d, d)))
    weights = array(got[0], "weights", (k,))
    means = array(got[1], "means", (k, d), {(d, k): "the means are transposed: one row per component, shape (k, d)."})
    covariances = array(got[2], "covariances", (k, d, d), {
        (k, n, n): "each covariance is (d, d): sum_i gamma_ij (x_i - mu_j)(x_i - mu_j)^T is diff.T @ (gamma * diff), "
                   "not diff @ diff.T, which is (n, n).",
        (d, d, k): "the components are stacked along the last axis: covariances[j] must be component j's "
                   "(d, d) matrix.",
        (k,): "each covariance is a (d, d) matrix: the outer product (x - mu)(x - mu)^T, not the inner product.",
        (k, d): "these look like variances only: each covariance is a full (d, d) matrix.",
    })
    return weights, means, covariances


def judge_m_step(call, X, resp, got, old_means=None, mistakes=(), fallback=None):
    """Judge (weights, means, covariances) against emlib.m_step(X, resp): `mistakes` first, then the
    M-step's own; fallback(got) when none explains the values (default: do the weights sum to 1?)."""
    ref = m_step(X, resp)
    scale = np.abs(X).max()
    parts = [Part("weights", ref.weights), Part("means", ref.means, scale),
             Part("covariances", ref.covariances, scale ** 2)]
    judge(call, got, parts, [*mistakes, *m_step_mistakes(X, resp, old_means)], fallback=fallback or _weights_sum)


def _m_step_case(call, X, resp):
    n, d = X.shape
    k = resp.shape[1]
    judge_m_step(call, X, resp, three(call(X=X, resp=resp), n, k, d))


def check_m_step(fn):
    """Check my_m_step(X, resp) -> (weights, means, covariances) against emlib.m_step.

    N_j = sum_i gamma_ij,  pi_j = N_j / n,  mu_j = (1/N_j) sum_i gamma_ij x_i,
    Sigma_j = (1/N_j) sum_i gamma_ij (x_i - mu_j)(x_i - mu_j)^T              (the M-step)

    Cases: hard 0/1 responsibilities (each component one group); soft ones with k = d = 2 (so a
    transposed result has the right shape and is recognised); the seed's data at its start; random
    soft responsibilities in 3-D.  Recognises weights N_j or 1/k instead of N_j / n, the notebook's
    n = 300 in place of len(X), hard assignments, covariances divided by n or N_j - 1, gamma_ij
    squared, a regularised diagonal, centred on another point than the new means (the old means,
    the data mean, zero), values returned in another order, transposed or wrongly stacked results.
    Prints a verdict, returns True when every case passes.
    """
    hard_X = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 2.0], [4.0, 4.0], [5.0, 3.0], [6.0, 5.5],
                       [4.5, 6.0], [-2.0, 5.0], [-3.0, 4.0], [-2.5, 6.5]])
    hard = np.eye(3)[[0, 0, 0, 1, 1, 1, 1, 2, 2, 2]]
    three_d = three_d_case()
    random_resp = np.random.default_rng(5).dirichlet(np.ones(3), size=len(three_d["X"]))
    return run(fn, [
        case("hard 0/1 responsibilities: each component is one group", _m_step_case, X=hard_X, resp=hard),
        case("soft responsibilities, two rotated components in 2-D", _m_step_case, **responsibilities(rotated_case())),
        case("the seed's data with the responsibilities at its start", _m_step_case, **responsibilities(seed_case())),
        case("three components in 3-D, random soft responsibilities", _m_step_case, X=three_d["X"], resp=random_resp),
    ])


# ----------------------------------------------------------------------------------------
# 1-D
# ----------------------------------------------------------------------------------------
def _one_d(mistake):
    """mistake (of the (k,), (k, 1), (k, 1, 1) M-step) for the 1-D values (k,), (k,), (k,)."""
    flat = (lambda w: w, lambda m: m[:, 0], lambda C: C[:, 0, 0])
    lift = (lambda w: w, lambda m: m[:, None], lambda v: v[:, None, None])
    if mistake.part is None:
        squeeze = lambda values: tuple(f(v) for f, v in zip(flat, values))  # noqa: E731
        unsqueeze = lambda values: tuple(f(v) for f, v in zip(lift, values))  # noqa: E731
    else:
        squeeze, unsqueeze = flat[mistake.part], lift[mistake.part]

    def wrong():
        values = mistake.wrong()
        return None if values is None else squeeze(values)
    return Mistake(mistake.hint, wrong=wrong if mistake.wrong else None,
                   test=(lambda got: mistake.test(unsqueeze(got))) if mistake.test else None, part=mistake.part)


def _m_step_1d_case(call, x, resp):
    k = resp.shape[1]
    names = ("weights", "means", "variances")
    got = values(call(x=x, resp=resp), names)
    flat = {(k, 1): "return 1-D arrays, each of shape (k,).", (1, k): "return 1-D arrays, each of shape (k,)."}
    got = [array(v, name, (k,), flat) for v, name in zip(got, names)]
    X = x[:, None]
    ref = m_step(X, resp)
    scale = np.abs(x).max()
    parts = [Part("weights", ref.weights), Part("means", ref.means[:, 0], scale),
             Part("variances", ref.covariances[:, 0, 0], scale ** 2)]
    judge(call, got, parts, [_one_d(m) for m in m_step_mistakes(X, resp)], fallback=_weights_sum)


def check_m_step_1d(fn):
    """Check my_m_step_1d(x, resp) -> (weights, means, variances), each (k,), for 1-D data x (n,).

    N_j = sum_i gamma_ij,  pi_j = N_j / n,  mu_j = (1/N_j) sum_i gamma_ij x_i,
    sigma_j^2 = (1/N_j) sum_i gamma_ij (x_i - mu_j)^2                        (the M-step in 1-D)

    Cases: hard 0/1 responsibilities; the seed's first coordinate X[:, 0] with the responsibilities
    at its start; two components with random soft responsibilities.  Recognises the mistakes
    check_m_step knows that 1-D data can show.  Prints a verdict, returns True when every case passes.
    """
    x_hard = np.array([0.0, 1.0, 0.5, 4.0, 5.0, 6.0, 4.5, -2.0, -3.0, -2.5])
    hard = np.eye(3)[[0, 0, 0, 1, 1, 1, 1, 2, 2, 2]]
    seed = responsibilities(seed_case())
    rng = np.random.default_rng(6)
    x_soft = rng.normal(size=12) * 2
    return run(fn, [
        case("hard 0/1 responsibilities: each component is one group", _m_step_1d_case, x=x_hard, resp=hard),
        case("the seed's first coordinate, X[:, 0], with the responsibilities at its start", _m_step_1d_case,
             x=seed["X"][:, 0], resp=seed["resp"]),
        case("two components, random soft responsibilities", _m_step_1d_case, x=x_soft,
             resp=rng.dirichlet(np.ones(2), size=12)),
    ])
