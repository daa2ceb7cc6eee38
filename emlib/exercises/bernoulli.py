"""Lesson 10's checks: the E-step and the M-step (with a Beta prior) of a mixture of Bernoullis.

    check_bernoulli_e_step(my_bernoulli_e_step)   gamma (n, k) from X (n, d), weights (k,), probabilities (k, d)
    check_bernoulli_m_step(my_bernoulli_m_step)   weights (k,), probabilities (k, d) from X, gamma and Beta(a, b)

Both compare with emlib.bernoulli and recognise the classic slips by recomputing the step with
them, written here independently of emlib: the (1 - x) log(1 - p) term forgotten or misplaced,
weights missing or not logged, products of 64 probabilities that underflow, normalising over the
wrong axis; the Beta prior's pseudo-counts left out, swapped or taken from the posterior mean.
"""
import numpy as np
from scipy.special import logsumexp

from ..bernoulli import BernoulliMixture, e_step, log_densities, m_step
from .cases import UNDERFLOW, softmax
from .checking import Case, Fail, Mistake, Part, array, judge, run, slip_mistakes, telltales, values, worst

#: The sizes of the lesson's data (binarised 8 x 8 digits, k = 10), named when a function uses them.
NOTEBOOK = dict(n=1797, k=10, d=64)
WHERE = {"n": "len(X)", "k": "len(weights) or resp.shape[1]", "d": "X.shape[1]"}


def case(title, evaluate, **data):
    """A checking.Case with n in its title and, for an IndexError or ValueError, the case's sizes."""
    X = data["X"]
    found = dict(n=X.shape[0], d=X.shape[1], k=len(data["weights"]) if "weights" in data else data["resp"].shape[1])
    other = [name for name in ("n", "k", "d") if found[name] != NOTEBOOK[name]]
    size_hint = (f"this case has {', '.join(f'{name} = {found[name]}' for name in other)}: take "
                 f"{'it' if len(other) == 1 else 'them'} from the arguments ({', '.join(WHERE[name] for name in other)}), "
                 "not from the notebook's digits.") if other else None
    return Case(title, evaluate, data, n=found["n"], size_hint=size_hint, telltales=telltales(found, NOTEBOOK))


# ----------------------------------------------------------------------------------------
# The cases: binary data and mixtures, from easy to hard (fixed numbers or fixed seeds)
# ----------------------------------------------------------------------------------------
SMALL_X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 0, 1]])


def small_case():
    """Six 4-pixel vectors, two components with equal weights."""
    return dict(X=SMALL_X.copy(), weights=np.array([0.5, 0.5]),
                probabilities=np.array([[0.8, 0.6, 0.3, 0.1], [0.2, 0.3, 0.7, 0.9]]))


def random_mixture(n, d, k, seed):
    """n binary vectors of d pixels drawn from a random mixture, and another random mixture."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.05, 0.95, (k, d))
    X = (rng.random((n, d)) < truth[rng.integers(k, size=n)]).astype(float)
    return dict(X=X, weights=rng.dirichlet(np.full(k, 3.0)), probabilities=rng.uniform(0.1, 0.9, (k, d)))


def pictures_case():
    """40 vectors of 64 pixels (8 x 8 pictures), three components with unequal weights."""
    return random_mixture(40, 64, 3, seed=10)


def confident_case():
    """Two components sure of every pixel (probabilities 2^-24 = 6e-8 and 1 - 2^-24, exact in float32
    too), patterns A and B that differ in 10 of 64 pixels, and pictures unlike both: the complements
    of A and of B mismatch each component in at least 54 pixels, so pi_j prod_d ... is below 1e-380
    and underflows to 0."""
    A = (np.random.default_rng(11).random(64) < 0.5).astype(float)
    B = np.concatenate([1 - A[:10], A[10:]])
    X = np.array([A, B, 1 - A, 1 - B, np.concatenate([B[:5], A[5:]])])
    sure = np.array([np.where(pattern == 1, 1 - 2.0 ** -24, 2.0 ** -24) for pattern in (A, B)])
    return dict(X=X, weights=np.array([0.6, 0.4]), probabilities=sure)


def log_joint(X, weights, probabilities):
    """a[i, j] = log pi_j + log p(x_i | p_j), (n, k): the reference, from emlib's log-densities."""
    return log_densities(X, BernoulliMixture(weights, probabilities)) + np.log(weights)


def far_rows(X, weights, probabilities):
    """Rows whose every pi_j p(x_i | p_j) underflows to 0 in double precision."""
    return log_joint(X, weights, probabilities).max(axis=1) < UNDERFLOW


# ----------------------------------------------------------------------------------------
# The E-step
# ----------------------------------------------------------------------------------------
#: aspect of a_ij -> {slip: what the learner's a_ij then does}.  `wrong_log_joint` makes each slip.
SLIPS = {
    "off pixels": {
        "missing": "the (1 - x_id) log(1 - p_jd) term is missing: a pixel that is off (x_id = 0) has probability "
                   "1 - p_jd under component j, not 1. Add (1 - X) @ np.log1p(-probabilities).T.",
        "swapped": "x and 1 - x are swapped: p_jd is the probability that pixel d is on (x_id = 1), so the term is "
                   "x_id log p_jd + (1 - x_id) log(1 - p_jd).",
        "every pixel": "log(1 - p_jd) is added for every pixel, also those that are on: it belongs only to the "
                       "pixels that are off, (1 - x_id) log(1 - p_jd).",
    },
    "weights": {
        "missing": "the weights are missing: add log pi_j to each component's log-probability.",
        "not logged": "pi_j is added where log pi_j belongs: a_ij = log pi_j + log p(x_i | p_j).",
        "uniform": "the weights are taken as 1/k: use the weights given, pi_j.",
    },
}
LOG_SUM_EXP = ("a product of 64 probabilities underflows to exactly 0 when the picture is unlike every "
               "component, so the naive formula divides 0 by 0. Work with a_ij = log pi_j + sum_d [x_id log p_jd "
               "+ (1 - x_id) log(1 - p_jd)] and normalise each row with log-sum-exp (scipy.special.logsumexp).")
COLUMNS = ("each column sums to 1, so the normalisation runs over the pictures: divide each row by its own sum "
           "(over the components j, axis=1, keepdims=True), so that each row sums to 1.")


def wrong_log_joint(X, weights, probabilities, slips):
    """a[i, j] = log pi_j + sum_d [x_id log p_jd + (1 - x_id) log(1 - p_jd)], (n, k), with the slips
    ({aspect: slip}, keys of SLIPS): a learner's variant, to recognise; never the reference."""
    log_p, log_q = np.log(probabilities), np.log1p(-probabilities)
    off = {None: (1 - X) @ log_q.T, "missing": 0.0, "every pixel": log_q.sum(axis=1)}
    if slips.get("off pixels") == "swapped":
        pixels = X @ log_q.T + (1 - X) @ log_p.T
    else:
        pixels = X @ log_p.T + off[slips.get("off pixels")]
    k = len(weights)
    log_w = {None: np.log(weights), "missing": 0.0, "uniform": np.full(k, -np.log(k)),
             "not logged": weights}[slips.get("weights")]
    return pixels + log_w


def products(X, weights, probabilities):
    """pi_j prod_d p_jd^x_id (1 - p_jd)^(1 - x_id), (n, k), outside log space: 0 where it underflows."""
    return weights * np.prod(np.where(X[:, None, :] == 1, probabilities, 1 - probabilities), axis=2)


def _e_step_case(call, X, weights, probabilities):
    n, k = len(X), len(weights)
    got = array(call(X=X, weights=weights, probabilities=probabilities), "gamma", (n, k), {
        (k, n): f"the result is transposed: one row per picture, one column per component, shape (n, k) = ({n}, {k}).",
    })
    a = log_joint(X, weights, probabilities)
    part = Part("gamma", e_step(X, BernoulliMixture(weights, probabilities))[0],
                scale=np.abs(a).max(axis=1, keepdims=True), row=lambda i: f"picture {i}")
    naive = lambda: products(X, weights, probabilities) / products(X, weights, probabilities).sum(axis=1, keepdims=True)  # noqa: E731
    mistakes = [
        Mistake(COLUMNS, test=lambda g: not np.allclose(g.sum(axis=1), 1) and np.allclose(g.sum(axis=0), 1)),
        Mistake(COLUMNS, wrong=lambda: np.exp(a - logsumexp(a, axis=0, keepdims=True))),
        Mistake("these are pi_j p(x_i | p_j): divide each row by its sum, p(x_i).", wrong=lambda: np.exp(a)),
        Mistake("these are the log-responsibilities log gamma_ij: exponentiate them, "
                "gamma = np.exp(a - logsumexp(a, axis=1, keepdims=True)).",
                wrong=lambda: a - logsumexp(a, axis=1, keepdims=True)),
        Mistake(LOG_SUM_EXP, wrong=naive),
        *slip_mistakes(SLIPS, SLIPS, lambda slips: softmax(wrong_log_joint(X, weights, probabilities, slips)), most=2),
    ]
    far = far_rows(X, weights, probabilities)

    def fallback(got):
        (i, _), _ = worst(got[0], part)
        if far[i]:
            return LOG_SUM_EXP
        if not np.all(np.isfinite(got[0])):
            return None                                 # judge names NaN or infinity
        return None if np.allclose(got[0].sum(axis=1), 1) else "each row of gamma should sum to 1."

    judge(call, [got], [part], mistakes, fallback)


E_STEP_CASES = (
    ("six 4-pixel vectors, two components with equal weights", small_case),
    ("8 x 8 pictures (d = 64), three components with unequal weights", pictures_case),
    ("two components sure of every pixel, and pictures unlike both (d = 64)", confident_case),
)


def check_bernoulli_e_step(fn):
    """Check my_bernoulli_e_step(X, weights, probabilities) -> gamma (n, k) against emlib.bernoulli.e_step.

    a_ij = log pi_j + sum_d [x_id log p_jd + (1 - x_id) log(1 - p_jd)]
    gamma_ij = exp(a_ij - logsumexp_l a_il)                          (the E-step)

    Cases: six 4-pixel vectors and two components; 40 pictures of 64 pixels and three components
    with unequal weights; two components sure of every pixel (6e-8 and 1 - 6e-8) and pictures
    unlike both, where every product of 64 probabilities underflows.  Recognises log(1 - p)
    forgotten, x and 1 - x swapped, log(1 - p) added for every pixel, weights missing, not logged
    or uniform, normalising over the wrong axis, an unnormalised or log-space result, a transposed
    result, rounding, and underflow (work in log space).
    Prints a verdict, returns True when every case passes.
    """
    return run(fn, [case(title, _e_step_case, **make()) for title, make in E_STEP_CASES])


# ----------------------------------------------------------------------------------------
# The M-step with a Beta(a, b) prior
# ----------------------------------------------------------------------------------------
def map_probabilities(X, resp, a, b, denominator=None):
    """(sum_i gamma_ij x_id + a - 1) / (N_j + a + b - 2), (k, d), or over another denominator (k,)."""
    N = resp.sum(axis=0)
    return (resp.T @ X + (a - 1)) / ((N + a + b - 2) if denominator is None else denominator)[:, None]


def m_step_mistakes(X, resp, a, b):
    """The M-step's recognisable mistakes for the parts (weights, probabilities), in order."""
    n, k = len(X), resp.shape[1]
    N = resp.sum(axis=0)
    ones = resp.T @ X
    hard = np.eye(k)[resp.argmax(axis=1)]
    return [
        Mistake("these are the updates for hard assignments (each picture given wholly to its most likely "
                "component): the M-step weights every picture by its responsibility gamma_ij.",
                wrong=lambda: (hard.sum(axis=0) / n, map_probabilities(X, hard, a, b))),
        # the weights
        Mistake("these are N_j, the effective numbers of pictures: divide by n so that the weights sum to 1.",
                wrong=lambda: N, part=0),
        Mistake("the weights are pi_j = N_j / n, the average responsibility of component j, not 1/k.",
                wrong=lambda: np.full(k, 1 / k), part=0),
        Mistake("the Beta prior is on the probabilities only; the weights' update is the plain pi_j = N_j / n.",
                wrong=lambda: (N + a - 1) / (n + k * (a - 1)), part=0),
        # the probabilities
        Mistake("these are the maximum-likelihood probabilities sum_i gamma_ij x_id / N_j: the prior is missing. "
                "Beta(a, b) adds a - 1 pictures with the pixel on and b - 1 with it off: "
                "(sum_i gamma_ij x_id + a - 1) / (N_j + a + b - 2).", wrong=lambda: ones / N[:, None], part=1),
        Mistake("this is the mean of the Beta posterior, (sum_i gamma_ij x_id + a) / (N_j + a + b): the M-step "
                "maximises, so it takes the posterior's mode, (sum_i gamma_ij x_id + a - 1) / (N_j + a + b - 2).",
                wrong=lambda: map_probabilities(X, resp, a + 1, b + 1), part=1),
        Mistake("a and b are swapped: a - 1 counts pictures with the pixel on (x = 1), so it goes in the numerator; "
                "b - 1 counts them off.", wrong=lambda: map_probabilities(X, resp, b, a, N + a + b - 2), part=1),
        Mistake("the denominator misses b - 1: it counts every picture, on and off, N_j + (a - 1) + (b - 1).",
                wrong=lambda: map_probabilities(X, resp, a, b, N + a - 1), part=1),
        Mistake("the denominator misses the prior's pseudo-counts: N_j + a + b - 2, not N_j.",
                wrong=lambda: map_probabilities(X, resp, a, b, N), part=1),
        Mistake("divide by N_j + a + b - 2, with N_j the effective number of pictures of component j, not n.",
                wrong=lambda: map_probabilities(X, resp, a, b, np.full(k, n + a + b - 2.0)), part=1),
        Mistake("these are the probabilities that each pixel is off, 1 - p_jd: count the pictures with the pixel "
                "on, sum_i gamma_ij x_id.", wrong=lambda: 1 - map_probabilities(X, resp, a, b), part=1),
        Mistake("the pixels are not weighted by the responsibilities: the numerator is sum_i gamma_ij x_id "
                "(resp.T @ X), not sum_i x_id.", wrong=lambda: (X.sum(axis=0) + a - 1) / (N + a + b - 2)[:, None],
                part=1),
    ]


def _m_step_fallback(got):
    weights, probabilities = got
    total = float(np.sum(weights))
    if not np.isclose(total, 1):
        return f"the weights should sum to 1; yours sum to {total:.4f}."
    if np.any((probabilities <= 0) | (probabilities >= 1)):
        return "with a Beta(a, b) prior, a, b > 1, every probability lies strictly between 0 and 1."
    return None


def _m_step_case(call, X, resp, a, b):
    n, d = X.shape
    k = resp.shape[1]
    got = values(call(X=X, resp=resp, a=a, b=b), ("weights", "probabilities"))
    if np.shape(got[0]) == (k, d) and np.shape(got[1]) == (k,) and d != 1:
        raise Fail(f"the values came back with shapes {np.shape(got[0])}, {np.shape(got[1])}, expected ({k},), "
                   f"({k}, {d})", "return them in the order weights, probabilities.")
    weights = array(got[0], "weights", (k,))
    probabilities = array(got[1], "probabilities", (k, d), {
        (d, k): "the probabilities are transposed: one row per component, shape (k, d); resp.T @ X, not X.T @ resp."})
    ref = m_step(X, resp, prior=(a, b))
    judge(call, [weights, probabilities], [Part("weights", ref.weights), Part("probabilities", ref.probabilities)],
          m_step_mistakes(X, resp, a, b), fallback=_m_step_fallback)


def check_bernoulli_m_step(fn):
    """Check my_bernoulli_m_step(X, resp, a, b) -> (weights, probabilities) against emlib.bernoulli.m_step.

    N_j = sum_i gamma_ij,   pi_j = N_j / n,
    p_jd = (sum_i gamma_ij x_id + a - 1) / (N_j + a + b - 2)      (the M-step with a Beta(a, b) prior)

    Cases: hard 0/1 responsibilities with a pixel off in every picture of one group, Beta(2, 2);
    soft responsibilities on 8 x 8 pictures, Beta(2, 2); a Beta(3, 1.5) prior (a != b).
    Recognises the prior left out, the posterior mean in place of its mode, a and b swapped, b - 1
    or both pseudo-counts missing from the denominator, dividing by n, 1 - p, unweighted pixels,
    hard assignments, weights N_j, 1/k or with the prior, values transposed or in the wrong order,
    rounding.  Prints a verdict, returns True when every case passes.
    """
    hard_X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 1, 0],
                       [1, 0, 1, 1], [0, 1, 1, 0]], dtype=float)
    hard = np.eye(2)[[0, 0, 0, 1, 1, 1, 1, 1]]
    pictures = pictures_case()
    soft = e_step(pictures["X"], BernoulliMixture(pictures["weights"], pictures["probabilities"]))[0]
    mixed = random_mixture(15, 6, 2, seed=12)
    mixed_resp = np.random.default_rng(13).dirichlet(np.ones(2), size=15)
    return run(fn, [
        case("hard 0/1 responsibilities, pixels 2 and 3 off in all of group 0, Beta(2, 2)", _m_step_case,
             X=hard_X, resp=hard, a=2.0, b=2.0),
        case("soft responsibilities on 8 x 8 pictures (d = 64), Beta(2, 2)", _m_step_case,
             X=pictures["X"], resp=soft, a=2.0, b=2.0),
        case("soft responsibilities and a Beta(3, 1.5) prior (a != b)", _m_step_case,
             X=mixed["X"], resp=mixed_resp, a=3.0, b=1.5),
    ])
