"""The exercise checks, both ways: right implementations pass, each classic mistake fails with its hint.

The right implementations here are written independently of emlib (scipy's
multivariate_normal for the densities, numpy for the rest), in float64 and in float32; the
wrong ones are the mistakes the checks claim to recognise, one function each.  The verdict is
printed, so the tests read it from capsys, and every verdict is checked for what a learner
reads: the values it shows as expected and got differ visibly, and it fits a notebook cell.
"""
import importlib.util
import linecache
import re

import numpy as np
import pytest
from scipy.linalg import solve_triangular
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from emlib import data, exercises
from emlib.exercises import checking


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


def normalised(a):
    """gamma from a_ij = log pi_j + log N(x_i | mu_j, Sigma_j), by log-sum-exp."""
    return np.exp(a - logsumexp(a, axis=1, keepdims=True))


def total(a):
    """log p(X | theta) from a_ij, by log-sum-exp."""
    return float(logsumexp(a, axis=1).sum())


def right_e_step(X, weights, means, covariances):
    return normalised(log_joint(X, weights, means, covariances))


def right_log_likelihood(X, weights, means, covariances):
    return total(log_joint(X, weights, means, covariances))


def right_m_step(X, resp):
    N = resp.sum(axis=0)
    means = resp.T @ X / N[:, None]
    diff = X[:, None, :] - means                                   # (n, k, d)
    covariances = np.einsum("nj,nja,njb->jab", resp, diff, diff) / N[:, None, None]
    return N / len(X), means, covariances


def right_m_step_1d(x, resp):
    N = resp.sum(axis=0)
    means = resp.T @ x / N
    return N / len(x), means, (resp * (x[:, None] - means) ** 2).sum(axis=0) / N


def right_em_iteration(X, weights, means, covariances):
    return right_m_step(X, right_e_step(X, weights, means, covariances))


def em_loop(X, weights, means, covariances, tol, max_iter, *, change=lambda L, n: abs(L[-1] - L[-2]) / n,
            lag=0, first=0, iterations=None):
    """EM with the per-point stopping rule, written here from right_em_iteration; the keywords plant
    the loop's classic mistakes: another `change`, testing the change `lag` iterations back, recording
    the log-likelihoods from L_`first`, running a fixed number of `iterations`."""
    n = len(X)
    L = [right_log_likelihood(X, weights, means, covariances)]
    for t in range(1, (max_iter if iterations is None else iterations) + 1):
        weights, means, covariances = right_em_iteration(X, weights, means, covariances)
        L.append(right_log_likelihood(X, weights, means, covariances))
        if iterations is None and len(L) > 1 + lag and change(L[:len(L) - lag], n) < tol:
            break
    return weights, means, covariances, L[first:]


def right_em_loop(X, weights, means, covariances, tol, max_iter):
    return em_loop(X, weights, means, covariances, tol, max_iter)


def n_free(k, d):
    return (k - 1) + k * d + k * d * (d + 1) // 2


def right_bic(X, weights, means, covariances):
    n, d = X.shape
    return -2 * right_log_likelihood(X, weights, means, covariances) + n_free(len(weights), d) * np.log(n)


RIGHT = [
    (exercises.check_sample, right_sample),
    (exercises.check_e_step, right_e_step),
    (exercises.check_log_likelihood, right_log_likelihood),
    (exercises.check_m_step_1d, right_m_step_1d),
    (exercises.check_m_step, right_m_step),
    (exercises.check_em_iteration, right_em_iteration),
    (exercises.check_em_loop, right_em_loop),
    (exercises.check_bic, right_bic),
]


def readable(out):
    """Assert that a verdict reads well in a notebook cell: short lines, few of them, every case
    title with its number of points, and the expected and got values it shows differ visibly."""
    lines = out.rstrip("\n").split("\n")
    assert len(lines) <= 14 and max(map(len, lines)) <= 100, f"too long to read in a cell:\n{out}"
    cases = [line for line in lines if line.lstrip().startswith(("✓", "✗"))]
    assert all(re.search(r"\(n = \d+ points\)$", line) for line in cases), f"a case without its n:\n{out}"
    pair = shown(out)
    if pair:
        assert pair[0] != pair[1], f"expected and got print the same:\n{out}"


def passes_with_float32_note(check, fn, capsys):
    """check(fn) passes every case, with no hint, and notes that fn computed in float32."""
    assert check(fn) is True
    out = capsys.readouterr().out
    readable(out)
    assert "cases pass. Well done!" in out and "Hint" not in out
    assert "computed in float32: fine here, but use float64 for EM" in " ".join(out.split()), out


def shown(out):
    """The (expected, got) texts of a verdict's difference line(s), or None."""
    one = re.search(r"expected (.+), got (.+?)(?: \((?:largest )?difference [^)]*\))?$", out, re.M)
    if one:
        return one.group(1), one.group(2)
    two = re.search(r"^\s+expected (.+)\n\s+got +(.+)$", out, re.M)
    return (two.group(1), two.group(2)) if two else None


@pytest.mark.parametrize("check, fn", RIGHT, ids=[c.__name__ for c, _ in RIGHT])
def test_a_right_implementation_passes(check, fn, capsys):
    assert check(fn) is True
    out = capsys.readouterr().out
    assert f"{fn.__name__}: " in out and "cases pass. Well done!" in out
    assert "✗" not in out and "Hint" not in out and "Note" not in out
    readable(out)


def verdict(check, fn, capsys, expected=()):
    """Run the check, assert it fails and prints every text in expected; return its printed verdict."""
    assert check(fn) is False
    out = capsys.readouterr().out
    words = " ".join(out.split()).lower()                   # as read: the hints are wrapped and capitalised
    missing = [text for text in expected if " ".join(text.split()).lower() not in words]
    assert not missing, f"{check.__name__}({fn.__name__}) does not say {missing}:\n{out}"
    readable(out)
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


def sample_seeds_global_state(weights, means, covariances, n, rng):
    np.random.seed(int(rng.integers(2 ** 31)))          # reproducible and seed-dependent, but not from rng
    return sample_global_state(weights, means, covariances, n, rng)


def sample_fixed_counts(weights, means, covariances, n, rng):
    z = np.repeat(np.arange(len(weights)), np.round(n * np.asarray(weights)).astype(int))[:n]
    z = np.concatenate([z, np.zeros(n - len(z), dtype=int)])
    return place(means, np.linalg.cholesky(covariances), z, rng.standard_normal((n, means.shape[1]))), z


def sample_fixed_counts_shuffled(weights, means, covariances, n, rng):
    X, z = sample_fixed_counts(weights, means, covariances, n, rng)
    order = rng.permutation(n)
    return X[order], z[order]


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
    (sample_global_state, ["case 1 of 3", "changed np.random's global state", "not from np.random"]),
    (sample_seeds_global_state, ["case 1 of 3", "changed np.random's global state", "from rng itself"]),
    (sample_fixed_counts, ["case 2 of 3", "are always [25, 15, 10]", "must be random draws", "round(n pi_j)"]),
    (sample_fixed_counts_shuffled, ["case 2 of 3", "are always [25, 15, 10]", "rng.choice(k, size=n, p=weights)"]),
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


def log_joint_cholesky(X, weights, means, covariances, lower=True, log_det_factor=2.0, log_weights=True):
    """As a learner writes it with Cholesky factors (lower=False: solving with L^T; log_det_factor=1:
    the log-determinant not doubled; log_weights=False: pi_j where log pi_j belongs)."""
    cols = []
    for w, mu, S in zip(weights, means, covariances):
        L = np.linalg.cholesky(S)
        u = solve_triangular(L if lower else L.T, (X - mu).T, lower=lower)
        log_det = log_det_factor * np.log(np.diag(L)).sum()
        cols.append((np.log(w) if log_weights else w) - 0.5 * (len(mu) * np.log(2 * np.pi) + log_det + (u * u).sum(axis=0)))
    return np.column_stack(cols)


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


def e_step_solve_transposed(X, weights, means, covariances):
    return normalised(log_joint_cholesky(X, weights, means, covariances, lower=False))


def e_step_log_det_not_doubled(X, weights, means, covariances):
    return normalised(log_joint_cholesky(X, weights, means, covariances, log_det_factor=1.0))


def e_step_weights_not_logged(X, weights, means, covariances):
    return normalised(log_joint_cholesky(X, weights, means, covariances, log_weights=False))


def e_step_with_log_likelihood(X, weights, means, covariances):
    return right_e_step(X, weights, means, covariances), right_log_likelihood(X, weights, means, covariances)


def e_step_log_space_result(X, weights, means, covariances):
    a = log_joint(X, weights, means, covariances)
    return a - logsumexp(a, axis=1, keepdims=True)


def e_step_rounded(X, weights, means, covariances):
    return np.round(right_e_step(X, weights, means, covariances), 4)


E_STEP_MISTAKES = [
    (e_step_covariance_for_inverse, ["case 2 of 4", "✓ 1.", "Sigma_j is used where its inverse belongs"]),
    (e_step_no_log_det, ["case 2 of 4", "log|Sigma_j| is missing"]),
    (e_step_no_weights, ["case 2 of 4", "the weights are missing"]),
    (e_step_columns, ["case 1 of 4", "Each column sums to 1", "each row sums to 1"]),
    (e_step_unnormalised, ["case 1 of 4", "divide each row by its sum"]),
    (e_step_naive, ["case 4 of 4", "point 0 at [40.0000, 40.0000]", "got [nan, nan, nan]", "log-sum-exp"]),
    (e_step_epsilon, ["case 4 of 4", "point 0 at [40.0000, 40.0000]", "log-sum-exp"]),
    (e_step_transposed, ["case 1 of 4", "shape (3, 300), expected (300, 3)", "one row per point"]),
    (e_step_solve_transposed, ["case 2 of 4", "uses L_j^T where L_j belongs"]),
    (e_step_log_det_not_doubled, ["case 2 of 4", "log|Sigma_j| is half what it should be", "2 sum_a log L_aa"]),
    (e_step_weights_not_logged, ["case 2 of 4", "pi_j is added where log pi_j belongs"]),
    (e_step_with_log_likelihood, ["case 1 of 4", "is a tuple of 2 values", "Return only gamma"]),
    (e_step_log_space_result, ["case 1 of 4", "log-responsibilities", "exponentiate"]),
    (e_step_rounded, ["case 1 of 4", "rounded to 4 decimals"]),
]


def numbers(text):
    return np.array([float(x) for x in re.findall(r"-?\d+\.\d+|nan|-?inf", text)])


def test_the_verdict_shows_the_point_that_differs_most(capsys):
    # Solving with L^T: on the rotated case (two components, 8 points) the rows differ by up to
    # about 0.6, and the first row that differs is not the one that differs most.
    case = dict(X=np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0], [-1.0, 1.0], [1.5, -0.5], [2.0, 2.0],
                            [0.5, -1.0]]),
                weights=np.array([0.7, 0.3]), means=np.array([[0.0, 0.0], [2.5, 1.0]]),
                covariances=np.array([[[2.0, 1.2], [1.2, 1.0]], [[0.5, -0.3], [-0.3, 1.5]]]))
    right, wrong = right_e_step(**case), e_step_solve_transposed(**case)
    differences = np.abs(right - wrong).max(axis=1)
    i = int(np.argmax(differences))
    assert i != int(np.flatnonzero(differences > 1e-6)[0])          # the case tells first from worst apart
    out = verdict(exercises.check_e_step, e_step_solve_transposed, capsys, [f"point {i} at "])
    expected, got = shown(out)
    assert np.allclose(numbers(expected), right[i], atol=5e-5) and np.allclose(numbers(got), wrong[i], atol=5e-5)
    assert f"(largest difference {differences[i]:.2g})" in out


def test_a_small_difference_is_shown_with_enough_decimals(capsys):
    # Weights off by 2e-5: beyond float32's precision, and invisible at 4 decimals.
    def m_step_nearly(X, resp):
        weights, means, covariances = right_m_step(X, resp)
        return weights + np.array([2e-5, -2e-5, 0.0]), means, covariances
    out = verdict(exercises.check_m_step, m_step_nearly, capsys, ["case 1 of 4", "(largest difference 2e-05)"])
    expected, got = shown(out)
    assert expected == "[0.300000, 0.400000, 0.300000]" and got == "[0.300020, 0.399980, 0.300000]", out


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


def log_likelihood_no_weights(X, weights, means, covariances):
    a = log_joint(X, weights, means, covariances) - np.log(weights)
    return float(logsumexp(a, axis=1).sum())


def log_likelihood_product(X, weights, means, covariances):
    p = np.exp(log_joint(X, weights, means, covariances)).sum(axis=1)
    return float(np.log(np.prod(p)))


def log_likelihood_per_point(X, weights, means, covariances):
    return logsumexp(log_joint(X, weights, means, covariances), axis=1)


LOG_LIKELIHOOD_MISTAKES = [
    (log_likelihood_seed_formula, ["case 1 of 4", "the seed script's quantity"]),
    (log_likelihood_mean, ["case 1 of 4", "the mean over the 300 points", "their sum"]),
    (log_likelihood_naive, ["case 4 of 4", "got -inf", "log-sum-exp"]),
    (log_likelihood_no_log_det, ["case 2 of 4", "log|Sigma_j| is missing"]),
    (log_likelihood_no_constant, ["case 1 of 4", "d log(2 pi) is missing"]),
    (log_likelihood_per_point, ["case 1 of 4", "array of shape (300,)", "return their sum"]),
    (log_likelihood_no_weights, ["case 1 of 4", "the weights are missing"]),
    (log_likelihood_product, ["case 1 of 4", "got -inf", "the product of the n densities", "np.prod"]),
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


NOTEBOOK_N = 300     # the notebooks' global n: the seed's 300 points


def m_step_global_n(X, resp):
    _, means, covariances = right_m_step(X, resp)
    return resp.sum(axis=0) / NOTEBOOK_N, means, covariances


def m_step_swapped(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return means, weights, covariances


def m_step_hard(X, resp):
    return right_m_step(X, np.eye(resp.shape[1])[resp.argmax(axis=1)])


def m_step_gamma_squared(X, resp):
    weights, means, _ = right_m_step(X, resp)
    N = resp.sum(axis=0)
    return weights, means, np.array([(resp[:, j, None] * (X - m)).T @ (resp[:, j, None] * (X - m)) / N[j]
                                     for j, m in enumerate(means)])


def m_step_regularised(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return weights, means, covariances + 1e-6 * np.eye(X.shape[1])


def m_step_three_components(X, resp):
    """Written for the notebook's k = 3: `range(3)`."""
    N = resp.sum(axis=0)
    means = np.array([resp[:, j] @ X / N[j] for j in range(3)])
    return N / len(X), means, np.array([(resp[:, j, None] * (X - means[j])).T @ (X - means[j]) / N[j]
                                        for j in range(3)])


# With k = d = 2 (case 2) a transposed result has the right shape: the values give it away.
def m_step_stacked_when_square(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return weights, means, np.moveaxis(covariances, 0, -1) if resp.shape[1] == X.shape[1] else covariances


def m_step_means_transposed_when_square(X, resp):
    weights, means, covariances = right_m_step(X, resp)
    return weights, means.T if resp.shape[1] == X.shape[1] else means, covariances


M_STEP_MISTAKES = [
    (m_step_divide_by_n, ["case 1 of 4", "covariances[1] (largest difference 0.85)", "not by n"]),
    (m_step_unbiased, ["case 1 of 4", "not N_j - 1"]),
    (m_step_data_mean, ["case 1 of 4", "centred on the mean of all the data"]),
    (m_step_no_centring, ["case 1 of 4", "Subtract the mean"]),
    (m_step_old_means, ["case 1 of 4", "centred on another point than the new mean mu_j (the old means"]),
    (m_step_unnormalised_weights, ["case 1 of 4", "weights (largest difference 3.6): expected [0.3000, 0.4000, "
                                                  "0.3000] got [3.0000, 4.0000, 3.0000]", "divide by n"]),
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
    (m_step_global_n, ["case 1 of 4", "this case has n = 10 points: take it from the arguments (len(X))",
                       "not from the notebook's data (n = 300)"]),
    (m_step_swapped, ["case 1 of 4", "return them in the order weights, means, covariances"]),
    (m_step_hard, ["✓ 1.", "case 2 of 4", "hard assignments"]),
    (m_step_gamma_squared, ["✓ 1.", "case 2 of 4", "gamma_ij is counted twice"]),
    (m_step_regularised, ["case 1 of 4", "a regularisation, such as scikit-learn's reg_covar"]),
    (m_step_three_components, ["case 2 of 4", "raised IndexError", "in m_step_three_components, line",
                               "this case has n = 8, k = 2: take them from the arguments"]),
]


# ----------------------------------------------------------------------------------------
# check_m_step_1d
# ----------------------------------------------------------------------------------------
def m_step_1d_divide_by_n(x, resp):
    weights, means, variances = right_m_step_1d(x, resp)
    return weights, means, variances * weights


def m_step_1d_as_columns(x, resp):
    return tuple(v[:, None] for v in right_m_step_1d(x, resp))


def m_step_1d_old_spread(x, resp):
    """Variances around 0, not around the new means."""
    weights, means, _ = right_m_step_1d(x, resp)
    return weights, means, (resp * x[:, None] ** 2).sum(axis=0) / resp.sum(axis=0)


M_STEP_1D_MISTAKES = [
    (m_step_1d_divide_by_n, ["case 1 of 3", "variances (largest difference", "not by n"]),
    (m_step_1d_as_columns, ["case 1 of 3", "weights has shape (3, 1), expected (3,)", "1-D arrays"]),
    (m_step_1d_old_spread, ["case 1 of 3", "Subtract the mean"]),
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


def em_iteration_linear_space(X, weights, means, covariances):
    return right_m_step(X, e_step_naive(X, weights, means, covariances))


def em_iteration_columns(X, weights, means, covariances):
    return right_m_step(X, e_step_columns(X, weights, means, covariances))


def em_iteration_log_responsibilities(X, weights, means, covariances):
    return right_m_step(X, e_step_log_space_result(X, weights, means, covariances))


def em_iteration_means_transposed(X, weights, means, covariances):
    new_weights, new_means, new_covariances = right_em_iteration(X, weights, means, covariances)
    return new_weights, new_means.T if new_means.shape[0] == new_means.shape[1] else new_means, new_covariances


EM_ITERATION_MISTAKES = [
    (em_iteration_old_means, ["case 1 of 4", "centred on the old means"]),
    (em_iteration_unchanged, ["case 1 of 4", "came back unchanged"]),
    (em_iteration_twice, ["case 1 of 4", "after two iterations"]),
    (em_iteration_wrong_e_step, ["case 2 of 4", "The M-step is right but the responsibilities (the E-step) are not",
                                 "Sigma_j is used where its inverse belongs"]),
    (em_iteration_divide_by_n, ["case 1 of 4", "not by n"]),
    (em_iteration_linear_space, ["✓ 3.", "case 4 of 4", "got [nan, nan, nan]",
                                 "The M-step is right but the responsibilities (the E-step) are not", "log-sum-exp"]),
    (em_iteration_columns, ["case 1 of 4", "the responsibilities (the E-step) are not: each column sums to 1"]),
    (em_iteration_log_responsibilities, ["case 1 of 4", "are not: these are the log-responsibilities"]),
    (em_iteration_means_transposed, ["case 2 of 4", "The means are transposed: one row per component"]),
]


# ----------------------------------------------------------------------------------------
# check_em_loop
# ----------------------------------------------------------------------------------------
def em_loop_total(X, weights, means, covariances, tol, max_iter):
    return em_loop(X, weights, means, covariances, tol, max_iter, change=lambda L, n: abs(L[-1] - L[-2]))


def em_loop_late(X, weights, means, covariances, tol, max_iter):
    return em_loop(X, weights, means, covariances, tol, max_iter, lag=1)


def em_loop_early(X, weights, means, covariances, tol, max_iter):
    """Stops when the change it is about to make is small, keeping the parameters before it."""
    n, L = len(X), [right_log_likelihood(X, weights, means, covariances)]
    for t in range(max_iter):
        new = right_em_iteration(X, weights, means, covariances)
        new_L = right_log_likelihood(X, *new)
        if abs(new_L - L[-1]) / n < tol:
            break
        (weights, means, covariances), L = new, L + [new_L]
    return weights, means, covariances, L


def em_loop_without_l0(X, weights, means, covariances, tol, max_iter):
    return em_loop(X, weights, means, covariances, tol, max_iter, first=1)


def em_loop_never_stops(X, weights, means, covariances, tol, max_iter):
    return em_loop(X, weights, means, covariances, tol, max_iter, iterations=max_iter)


def em_loop_past_max_iter(X, weights, means, covariances, tol, max_iter):
    return em_loop(X, weights, means, covariances, tol, max_iter + 1)


def em_loop_parameters_behind(X, weights, means, covariances, tol, max_iter):
    """Records L_t before the M-step of iteration t + 1 and breaks after that M-step."""
    n, L = len(X), []
    for t in range(max_iter + 1):
        L.append(right_log_likelihood(X, weights, means, covariances))
        weights, means, covariances = right_em_iteration(X, weights, means, covariances)
        if len(L) > 1 and abs(L[-1] - L[-2]) / n < tol:
            break
    return weights, means, covariances, L


def em_loop_start_every_time(X, weights, means, covariances, tol, max_iter):
    """Records the log-likelihood of the start (the arguments) after every iteration: a change of 0."""
    n, L, params = len(X), [right_log_likelihood(X, weights, means, covariances)], (weights, means, covariances)
    for t in range(max_iter):
        params = right_em_iteration(X, *params)
        L.append(right_log_likelihood(X, weights, means, covariances))
        if abs(L[-1] - L[-2]) / n < tol:
            break
    return (*params, L)


def em_loop_wrong_values(X, weights, means, covariances, tol, max_iter):
    *params, L = right_em_loop(X, weights, means, covariances, tol, max_iter)
    return (*params, np.array(L) / len(X))                  # the average per point, not the log-likelihood


EM_LOOP_MISTAKES = [
    (em_loop_total, ["case 1 of 3", "your loop ran 17 iterations; the rule stops after 15 here", "the total change",
                     "divide by n"]),
    (em_loop_late, ["case 1 of 3", "ran 16 iterations", "One iteration late"]),
    (em_loop_early, ["case 1 of 3", "ran 14 iterations", "One iteration early"]),
    (em_loop_without_l0, ["case 1 of 3", "log_likelihoods has 15 values, L_1 .. L_15; expected 16", "Record L_0"]),
    (em_loop_never_stops, ["case 1 of 3", "ran 100 iterations", "never stopped on the change"]),
    (em_loop_past_max_iter, ["✓ 2.", "case 3 of 3", "ran 11 iterations; the rule stops after 10", "at most max_iter = 10"]),
    (em_loop_parameters_behind, ["case 1 of 3", "weights", "one iteration past the last log-likelihood"]),
    (em_loop_start_every_time, ["case 1 of 3", "log_likelihoods has 2 values, but they are not L_0 .. L_1",
                                "L_0 = -5185.3180, L_1 = -1315.4334"]),
    (em_loop_wrong_values, ["case 1 of 3", "log_likelihoods[0] (L_0): expected -5185.3180, got -17.2844",
                            "log p(X | theta_t)"]),
]


def test_check_em_loop_cases_stop_far_from_their_tolerance():
    """The iteration counts of check_em_loop's cases do not hinge on the last digits: in each, the change
    that stops the per-point rule is below tol, and the change before it above, by 5% at least, and so
    for the rule on the total change, which in case 1 stops two iterations later than the per-point rule
    (so that it is not taken for a loop one iteration late).  The changes come from this file's loop."""
    from emlib.exercises.em_iteration import loop_cases

    def stop(changes, tol, max_iter):
        below = np.flatnonzero(changes[:max_iter] < tol)
        if not below.size:                                  # max_iter stops it: all far above tol
            assert np.all(changes[:max_iter] > 1.05 * tol)
            return max_iter
        T = below[0] + 1
        assert changes[T - 1] < tol / 1.05 and (T == 1 or changes[T - 2] > 1.05 * tol)
        return T

    counts = []
    for _, case, tol, max_iter in loop_cases():
        *_, L = right_em_loop(**case, tol=0.0, max_iter=max_iter)
        changes = np.abs(np.diff(L))
        counts.append((stop(changes / len(case["X"]), tol, max_iter), stop(changes, tol, max_iter)))
    assert counts[0] == (15, 17)
    assert counts[2] == (10, 10)


# ----------------------------------------------------------------------------------------
# check_bic
# ----------------------------------------------------------------------------------------
def bic_with(name, count=n_free, penalty=np.log, factor=-2):
    def fn(X, weights, means, covariances):
        n, d = X.shape
        return factor * right_log_likelihood(X, weights, means, covariances) + count(len(weights), d) * penalty(n)
    return named(name, fn)


bic_sign = bic_with("bic_sign", factor=2)


def bic_schwarz(X, weights, means, covariances):
    n, d = X.shape
    return right_log_likelihood(X, weights, means, covariances) - n_free(len(weights), d) / 2 * np.log(n)


def bic_global_n(X, weights, means, covariances):
    return (-2 * right_log_likelihood(X, weights, means, covariances)
            + n_free(len(weights), X.shape[1]) * np.log(NOTEBOOK_N))

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
    (bic_schwarz, ["case 1 of 2", "the Schwarz criterion", "larger is better", "-1/2 times the BIC"]),
    (bic_with("bic_half", factor=-1, penalty=lambda n: np.log(n) / 2), ["case 1 of 2", "half the BIC"]),
    (bic_global_n, ["✓ 1.", "case 2 of 2", "this case has n = 100 points: take it from the arguments (len(X))"]),
]


def test_check_bic_gives_the_parameter_count_only_when_the_count_is_off(capsys):
    # Case 1, the seed's data under its true mixture: k = 3, d = 2, so p = 2 + 6 + 9 = 17 and n = 300.
    X, _ = data.seed_data()
    truth = data.seed_true_params()
    args = (X, np.array(truth.weights), np.array(truth.means), np.array(truth.covariances))
    out = verdict(exercises.check_bic, bic_sign, capsys,
                  [f"the BIC: expected {right_bic(*args):.4f}, got {bic_sign(*args):.4f}"])
    assert "17" not in out and f"{right_log_likelihood(*args):.4f}" not in out, out
    verdict(exercises.check_bic, bic_with("bic_k_d_d", count=lambda k, d: (k - 1) + k * d + k * d * d), capsys,
            ["(k - 1) + k d + k d (d + 1) / 2 = 2 + 6 + 9 = 17 free parameters"])


# ----------------------------------------------------------------------------------------
# Each mistake, recognised
# ----------------------------------------------------------------------------------------
MISTAKES = {
    exercises.check_sample: SAMPLE_MISTAKES,
    exercises.check_e_step: E_STEP_MISTAKES,
    exercises.check_log_likelihood: LOG_LIKELIHOOD_MISTAKES,
    exercises.check_m_step: M_STEP_MISTAKES,
    exercises.check_m_step_1d: M_STEP_1D_MISTAKES,
    exercises.check_em_iteration: EM_ITERATION_MISTAKES,
    exercises.check_em_loop: EM_LOOP_MISTAKES,
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
    assert re.search(r"in my_function, line \d+: return \{\}\[\"missing\"\]\n", out), out
    assert "Traceback" not in out and "emlib" not in out and ".py" not in out


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
    (exercises.check_bic, lambda X, w, m, C: "2411.8", "expected one number (the BIC), got a str"),
], ids=["e_step", "m_step", "em_iteration", "sample", "log_likelihood", "bic"])
def test_a_wrong_shape_is_named(check, fn, expected, capsys):
    verdict(check, fn, capsys, [expected])


@pytest.mark.parametrize("check, fn, expected", [
    (exercises.check_e_step, lambda X, w, m, C: np.full((len(X), len(w)), np.nan),
     "point 0 at [5.4967, 4.8617]: expected [0.0010, 0.1896, 0.8094], got [nan, nan, nan]"),
    (exercises.check_log_likelihood, lambda X, w, m, C: np.nan, "expected -5185.3180, got nan"),
    (exercises.check_sample, lambda w, m, C, n, rng: (np.full((n, m.shape[1]), np.nan), np.zeros(n)),
     "X contains NaN"),
    (exercises.check_m_step, lambda X, r: (r.mean(0), np.full((r.shape[1], X.shape[1]), np.nan), right_m_step(X, r)[2]),
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


# ----------------------------------------------------------------------------------------
# Inputs changed in place
# ----------------------------------------------------------------------------------------
def e_step_scribbles(X, weights, means, covariances):
    result = right_e_step(X, weights, means, covariances)
    X[:] = 0
    covariances[:] = np.eye(X.shape[1])
    return result


def m_step_normalises_in_place(X, resp):
    N = resp.sum(axis=0)
    resp /= N                                      # gamma_ij / N_j, in the caller's array
    means = resp.T @ X
    return N / len(X), means, np.array([(resp[:, j, None] * (X - m)).T @ (X - m) for j, m in enumerate(means)])


def em_iteration_in_place(X, weights, means, covariances):
    new = right_em_iteration(X, weights, means, covariances)
    weights[:], means[:], covariances[:] = new
    return weights, means, covariances


@pytest.mark.parametrize("check, fn, changed", [
    (exercises.check_e_step, e_step_scribbles, ["X", "covariances"]),
    (exercises.check_m_step, m_step_normalises_in_place, ["resp"]),
    (exercises.check_em_iteration, em_iteration_in_place, ["weights", "means", "covariances"]),
], ids=["e_step", "m_step", "em_iteration"])
def test_an_input_changed_in_place_is_said(check, fn, changed, capsys):
    # Right values pass, but the verdict says which inputs were overwritten; the check's own
    # cases stay intact (a right function run after it still passes).
    assert check(fn) is True
    out = capsys.readouterr().out
    readable(out)
    for name in changed:
        assert f"{fn.__name__} changed its input {name} in place" in " ".join(out.split()), out
    assert check(RIGHT[[c for c, _ in RIGHT].index(check)][1]) is True
    assert "in place" not in capsys.readouterr().out


# ----------------------------------------------------------------------------------------
# float32: a right answer computed in float32 passes, with a note
# ----------------------------------------------------------------------------------------
def as_float32(*arrays):
    return [np.asarray(a, dtype=np.float32) for a in arrays]


def log_joint_float32(X, weights, means, covariances):
    X, weights, means, covariances = as_float32(X, weights, means, covariances)
    cols = []
    for w, mu, S in zip(weights, means, covariances):
        L = np.linalg.cholesky(S)
        u = solve_triangular(L, (X - mu).T, lower=True)
        cols.append(np.log(w) - np.log(np.diag(L)).sum() - 0.5 * (len(mu) * np.float32(np.log(2 * np.pi))
                                                                    + (u * u).sum(axis=0)))
    a = np.column_stack(cols)
    assert a.dtype == np.float32
    return a


def e_step_float32(X, weights, means, covariances):
    return normalised(log_joint_float32(X, weights, means, covariances))


def log_likelihood_float32(X, weights, means, covariances):
    return total(log_joint_float32(X, weights, means, covariances))


def m_step_float32(X, resp):
    return right_m_step(*as_float32(X, resp))


def m_step_1d_float32(x, resp):
    return right_m_step_1d(*as_float32(x, resp))


def em_iteration_float32(X, weights, means, covariances):
    return m_step_float32(X, e_step_float32(X, weights, means, covariances))


def bic_from_float32_log_likelihood(X, weights, means, covariances):
    n, d = X.shape
    return -2 * log_likelihood_float32(X, weights, means, covariances) + n_free(len(weights), d) * np.log(n)


def bic_float32(X, weights, means, covariances):
    return np.float32(right_bic(X, weights, means, covariances))


def sample_float32(weights, means, covariances, n, rng):
    X, z = right_sample(weights, means, covariances, n, rng)
    return X.astype(np.float32), z


FLOAT32 = [
    (exercises.check_e_step, e_step_float32),
    (exercises.check_log_likelihood, log_likelihood_float32),
    (exercises.check_m_step_1d, m_step_1d_float32),
    (exercises.check_m_step, m_step_float32),
    (exercises.check_em_iteration, em_iteration_float32),
    (exercises.check_bic, bic_from_float32_log_likelihood),
    (exercises.check_bic, bic_float32),
]


@pytest.mark.parametrize("check, fn", FLOAT32, ids=[fn.__name__ for _, fn in FLOAT32])
def test_a_right_answer_in_float32_passes_with_a_note(check, fn, capsys):
    passes_with_float32_note(check, fn, capsys)


def test_a_float32_sample_passes(capsys):
    assert exercises.check_sample(sample_float32) is True


def test_float32_precision_is_no_excuse_for_a_mistake(capsys):
    # Rounded to 4 decimals, the responsibilities are as close as float32 would get them in the
    # seed's case, yet the rounding is named (a float32 answer is not rounded to decimals).
    verdict(exercises.check_e_step, e_step_rounded, capsys, ["case 1 of 4", "rounded to 4 decimals"])
    # A BIC 0.1 off is not a float32 BIC: the float32 log-likelihood is good to about 1e-3 here.
    verdict(exercises.check_bic, lambda *args: right_bic(*args) + 0.1, capsys, ["the BIC: expected"])


def test_a_float64_answer_only_float32_close_gets_the_note_too(capsys):
    # No float32 in sight (a Python float), but the value is only good to float32 precision.
    def e_step_slightly_off(X, weights, means, covariances):
        gamma = right_e_step(X, weights, means, covariances)
        return gamma * (1 + 1e-7 * np.cos(np.arange(gamma.size)).reshape(gamma.shape))
    assert exercises.check_e_step(e_step_slightly_off) is True
    out = " ".join(capsys.readouterr().out.split())
    assert "agree to float32 precision only (largest difference" in out
    assert "If you computed in float32: fine here, but use float64 for EM" in out


# ----------------------------------------------------------------------------------------
# The line of the learner's code that raised, and helpers not written yet
# ----------------------------------------------------------------------------------------
CELL = """\
import numpy as np

def my_log_joint(X, weights, means, covariances):
    L = np.linalg.cholesky(covariances - 10)
    return L

def my_e_step(X, weights, means, covariances):
    a = my_log_joint(X, weights, means, covariances)
    return np.exp(a)
"""


def test_the_line_that_raised_in_a_notebook_cell(capsys, monkeypatch):
    # As IPython runs a cell: compiled under a made-up file name, its source kept in linecache.
    filename = "<ipython-input-12-0123456789ab>"
    monkeypatch.setitem(linecache.cache, filename, (len(CELL), None, CELL.splitlines(True), filename))
    namespace = {}
    exec(compile(CELL, filename, "exec"), namespace)
    out = verdict(exercises.check_e_step, namespace["my_e_step"], capsys,
                  ["my_e_step raised LinAlgError", "in my_log_joint, line 4: L = np.linalg.cholesky(covariances - 10)"])
    assert "linalg.py" not in out and "numpy" not in out and "emlib" not in out


def test_the_line_that_raised_without_its_source(capsys):
    namespace = {}
    exec(compile(CELL, "<made-up>", "exec"), namespace)
    out = verdict(exercises.check_e_step, namespace["my_e_step"], capsys, ["in my_log_joint, line 4\n"])
    assert "cholesky" not in out


def test_numpys_generated_dispatchers_are_library_code():
    """numpy before 1.25 runs np.linalg.cholesky and its other public functions through code it
    generates, named "<__array_function__ internals>": the line that raised is the learner's line
    that called it (these tests under numpy 1.24 named "in cholesky, line 200" instead)."""
    assert checking.in_library("<__array_function__ internals>")
    assert not checking.in_library("<ipython-input-3-0123456789ab>")
    assert not checking.in_library("<made-up>")


def test_the_line_that_raised_in_a_file(tmp_path, capsys):
    path = tmp_path / "my_answers.py"
    path.write_text(CELL)
    spec = importlib.util.spec_from_file_location("my_answers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = verdict(exercises.check_e_step, module.my_e_step, capsys,
                  ["in my_log_joint, line 4: L = np.linalg.cholesky(covariances - 10)"])
    assert str(tmp_path) not in out


def test_a_helper_not_written_yet_is_named(capsys):
    def my_log_joint(X, weights, means, covariances):
        raise NotImplementedError("compute log pi_j + log N(x_i | mu_j, Sigma_j)")

    def my_e_step(X, weights, means, covariances):
        a = my_log_joint(X, weights, means, covariances)
        return np.exp(a - logsumexp(a, axis=1, keepdims=True))
    out = " ".join(verdict(exercises.check_e_step, my_e_step, capsys).split())
    assert out.startswith("my_e_step: not implemented yet: it calls my_log_joint, which still raises "
                          "NotImplementedError('compute log pi_j + log N(x_i | mu_j, Sigma_j)'). "
                          "Write my_log_joint"), out


def test_a_library_raising_not_implemented_is_not_the_learners_stub(tmp_path, capsys, monkeypatch):
    # A library (here a module in a folder counted as one) raises NotImplementedError: that is an
    # error in the learner's call, shown at their line, not a stub of theirs still to write.
    (tmp_path / "somelib.py").write_text("def solve(a):\n    raise NotImplementedError('solve: only square a')\n")
    monkeypatch.setattr(checking, "LIBRARIES", (*checking.LIBRARIES, tmp_path.resolve()))
    spec = importlib.util.spec_from_file_location("somelib", tmp_path / "somelib.py")
    somelib = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(somelib)

    def my_e_step(X, weights, means, covariances):
        return somelib.solve(X)
    out = verdict(exercises.check_e_step, my_e_step, capsys,
                  ["my_e_step raised NotImplementedError: solve: only square a",
                   "in my_e_step, line", "return somelib.solve(X)"])
    assert "not implemented yet" not in out and "somelib.py" not in out


def test_the_check_leaves_numpys_global_state_alone(capsys):
    np.random.seed(11)
    before = np.random.get_state()
    exercises.check_sample(sample_seeds_global_state)
    exercises.check_sample(sample_global_state)
    after = np.random.get_state()
    assert np.array_equal(before[1], after[1]) and before[2:] == after[2:]


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
