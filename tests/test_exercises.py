"""The exercise checks, both ways: right implementations pass, each classic mistake fails with its hint.

The right implementations here are written independently of emlib (scipy's
multivariate_normal for the densities, numpy for the rest); the wrong ones are the mistakes
the checks claim to recognise, one function each.  The verdict is printed, so the tests read
it from capsys.
"""
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from emlib import data, exercises


# ----------------------------------------------------------------------------------------
# Right implementations, independent of emlib
# ----------------------------------------------------------------------------------------
def log_joint(X, weights, means, covariances):
    return np.column_stack([np.log(w) + multivariate_normal.logpdf(X, mu, S)
                            for w, mu, S in zip(weights, means, covariances)])


def place(means, factors, z, e):
    """x_i = mu_{z_i} + M_{z_i} e_i, one point per row."""
    return means[z] + np.einsum("nab,nb->na", factors[z], e)


def right_sample(weights, means, covariances, n, rng):
    z = rng.choice(len(weights), size=n, p=weights)
    return place(means, np.linalg.cholesky(covariances), z, rng.standard_normal((n, means.shape[1]))), z


def right_e_step(X, weights, means, covariances):
    a = log_joint(X, weights, means, covariances)
    return np.exp(a - logsumexp(a, axis=1, keepdims=True))


def right_log_likelihood(X, weights, means, covariances):
    return float(logsumexp(log_joint(X, weights, means, covariances), axis=1).sum())


def right_m_step(X, resp):
    N = resp.sum(axis=0)
    means = resp.T @ X / N[:, None]
    diff = X[:, None, :] - means                                   # (n, k, d)
    covariances = np.einsum("nj,nja,njb->jab", resp, diff, diff) / N[:, None, None]
    return N / len(X), means, covariances


def right_em_iteration(X, weights, means, covariances):
    return right_m_step(X, right_e_step(X, weights, means, covariances))


def n_free(k, d):
    return (k - 1) + k * d + k * d * (d + 1) // 2


def right_bic(X, weights, means, covariances):
    n, d = X.shape
    return -2 * right_log_likelihood(X, weights, means, covariances) + n_free(len(weights), d) * np.log(n)


RIGHT = [
    (exercises.check_sample, right_sample),
    (exercises.check_e_step, right_e_step),
    (exercises.check_log_likelihood, right_log_likelihood),
    (exercises.check_m_step, right_m_step),
    (exercises.check_em_iteration, right_em_iteration),
    (exercises.check_bic, right_bic),
]


@pytest.mark.parametrize("check, fn", RIGHT, ids=[c.__name__ for c, _ in RIGHT])
def test_a_right_implementation_passes(check, fn, capsys):
    assert check(fn) is True
    out = capsys.readouterr().out
    assert f"{fn.__name__}: " in out and "cases pass. Well done!" in out
    assert "✗" not in out and "Hint" not in out


def verdict(check, fn, capsys, expected=()):
    """Run the check, assert it fails and prints every text in expected; return its printed verdict."""
    assert check(fn) is False
    out = capsys.readouterr().out
    missing = [text for text in expected if text not in out]
    assert not missing, f"{check.__name__}({fn.__name__}) does not say {missing}:\n{out}"
    return out


def named(name, fn):
    """fn under another name (the verdict and the test id show it)."""
    fn.__name__ = name
    return fn


# ----------------------------------------------------------------------------------------
# check_sample
# ----------------------------------------------------------------------------------------
def sample_with(name, matrix):
    """x = mu + M e with M = matrix(Sigma) in place of the Cholesky factor."""
    def fn(weights, means, covariances, n, rng):
        z = rng.choice(len(weights), size=n, p=weights)
        M = np.array([matrix(S) for S in covariances])
        return place(means, M, z, rng.standard_normal((n, means.shape[1]))), z
    return named(name, fn)


def sample_uniform_labels(weights, means, covariances, n, rng):
    z = rng.integers(len(weights), size=n)
    return place(means, np.linalg.cholesky(covariances), z, rng.standard_normal((n, means.shape[1]))), z


def sample_ignores_rng(weights, means, covariances, n, rng):
    return right_sample(weights, means, covariances, n, np.random.default_rng(0))


def sample_global_state(weights, means, covariances, n, rng):
    z = np.random.choice(len(weights), size=n, p=weights)
    return place(means, np.linalg.cholesky(covariances), z, np.random.standard_normal((n, means.shape[1]))), z


def sample_one_based(weights, means, covariances, n, rng):
    X, z = right_sample(weights, means, covariances, n, rng)
    return X, z + 1


def sample_only_X(weights, means, covariances, n, rng):
    return right_sample(weights, means, covariances, n, rng)[0]


def sample_shuffled_labels(weights, means, covariances, n, rng):
    X, z = right_sample(weights, means, covariances, n, rng)
    return X, rng.permutation(z)


#: The mistakes check_sample recognises: (wrong function, texts its verdict must contain).
SAMPLE_MISTAKES = [
    (sample_with("sample_sigma_e", lambda S: S), ["case 3 of 3", "covariance Sigma Sigma^T", "np.linalg.cholesky"]),
    (sample_with("sample_cholesky_transposed", lambda S: np.linalg.cholesky(S).T), ["case 3 of 3", "L^T e, not L e"]),
    (sample_with("sample_sqrt_entries", np.sqrt), ["case 1 of 3", "X contains NaN", "entry by entry"]),
    (sample_with("sample_identity", lambda S: np.eye(len(S))), ["case 3 of 3", "the identity"]),
    (sample_uniform_labels, ["case 3 of 3", "fraction of points from each component", "look uniform",
                             "p=weights"]),
    (sample_ignores_rng, ["case 2 of 3", "ignore its rng argument"]),
    (sample_global_state, ["case 2 of 3", "gave different samples", "not from np.random"]),
    (sample_one_based, ["case 1 of 3", "z runs from 1 to 2", "from 0 to 1"]),
    (sample_only_X, ["case 1 of 3", "expected two values back (X and z), got an ndarray",
                    "Return both the points and their components"]),
    (sample_shuffled_labels, ["case 3 of 3", "the points with z = 0 have mean", "the component z_i names"]),
]


# ----------------------------------------------------------------------------------------
# check_e_step
# ----------------------------------------------------------------------------------------
def log_joint_wrong(X, weights, means, covariances, inverse=True, log_det=True, weighted=True):
    """Log space, by hand, with the chosen mistakes."""
    cols = []
    for w, mu, S in zip(weights, means, covariances):
        diff = X - mu
        M = np.linalg.inv(S) if inverse else S
        quad = np.einsum("na,ab,nb->n", diff, M, diff)
        cols.append((np.log(w) if weighted else 0) - 0.5 * quad - 0.5 * (np.log(np.linalg.det(S)) if log_det else 0))
    return np.column_stack(cols)


def normalised(a):
    return np.exp(a - logsumexp(a, axis=1, keepdims=True))


def e_step_covariance_for_inverse(X, weights, means, covariances):
    return normalised(log_joint_wrong(X, weights, means, covariances, inverse=False))


def e_step_no_log_det(X, weights, means, covariances):
    return normalised(log_joint_wrong(X, weights, means, covariances, log_det=False))


def e_step_no_weights(X, weights, means, covariances):
    return normalised(log_joint_wrong(X, weights, means, covariances, weighted=False))


def e_step_columns(X, weights, means, covariances):
    p = np.exp(log_joint(X, weights, means, covariances))
    return p / p.sum(axis=0)


def e_step_unnormalised(X, weights, means, covariances):
    return np.exp(log_joint(X, weights, means, covariances))


def weighted_densities(X, weights, means, covariances):
    """pi_j N(x_i | mu_j, Sigma_j), (n, k), outside log space: 0 far from every component."""
    return np.column_stack([w * multivariate_normal.pdf(X, mu, S) for w, mu, S in zip(weights, means, covariances)])


def e_step_naive(X, weights, means, covariances):
    p = weighted_densities(X, weights, means, covariances)
    return p / p.sum(axis=1, keepdims=True)


def e_step_epsilon(X, weights, means, covariances):
    p = weighted_densities(X, weights, means, covariances) + 1e-300
    return p / p.sum(axis=1, keepdims=True)


def e_step_transposed(X, weights, means, covariances):
    return right_e_step(X, weights, means, covariances).T


E_STEP_MISTAKES = [
    (e_step_covariance_for_inverse, ["case 2 of 4", "✓ 1.", "Sigma_j is used where its inverse belongs"]),
    (e_step_no_log_det, ["case 2 of 4", "log|Sigma_j| is missing"]),
    (e_step_no_weights, ["case 2 of 4", "the weights are missing"]),
    (e_step_columns, ["case 1 of 4", "Each column sums to 1", "each row sums to 1"]),
    (e_step_unnormalised, ["case 1 of 4", "divide each row by its sum"]),
    (e_step_naive, ["case 4 of 4", "point 0 at [40.0000, 40.0000]", "got [nan, nan, nan]", "log-sum-exp"]),
    (e_step_epsilon, ["case 4 of 4", "point 0 at [40.0000, 40.0000]", "log-sum-exp"]),
    (e_step_transposed, ["case 1 of 4", "shape (3, 300), expected (300, 3)", "one row per point"]),
]


def test_check_e_step_verdict_shows_expected_and_got_rounded(capsys):
    out = verdict(exercises.check_e_step, e_step_covariance_for_inverse, capsys)
    line = next(l for l in out.splitlines() if l.strip().startswith("point"))
    assert "expected [" in line and "got [" in line
    numbers = line.split("expected")[1].replace("got", "").replace("[", " ").replace("]", " ").replace(",", " ").split()
    assert numbers and all(len(x.split(".")[1]) == 4 for x in numbers)


# ----------------------------------------------------------------------------------------
# check_log_likelihood
# ----------------------------------------------------------------------------------------
def log_likelihood_seed_formula(X, weights, means, covariances):
    gamma = right_e_step(X, weights, means, covariances)
    return float(np.log(gamma @ weights).sum())


def log_likelihood_mean(X, weights, means, covariances):
    return right_log_likelihood(X, weights, means, covariances) / len(X)


def log_likelihood_naive(X, weights, means, covariances):
    return float(np.log(weighted_densities(X, weights, means, covariances).sum(axis=1)).sum())


def log_likelihood_no_log_det(X, weights, means, covariances):
    a = log_joint_wrong(X, weights, means, covariances, log_det=False) - X.shape[1] / 2 * np.log(2 * np.pi)
    return float(logsumexp(a, axis=1).sum())


def log_likelihood_no_constant(X, weights, means, covariances):
    return float(logsumexp(log_joint_wrong(X, weights, means, covariances), axis=1).sum())


def log_likelihood_per_point(X, weights, means, covariances):
    return logsumexp(log_joint(X, weights, means, covariances), axis=1)


LOG_LIKELIHOOD_MISTAKES = [
    (log_likelihood_seed_formula, ["case 1 of 4", "the seed script's quantity"]),
    (log_likelihood_mean, ["case 1 of 4", "the mean over the 300 points", "their sum"]),
    (log_likelihood_naive, ["case 4 of 4", "got -inf", "log-sum-exp"]),
    (log_likelihood_no_log_det, ["case 2 of 4", "log|Sigma_j| is missing"]),
    (log_likelihood_no_constant, ["case 1 of 4", "d log(2 pi) is missing"]),
    (log_likelihood_per_point, ["case 1 of 4", "array of shape (300,)", "return their sum"]),
]


# ----------------------------------------------------------------------------------------
# check_m_step
# ----------------------------------------------------------------------------------------
def m_step_covariances(name, centres_of, divide_by=None):
    """The right weights and means; covariances around centres_of(X, resp, means), divided by divide_by(N, n)."""
    def fn(X, resp):
        weights, means, _ = right_m_step(X, resp)
        N = resp.sum(axis=0)
        centres = centres_of(X, resp, means)
        denominators = N if divide_by is None else divide_by(N, len(X))
        covariances = np.array([(resp[:, j, None] * (X - c)).T @ (X - c) / denominators[j]
                                for j, c in enumerate(centres)])
        return weights, means, covariances
    return named(name, fn)


m_step_divide_by_n = m_step_covariances("m_step_divide_by_n", lambda X, r, mu: mu,
                                        divide_by=lambda N, n: np.full_like(N, n))
m_step_unbiased = m_step_covariances("m_step_unbiased", lambda X, r, mu: mu, divide_by=lambda N, n: N - 1)
m_step_data_mean = m_step_covariances("m_step_data_mean",
                                      lambda X, r, mu: np.broadcast_to(X.mean(axis=0), mu.shape))
m_step_no_centring = m_step_covariances("m_step_no_centring", lambda X, r, mu: np.zeros_like(mu))
# "Old means": a centre the check cannot know in advance, here the means of a previous, uniform E-step.
m_step_old_means = m_step_covariances(
    "m_step_old_means", lambda X, r, mu: np.tile(X.mean(axis=0), (len(mu), 1)) + 0.5 * np.arange(len(mu))[:, None])


def m_step_unnormalised_weights(X, resp):
    _, means, covariances = right_m_step(X, resp)
    return resp.sum(axis=0), means, covariances


def m_step_uniform_weights(X, resp):
    _, means, covariances = right_m_step(X, resp)
    return np.full(resp.shape[1], 1 / resp.shape[1]), means, covariances


def m_step_transposed_outer(X, resp):
    weights, means, _ = right_m_step(X, resp)
    N = resp.sum(axis=0)
    return weights, means, np.array([(resp[:, j, None] * (X - m)) @ (X - m).T / N[j] for j, m in enumerate(means)])


def m_step_transposed_means(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return weights, X.T @ resp / resp.sum(axis=0), covariances


def m_step_means_not_divided(X, resp):
    weights, _, covariances = right_m_step(X, resp)
    return weights, resp.T @ X, covariances


def m_step_stacked_last(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return weights, means, np.moveaxis(covariances, 0, -1)


def m_step_asymmetric(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return weights, means, covariances + np.triu(np.ones(covariances.shape[1:]), 1)


def m_step_variances_only(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return weights, means, covariances * np.eye(X.shape[1])


# With k = d = 2 (case 2) a transposed result has the right shape: the values give it away.
def m_step_stacked_when_square(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return weights, means, np.moveaxis(covariances, 0, -1) if resp.shape[1] == X.shape[1] else covariances


def m_step_means_transposed_when_square(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return weights, means.T if resp.shape[1] == X.shape[1] else means, covariances


M_STEP_MISTAKES = [
    (m_step_divide_by_n, ["case 1 of 4", "covariances[0]", "not by n"]),
    (m_step_unbiased, ["case 1 of 4", "not N_j - 1"]),
    (m_step_data_mean, ["case 1 of 4", "centred on the mean of all the data"]),
    (m_step_no_centring, ["case 1 of 4", "Subtract the mean"]),
    (m_step_old_means, ["case 1 of 4", "centred on another point than the new mean mu_j (the old means"]),
    (m_step_unnormalised_weights, ["case 1 of 4", "weights: expected [0.3000, 0.4000, 0.3000], got "
                                                  "[3.0000, 4.0000, 3.0000]", "divide by n"]),
    (m_step_uniform_weights, ["case 1 of 4", "not 1/k"]),
    (m_step_transposed_outer, ["case 1 of 4", "shape (3, 10, 10), expected (3, 2, 2)", "not diff @ diff.T"]),
    (m_step_transposed_means, ["case 1 of 4", "means has shape (2, 3), expected (3, 2)", "transposed"]),
    (m_step_means_not_divided, ["case 1 of 4", "divide by N_j to get the weighted mean"]),
    (m_step_stacked_last, ["case 1 of 4", "stacked along the last axis"]),
    (m_step_asymmetric, ["case 1 of 4", "not symmetric"]),
    (m_step_variances_only, ["case 1 of 4", "Only the variances"]),
    (m_step_stacked_when_square, ["case 2 of 4", "✓ 1.", "stacked along the wrong axis"]),
    (m_step_means_transposed_when_square,
     ["case 2 of 4", "The means are transposed: one row per component (resp.T @ X"]),
]


# ----------------------------------------------------------------------------------------
# check_em_iteration
# ----------------------------------------------------------------------------------------
def em_iteration_old_means(X, weights, means, covariances):
    resp = right_e_step(X, weights, means, covariances)
    new_weights, new_means, _ = right_m_step(X, resp)
    N = resp.sum(axis=0)
    return new_weights, new_means, np.array([(resp[:, j, None] * (X - m)).T @ (X - m) / N[j]
                                             for j, m in enumerate(means)])


def em_iteration_unchanged(X, weights, means, covariances):
    return weights, means, covariances


def em_iteration_twice(X, weights, means, covariances):
    return right_em_iteration(X, *right_em_iteration(X, weights, means, covariances))


def em_iteration_wrong_e_step(X, weights, means, covariances):
    return right_m_step(X, e_step_covariance_for_inverse(X, weights, means, covariances))


def em_iteration_divide_by_n(X, weights, means, covariances):
    return m_step_divide_by_n(X, right_e_step(X, weights, means, covariances))


EM_ITERATION_MISTAKES = [
    (em_iteration_old_means, ["case 1 of 3", "centred on the old means"]),
    (em_iteration_unchanged, ["case 1 of 3", "came back unchanged"]),
    (em_iteration_twice, ["case 1 of 3", "after two iterations"]),
    (em_iteration_wrong_e_step, ["case 2 of 3", "The M-step is right but the responsibilities are not",
                                 "Sigma_j is used where its inverse belongs"]),
    (em_iteration_divide_by_n, ["case 1 of 3", "not by n"]),
]


# ----------------------------------------------------------------------------------------
# check_bic
# ----------------------------------------------------------------------------------------
def bic_with(name, count=n_free, penalty=np.log, factor=-2):
    def fn(X, weights, means, covariances):
        n, d = X.shape
        return factor * right_log_likelihood(X, weights, means, covariances) + count(len(weights), d) * penalty(n)
    return named(name, fn)


bic_sign = bic_with("bic_sign", factor=2)

BIC_MISTAKES = [
    (bic_with("bic_k_d_d", count=lambda k, d: (k - 1) + k * d + k * d * d),
     ["case 1 of 2", "d (d + 1) / 2 of its d * d"]),
    (bic_with("bic_k_weights", count=lambda k, d: k + k * d + k * d * (d + 1) // 2),
     ["case 1 of 2", "only k - 1 weights"]),
    (bic_with("bic_not_doubled", factor=-1), ["case 1 of 2", "counted once"]),
    (bic_with("bic_aic", penalty=lambda n: 2), ["case 1 of 2", "This is AIC"]),
    (bic_with("bic_log10", penalty=np.log10), ["case 1 of 2", "not log10"]),
    (bic_sign, ["case 1 of 2", "The sign"]),
    (bic_with("bic_other_count", count=lambda k, d: k * d + k * d * (d + 1) // 2),
     ["case 1 of 2", "p = 15 parameters", "= 17 free parameters"]),
    (bic_with("bic_hard_coded", count=lambda k, d: 17), ["case 2 of 2", "p = 17 parameters", "= 19 free parameters"]),
]


def test_check_bic_verdict_puts_the_numbers_into_the_formula(capsys):
    # Case 1, the seed's data under its true mixture: k = 3, d = 2, so p = 2 + 6 + 9 = 17 and n = 300.
    X, _ = data.seed_data()
    truth = data.seed_true_params()
    args = (X, np.array(truth.weights), np.array(truth.means), np.array(truth.covariances))
    expected = (f"expected -2 * ({right_log_likelihood(*args):.4f}) + 17 * log(300) = {right_bic(*args):.4f}, "
                f"got {bic_sign(*args):.4f}")
    verdict(exercises.check_bic, bic_sign, capsys, [expected])


# ----------------------------------------------------------------------------------------
# Each mistake, recognised
# ----------------------------------------------------------------------------------------
MISTAKES = {
    exercises.check_sample: SAMPLE_MISTAKES,
    exercises.check_e_step: E_STEP_MISTAKES,
    exercises.check_log_likelihood: LOG_LIKELIHOOD_MISTAKES,
    exercises.check_m_step: M_STEP_MISTAKES,
    exercises.check_em_iteration: EM_ITERATION_MISTAKES,
    exercises.check_bic: BIC_MISTAKES,
}


@pytest.mark.parametrize("check, fn, expected", [
    pytest.param(check, fn, expected, id=f"{check.__name__}-{fn.__name__}")
    for check, mistakes in MISTAKES.items() for fn, expected in mistakes
])
def test_each_mistake_is_recognised(check, fn, expected, capsys):
    verdict(check, fn, capsys, expected)


# ----------------------------------------------------------------------------------------
# Functions that raise, return the wrong thing, or are not functions
# ----------------------------------------------------------------------------------------
ALL_CHECKS = [check for check, _ in RIGHT]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_not_implemented_yet(check, capsys):
    def my_function(*args):
        raise NotImplementedError("compute it in log space")
    out = verdict(check, my_function, capsys)
    assert out.startswith("my_function: not implemented yet: compute it in log space\n")
    assert "Traceback" not in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_exception_is_named_with_its_case(check, capsys):
    def my_function(*args):
        return {}["missing"]
    out = verdict(check, my_function, capsys)
    assert "case 1 of" in out and "✗ 1." in out
    assert "my_function raised KeyError: 'missing'" in out
    assert "Traceback" not in out and "exercises.py" not in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_returning_none_says_return_is_missing(check, capsys):
    verdict(check, lambda *args: None, capsys, ["None", "Hint: ", "`return"])


@pytest.mark.parametrize("check, fn, expected", [
    (exercises.check_e_step, lambda X, w, m, C: np.ones((len(X), len(w) + 1)) / 4, "shape (300, 4), expected (300, 3)"),
    (exercises.check_m_step, lambda X, r: (r.sum(0)[:-1], None, None), "weights has shape (2,), expected (3,)"),
    (exercises.check_em_iteration, lambda X, w, m, C: (w, m[:, 0], C), "means has shape (3,), expected (3, 2)"),
    (exercises.check_sample, lambda w, m, C, n, rng: (np.zeros((n + 1, m.shape[1])), np.zeros(n)),
     "X has shape (8, 3), expected (7, 3)"),
    (exercises.check_log_likelihood, lambda X, w, m, C: np.zeros((2, 2)), "expected one number"),
    (exercises.check_bic, lambda X, w, m, C: "2411.8", "expected -2 *"),
], ids=["e_step", "m_step", "em_iteration", "sample", "log_likelihood", "bic"])
def test_a_wrong_shape_is_named(check, fn, expected, capsys):
    verdict(check, fn, capsys, [expected])


@pytest.mark.parametrize("check, fn, expected", [
    (exercises.check_e_step, lambda X, w, m, C: np.full((len(X), len(w)), np.nan),
     "point 0 at [5.4967, 4.8617]: expected [0.0010, 0.1896, 0.8094], got [nan, nan, nan]"),
    (exercises.check_log_likelihood, lambda X, w, m, C: np.nan, "expected -5185.3180, got nan"),
    (exercises.check_sample, lambda w, m, C, n, rng: (np.full((n, m.shape[1]), np.nan), np.zeros(n)),
     "X contains NaN"),
    (exercises.check_m_step, lambda X, r: (r.mean(0), np.full((r.shape[1], X.shape[1]), np.nan), None),
     "means[0]: expected [0.5000, 0.8333], got [nan, nan]"),
    (exercises.check_m_step, lambda X, r: (*right_m_step(X, r)[:2], np.full((r.shape[1], 2, 2), np.nan)),
     "covariances[0]: expected [[0.1667, 0.0833], [0.0833, 0.7222]], got [[nan, nan], [nan, nan]]"),
    (exercises.check_em_iteration, lambda X, w, m, C: (*right_em_iteration(X, w, m, C)[:2], C * np.nan),
     "covariances[0]: expected [[2.9687, 3.0344], [3.0344, 4.8164]], got [[nan, nan], [nan, nan]]"),
    (exercises.check_bic, lambda X, w, m, C: np.nan, "got nan"),
], ids=["e_step", "log_likelihood", "sample", "m_step", "m_step_covariances", "em_iteration", "bic"])
def test_nan_is_named(check, fn, expected, capsys):
    verdict(check, fn, capsys, [expected])


def test_not_a_function(capsys):
    assert exercises.check_e_step(np.zeros(3)) is False
    assert "Pass your function itself" in capsys.readouterr().out


def test_the_learners_arrays_are_copies(capsys):
    # A function that scribbles on its input must not change the check's own cases.
    def scribbles(X, weights, means, covariances):
        result = right_e_step(X, weights, means, covariances)
        X[:] = 0
        covariances[:] = np.eye(X.shape[1])
        return result
    assert exercises.check_e_step(scribbles) is True
    assert exercises.check_e_step(right_e_step) is True


def test_numpy_warnings_become_verdicts_not_noise(capsys, recwarn):
    assert exercises.check_e_step(e_step_naive) is False
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert capsys.readouterr().err == ""


def test_the_verdicts_are_the_same_every_time(capsys):
    for fn in (e_step_covariance_for_inverse, right_e_step):
        exercises.check_e_step(fn)
        first = capsys.readouterr().out
        exercises.check_e_step(fn)
        assert capsys.readouterr().out == first
