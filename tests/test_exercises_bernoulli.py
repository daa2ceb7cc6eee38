"""Lesson 10's exercise checks, both ways: right implementations of the Bernoulli mixture's E-step
and M-step pass, each classic mistake fails with its own hint.

The right implementations here are written independently of emlib (scipy.stats.bernoulli for
the log-probabilities, numpy for the rest), in float64 and in float32; the wrong ones make the
mistakes the checks claim to recognise, one function each.  Verdicts are read from capsys and
checked for what a learner reads, with test_exercises.py's `verdict` and `readable`.
"""
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import bernoulli
from test_exercises import named, passes_with_float32_note, readable, verdict

from emlib import exercises

check_e, check_m = exercises.check_bernoulli_e_step, exercises.check_bernoulli_m_step


# ----------------------------------------------------------------------------------------
# Right implementations, independent of emlib
# ----------------------------------------------------------------------------------------
def log_joint(X, weights, probabilities):
    """a_ij = log pi_j + sum_d log Bernoulli(x_id | p_jd), (n, k), with scipy."""
    return np.log(weights) + bernoulli.logpmf(X[:, None, :], probabilities[None, :, :]).sum(axis=2)


def normalised(a):
    return np.exp(a - logsumexp(a, axis=1, keepdims=True))


def right_e_step(X, weights, probabilities):
    return normalised(log_joint(X, weights, probabilities))


def right_m_step(X, resp, a, b):
    N = resp.sum(axis=0)
    return N / len(X), (resp.T @ X + (a - 1)) / (N[:, None] + (a + b - 2))


def e_step_float32(X, weights, probabilities):
    X, weights, probabilities = (np.asarray(v, dtype=np.float32) for v in (X, weights, probabilities))
    a = np.log(weights) + X @ np.log(probabilities).T + (1 - X) @ np.log1p(-probabilities).T
    assert a.dtype == np.float32
    return normalised(a)


def m_step_float32(X, resp, a, b):
    return right_m_step(np.float32(X), np.float32(resp), np.float32(a), np.float32(b))


@pytest.mark.parametrize("check, fn", [(check_e, right_e_step), (check_m, right_m_step)], ids=["e_step", "m_step"])
def test_a_right_implementation_passes(check, fn, capsys):
    assert check(fn) is True
    out = capsys.readouterr().out
    assert f"{fn.__name__}: all 3 cases pass. Well done!" in out
    assert "✗" not in out and "Hint" not in out and "Note" not in out
    readable(out)


@pytest.mark.parametrize("check, fn", [(check_e, e_step_float32), (check_m, m_step_float32)], ids=["e_step", "m_step"])
def test_a_right_answer_in_float32_passes_with_a_note(check, fn, capsys):
    passes_with_float32_note(check, fn, capsys)


# ----------------------------------------------------------------------------------------
# check_bernoulli_e_step: each mistake, recognised
# ----------------------------------------------------------------------------------------
def e_step_from(name, log_joint_of):
    """An E-step that normalises a wrong a_ij (log_joint_of(X, weights, probabilities)) in log space."""
    return named(name, lambda X, weights, probabilities: normalised(log_joint_of(X, weights, probabilities)))


def products(X, weights, probabilities):
    """pi_j prod_d p_jd^x_id (1 - p_jd)^(1 - x_id), as a learner writes it outside log space."""
    return weights * np.prod(probabilities ** X[:, None, :] * (1 - probabilities) ** (1 - X[:, None, :]), axis=2)


def e_step_naive(X, weights, probabilities):
    p = products(X, weights, probabilities)
    return p / p.sum(axis=1, keepdims=True)


def e_step_epsilon(X, weights, probabilities):
    p = products(X, weights, probabilities) + 1e-300
    return p / p.sum(axis=1, keepdims=True)


def e_step_columns(X, weights, probabilities):
    a = log_joint(X, weights, probabilities)
    return np.exp(a - logsumexp(a, axis=0, keepdims=True))


def e_step_notebook_k(X, weights, probabilities):
    a = np.empty((len(X), 10))
    for j in range(10):                                   # the digits' k = 10, not len(weights)
        a[:, j] = np.log(weights[j]) + bernoulli.logpmf(X, probabilities[j]).sum(axis=1)
    return normalised(a)


E_STEP_MISTAKES = [
    (e_step_from("e_step_no_off_term", lambda X, w, p: np.log(w) + X @ np.log(p).T),
     ["case 1 of 3", "picture 2: expected", "(1 - x_id) log(1 - p_jd) term is missing", "not 1"]),
    (e_step_from("e_step_swapped", lambda X, w, p: np.log(w) + X @ np.log1p(-p).T + (1 - X) @ np.log(p).T),
     ["case 1 of 3", "x and 1 - x are swapped", "the probability that pixel d is on"]),
    (e_step_from("e_step_every_pixel", lambda X, w, p: np.log(w) + X @ np.log(p).T + np.log1p(-p).sum(axis=1)),
     ["case 1 of 3", "log(1 - p_jd) is added for every pixel"]),
    (e_step_from("e_step_no_weights", lambda X, w, p: log_joint(X, w, p) - np.log(w)),
     ["✓ 1.", "case 2 of 3", "the weights are missing"]),
    (e_step_from("e_step_weights_not_logged", lambda X, w, p: log_joint(X, w, p) - np.log(w) + w),
     ["✓ 1.", "case 2 of 3", "pi_j is added where log pi_j belongs"]),
    (e_step_from("e_step_no_off_term_no_weights", lambda X, w, p: X @ np.log(p).T),
     ["case 1 of 3", "(1 - x_id) log(1 - p_jd) term is missing"]),
    (e_step_columns, ["case 1 of 3", "Each column sums to 1", "each row sums to 1"]),
    (e_step_naive, ["✓ 2.", "case 3 of 3", "picture 2: expected [0.0000, 1.0000], got [nan, nan]",
                    "underflows to exactly 0", "log-sum-exp"]),
    (e_step_epsilon, ["✓ 2.", "case 3 of 3", "picture 2", "underflows to exactly 0", "log-sum-exp"]),
    (named("e_step_unnormalised", lambda X, w, p: np.exp(log_joint(X, w, p))),
     ["case 1 of 3", "divide each row by its sum"]),
    (named("e_step_log_space_result", lambda X, w, p: np.log(right_e_step(X, w, p))),
     ["case 1 of 3", "log-responsibilities", "exponentiate"]),
    (named("e_step_transposed", lambda X, w, p: right_e_step(X, w, p).T),
     ["case 1 of 3", "shape (2, 6), expected (6, 2)", "one row per picture"]),
    (named("e_step_with_log_likelihood", lambda X, w, p: (right_e_step(X, w, p), 0.0)),
     ["case 1 of 3", "is a tuple of 2 values", "Return only gamma"]),
    (named("e_step_rounded", lambda X, w, p: np.round(right_e_step(X, w, p), 4)),
     ["case 1 of 3", "rounded to 4 decimals"]),
    (e_step_notebook_k, ["case 1 of 3", "raised IndexError", "this case has n = 6, k = 2, d = 4: take them from "
                         "the arguments (len(X), len(weights) or resp.shape[1], X.shape[1])"]),
]


@pytest.mark.parametrize("fn, expected", E_STEP_MISTAKES, ids=[fn.__name__ for fn, _ in E_STEP_MISTAKES])
def test_each_e_step_mistake_is_recognised(fn, expected, capsys):
    verdict(check_e, fn, capsys, expected)


def test_the_two_slips_of_a_combination_are_both_named(capsys):
    # Unequal weights (case 2): log(1 - p) forgotten and pi_j not logged, both named.
    def my_bernoulli_e_step(X, weights, probabilities):
        if len(weights) == 2:
            return right_e_step(X, weights, probabilities)
        return normalised(weights + X @ np.log(probabilities).T)
    verdict(check_e, my_bernoulli_e_step, capsys,
            ["case 2 of 3", "It looks as if the (1 - x_id) log(1 - p_jd) term is missing",
             "And as if pi_j is added where log pi_j belongs"])


# ----------------------------------------------------------------------------------------
# check_bernoulli_m_step: each mistake, recognised
# ----------------------------------------------------------------------------------------
def m_step_with(name, probabilities_of, weights_of=lambda N, n, k, a: N / n):
    """An M-step whose probabilities are probabilities_of(X, resp, N, a, b), weights weights_of(N, n, k, a)."""
    def fn(X, resp, a, b):
        N = resp.sum(axis=0)
        return weights_of(N, len(X), resp.shape[1], a), probabilities_of(X, resp, N, a, b)
    return named(name, fn)


def m_step_hard(X, resp, a, b):
    return right_m_step(X, np.eye(resp.shape[1])[resp.argmax(axis=1)], a, b)


M_STEP_MISTAKES = [
    (m_step_with("m_step_no_prior", lambda X, r, N, a, b: r.T @ X / N[:, None]),
     ["case 1 of 3", "probabilities[0]", "the prior is missing", "a - 1 pictures with the pixel on"]),
    (m_step_with("m_step_posterior_mean", lambda X, r, N, a, b: (r.T @ X + a) / (N[:, None] + a + b)),
     ["case 1 of 3", "the mean of the Beta posterior", "the posterior's mode"]),
    (m_step_with("m_step_a_b_swapped", lambda X, r, N, a, b: (r.T @ X + b - 1) / (N[:, None] + a + b - 2)),
     ["✓ 2.", "case 3 of 3", "a and b are swapped"]),
    (m_step_with("m_step_without_b", lambda X, r, N, a, b: (r.T @ X + a - 1) / (N[:, None] + a - 1)),
     ["case 1 of 3", "the denominator misses b - 1"]),
    (m_step_with("m_step_denominator_N", lambda X, r, N, a, b: (r.T @ X + a - 1) / N[:, None]),
     ["case 1 of 3", "misses the prior's pseudo-counts"]),
    (m_step_with("m_step_divide_by_n", lambda X, r, N, a, b: (r.T @ X + a - 1) / (len(X) + a + b - 2)),
     ["case 1 of 3", "not n"]),
    (m_step_with("m_step_off", lambda X, r, N, a, b: (r.T @ (1 - X) + b - 1) / (N[:, None] + a + b - 2)),
     ["case 1 of 3", "the probabilities that each pixel is off"]),
    (m_step_with("m_step_unweighted", lambda X, r, N, a, b: (X.sum(axis=0) + a - 1) / (N[:, None] + a + b - 2)),
     ["case 1 of 3", "not weighted by the responsibilities"]),
    (m_step_hard, ["✓ 1.", "case 2 of 3", "hard assignments"]),
    (m_step_with("m_step_weights_N", lambda X, r, N, a, b: right_m_step(X, r, a, b)[1],
                 weights_of=lambda N, n, k, a: N),
     ["case 1 of 3", "these are N_j"]),
    (m_step_with("m_step_weights_uniform", lambda X, r, N, a, b: right_m_step(X, r, a, b)[1],
                 weights_of=lambda N, n, k, a: np.full(k, 1 / k)),
     ["case 1 of 3", "not 1/k"]),
    (m_step_with("m_step_weights_with_prior", lambda X, r, N, a, b: right_m_step(X, r, a, b)[1],
                 weights_of=lambda N, n, k, a: (N + a - 1) / (n + k * (a - 1))),
     ["case 1 of 3", "the Beta prior is on the probabilities only"]),
    (m_step_with("m_step_transposed", lambda X, r, N, a, b: ((X.T @ r + a - 1) / (N + a + b - 2))),
     ["case 1 of 3", "probabilities has shape (4, 2), expected (2, 4)", "X.T @ resp"]),
    (named("m_step_swapped_order", lambda X, r, a, b: right_m_step(X, r, a, b)[::-1]),
     ["case 1 of 3", "return them in the order weights, probabilities"]),
    (named("m_step_rounded", lambda X, r, a, b: tuple(np.round(v, 3) for v in right_m_step(X, r, a, b))),
     ["case 1 of 3", "rounded to 3 decimals"]),
    (named("m_step_one_value", lambda X, r, a, b: right_m_step(X, r, a, b)[1]),
     ["case 1 of 3", "expected two values back (weights and probabilities), got an ndarray"]),
]


@pytest.mark.parametrize("fn, expected", M_STEP_MISTAKES, ids=[fn.__name__ for fn, _ in M_STEP_MISTAKES])
def test_each_m_step_mistake_is_recognised(fn, expected, capsys):
    verdict(check_m, fn, capsys, expected)


# ----------------------------------------------------------------------------------------
# Functions that raise, return nothing or NaN, or change their inputs
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("check", [check_e, check_m], ids=["e_step", "m_step"])
def test_not_implemented_yet(check, capsys):
    def my_function(*args):
        raise NotImplementedError("compute it in log space")
    out = verdict(check, my_function, capsys)
    assert out.startswith("my_function: not implemented yet: compute it in log space\n")


@pytest.mark.parametrize("check", [check_e, check_m], ids=["e_step", "m_step"])
def test_an_exception_is_named_with_its_case_and_line(check, capsys):
    def my_function(*args):
        return {}["missing"]
    out = verdict(check, my_function, capsys, ["case 1 of 3", "my_function raised KeyError: 'missing'"])
    assert "return {}[\"missing\"]" in out and "Traceback" not in out and "emlib" not in out


@pytest.mark.parametrize("check", [check_e, check_m], ids=["e_step", "m_step"])
def test_returning_none_says_return_is_missing(check, capsys):
    verdict(check, lambda *args: None, capsys, ["None", "Hint: ", "`return"])


@pytest.mark.parametrize("check, fn, expected", [
    (check_e, lambda X, w, p: np.full((len(X), len(w)), np.nan), "picture 0: expected [0.9941, 0.0059], got [nan, nan]"),
    (check_m, lambda X, r, a, b: (r.mean(axis=0), np.full((r.shape[1], X.shape[1]), np.nan)),
     "probabilities[0]: expected [0.8000, 0.6000, 0.2000, 0.2000], got [nan, nan, nan, nan]"),
], ids=["e_step", "m_step"])
def test_nan_is_named(check, fn, expected, capsys):
    # picture 0 = (1, 1, 0, 0): 0.8 * 0.6 * 0.7 * 0.9 against 0.2 * 0.3 * 0.3 * 0.1, so gamma_00 = 0.3024 / 0.3042
    verdict(check, fn, capsys, [expected, "a NaN comes from 0/0"])


def test_probabilities_outside_0_1_and_weights_not_summing_to_1_are_named(capsys):
    verdict(check_m, lambda X, r, a, b: (right_m_step(X, r, a, b)[0] * 1.1, right_m_step(X, r, a, b)[1]), capsys,
            ["the weights should sum to 1; yours sum to 1.1000"])
    verdict(check_m, lambda X, r, a, b: (right_m_step(X, r, a, b)[0], right_m_step(X, r, a, b)[1] * 1.5), capsys,
            ["every probability lies strictly between 0 and 1"])


def test_an_input_changed_in_place_is_said(capsys):
    def my_bernoulli_m_step(X, resp, a, b):
        N = resp.sum(axis=0)
        resp /= N                                         # gamma_ij / N_j, in the caller's array
        return N / len(X), (resp.T @ X * N[:, None] + a - 1) / (N[:, None] + a + b - 2)
    assert check_m(my_bernoulli_m_step) is True
    out = capsys.readouterr().out
    readable(out)
    assert "my_bernoulli_m_step changed its input resp in place" in " ".join(out.split()), out
    assert check_m(right_m_step) is True                  # the check's own cases are intact


def test_the_underflow_case_is_what_it_says():
    # Case 3's pictures 2 and 3: every pi_j prod_d ... underflows to exactly 0 in float64, and a
    # log-space E-step still gives each a clear answer.
    from emlib.exercises.bernoulli import confident_case
    data = confident_case()
    X, w, p = data["X"], data["weights"], data["probabilities"]
    assert np.all(products(X, w, p)[2:4] == 0) and np.all(products(X, w, p)[[0, 1, 4]].max(axis=1) > 1e-100)
    assert X.shape[1] == 64
    np.testing.assert_allclose(right_e_step(X, w, p)[2:4], [[0, 1], [1, 0]], atol=1e-60)


# ----------------------------------------------------------------------------------------
# Broadcasting slips: an axis-alignment hint, not the hint about the notebook's sizes
# ----------------------------------------------------------------------------------------
def e_step_no_keepdims(X, weights, probabilities):
    a = log_joint(X, weights, probabilities)
    return np.exp(a - logsumexp(a, axis=1))               # (n, k) - (n,): keepdims=True is missing


def m_step_no_new_axis(X, resp, a, b):
    N = resp.sum(axis=0)
    return N / len(X), (resp.T @ X + a - 1) / (N + a + b - 2)   # (k, d) / (k,): [:, None] is missing


def e_step_notebook_n(X, weights, probabilities):
    gamma = np.empty((1797, len(weights)))                # the digits' n = 1797, not len(X)
    gamma[:] = right_e_step(X, weights, probabilities)
    return gamma


@pytest.mark.parametrize("check, fn", [(check_e, e_step_no_keepdims), (check_m, m_step_no_new_axis)],
                         ids=["e_step_no_keepdims", "m_step_no_new_axis"])
def test_a_broadcasting_slip_gets_the_axis_hint(check, fn, capsys):
    out = verdict(check, fn, capsys, ["case 1 of 3", "raised ValueError", "operands could not be broadcast",
                                      "keepdims=True", "[:, None]"])
    assert "not from the notebook's" not in out, out


def test_a_hard_coded_size_in_a_broadcasting_error_gets_the_size_hint(capsys):
    out = verdict(check_e, e_step_notebook_n, capsys,
                  ["case 1 of 3", "raised ValueError", "this case has n = 6, k = 2, d = 4: take them from the arguments"])
    assert "keepdims" not in out, out


def test_a_hint_is_capitalised_only_when_it_starts_with_a_word(capsys):
    fns = {fn.__name__: fn for fn, _ in M_STEP_MISTAKES}
    assert "Hint: a and b are swapped" in verdict(check_m, fns["m_step_a_b_swapped"], capsys)
    assert "Hint: The denominator misses b - 1" in verdict(check_m, fns["m_step_without_b"], capsys)
