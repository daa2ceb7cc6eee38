"""Lesson 11's exercise checks (covariance structures), both ways: right implementations pass, each
classic mistake fails with its own hint.

The right implementations are written independently of emlib (numpy's einsum and np.cov, the
counts from the structure's definition); the wrong ones are the mistakes the checks claim to
recognise, one function each.  The verdicts are read from capsys and held to what test_exercises
holds the other lessons' to: short lines, expected and got visibly different, and for the
M-step's cases each with its n (the parameter counts have no points).
"""
import re

import numpy as np
import pytest
from test_exercises import named, passes_with_float32_note, readable, shown, verdict

from emlib import exercises


# ----------------------------------------------------------------------------------------
# Right implementations, independent of emlib
# ----------------------------------------------------------------------------------------
def right_n_parameters(k, d, covariance_type):
    """(k - 1) weights + k d means + the free entries of the covariances."""
    upper_triangle = d * (d + 1) // 2
    covariances = {"full": k * upper_triangle, "tied": upper_triangle, "diag": k * d, "spherical": k}
    return (k - 1) + k * d + covariances[covariance_type]


def n_parameters_by_listing(k, d, covariance_type):
    """The same count, by listing the free numbers: the weights but the last, every mean coordinate, and
    the covariance entries (a, b) with a <= b that the structure leaves free, per free matrix."""
    entries = [(a, b) for a in range(d) for b in range(d) if a <= b]
    if covariance_type in ("diag", "spherical"):
        entries = [(a, b) for a, b in entries if a == b]
    per_matrix = 1 if covariance_type == "spherical" else len(entries)
    matrices = 1 if covariance_type == "tied" else k
    return len(range(k - 1)) + len([(j, a) for j in range(k) for a in range(d)]) + matrices * per_matrix


def scatter(X, resp):
    """N (k,), S (k, d, d): S_j = sum_i gamma_ij (x_i - mu_j)(x_i - mu_j)^T, by einsum."""
    N = resp.sum(axis=0)
    means = np.einsum("ij,ia->ja", resp, X) / N[:, None]
    diff = X[:, None, :] - means[None]                               # (n, k, d)
    return N, np.einsum("ij,ija,ijb->jab", resp, diff, diff)


def right_covariances(X, resp, covariance_type):
    N, S = scatter(X, resp)
    k, d = S.shape[:2]
    if covariance_type == "full":
        return S / N[:, None, None]
    if covariance_type == "tied":
        return np.broadcast_to(S.sum(axis=0) / len(X), (k, d, d)).copy()
    variances = np.einsum("jaa->ja", S) / N[:, None]
    if covariance_type == "spherical":
        variances = np.repeat(variances.mean(axis=1, keepdims=True), d, axis=1)
    return np.einsum("ja,ab->jab", variances, np.eye(d))


def covariances_float32(X, resp, covariance_type):
    return right_covariances(X.astype(np.float32), resp.astype(np.float32), covariance_type)


def readable_counts(out):
    """A parameter-count verdict reads well in a cell: short lines, few, expected and got different."""
    lines = out.rstrip("\n").split("\n")
    assert len(lines) <= 14 and max(map(len, lines)) <= 100, f"too long to read in a cell:\n{out}"
    pair = shown(out)
    if pair:
        assert pair[0] != pair[1], f"expected and got print the same:\n{out}"


@pytest.mark.parametrize("fn", [right_n_parameters, n_parameters_by_listing])
def test_a_right_count_passes(fn, capsys):
    assert exercises.check_n_parameters(fn) is True
    out = capsys.readouterr().out
    assert out.startswith(f"{fn.__name__}: all 8 cases pass. Well done!")
    assert "✗" not in out and "Hint" not in out
    readable_counts(out)


def test_right_covariances_pass(capsys):
    assert exercises.check_covariances(right_covariances) is True
    out = capsys.readouterr().out
    assert out.startswith("right_covariances: all 3 cases pass. Well done!")
    assert "✗" not in out and "Hint" not in out and "Note" not in out
    readable(out)


def test_covariances_in_float32_pass_with_a_note(capsys):
    passes_with_float32_note(exercises.check_covariances, covariances_float32, capsys)


# ----------------------------------------------------------------------------------------
# The parameter count: each classic mistake, with its hint and the case where it first shows
# ----------------------------------------------------------------------------------------
def count_with(name, weights=lambda k: k - 1, full=None, tied=None, diag=None, spherical=None, means=True):
    """right_n_parameters with one term counted another way: each of full, tied, diag, spherical a
    function (k, d) -> that structure's covariance count."""
    def fn(k, d, covariance_type):
        other = {"full": full, "tied": tied, "diag": diag, "spherical": spherical}[covariance_type]
        covariances = other(k, d) if other else right_n_parameters(k, d, covariance_type) - (k - 1) - k * d
        return weights(k) + (k * d if means else 0) + covariances
    return named(name, fn)


COUNT_MISTAKES = [
    (count_with("k_weights", weights=lambda k: k), ["case 1 of 8", "expected 17, got 18", "only k - 1 weights"]),
    (count_with("full_d_squared", full=lambda k, d: k * d * d, tied=lambda k, d: d * d),
     ["case 1 of 8", "expected 17, got 20", "d (d + 1) / 2 entries, not d * d"]),
    (count_with("tied_counted_k_times", tied=lambda k, d: k * d * (d + 1) // 2),
     ["✓ 1.", "case 2 of 8", "expected 11, got 17", "count its d (d + 1) / 2 entries once, not k times"]),
    (count_with("tied_d_squared", tied=lambda k, d: d * d),
     ["case 2 of 8", "expected 11, got 12", "the shared Sigma is symmetric"]),
    (count_with("spherical_one_variance", spherical=lambda k, d: 1),
     ["✓ 3.", "case 4 of 8", "expected 11, got 9", "its own variance sigma_j^2", "EII"]),
    (count_with("spherical_d_variances", spherical=lambda k, d: k * d),
     ["case 4 of 8", "expected 11, got 14", "not d of them"]),
    (count_with("diag_upper_triangle", diag=lambda k, d: k * d * (d + 1) // 2),
     ["case 3 of 8", "expected 14, got 17", "no covariances off the diagonal"]),
    (count_with("diag_one_diagonal", diag=lambda k, d: d), ["case 3 of 8", "expected 14, got 10", "EEI"]),
    (count_with("diag_one_variance_each", diag=lambda k, d: k), ["case 3 of 8", "expected 14, got 11",
                                                                 "not one per component"]),
    (count_with("no_means", means=False), ["case 1 of 8", "expected 17, got 11", "count the means too"]),
    (count_with("no_weights", weights=lambda k: 0), ["case 1 of 8", "expected 17, got 15", "k - 1 free weights"]),
    (named("covariances_only", lambda k, d, t: right_n_parameters(k, d, t) - (k - 1) - k * d),
     ["case 1 of 8", "not only the covariances"]),
    (named("hard_coded", lambda k, d, t: right_n_parameters(3, 2, t)),
     ["✓ 4.", "case 5 of 8", "expected 39, got 17", "this case has k = 4 and d = 3: use the arguments"]),
    (named("no_idea", lambda k, d, t: right_n_parameters(k, d, t) + 7),
     ["case 1 of 8", "expected 17, got 24", "the covariances' free entries, which depend on covariance_type"]),
    (named("half_count", lambda k, d, t: right_n_parameters(k, d, t) / 2), ["case 1 of 8", "got 8.5"]),
]


@pytest.mark.parametrize("fn, expected", COUNT_MISTAKES, ids=[fn.__name__ for fn, _ in COUNT_MISTAKES])
def test_each_counting_mistake_is_recognised(fn, expected, capsys):
    assert exercises.check_n_parameters(fn) is False
    out = capsys.readouterr().out
    words = " ".join(out.split()).lower()
    missing = [text for text in expected if " ".join(text.split()).lower() not in words]
    assert not missing, f"check_n_parameters({fn.__name__}) does not say {missing}:\n{out}"
    readable_counts(out)


def test_a_count_that_is_not_a_number_is_named(capsys):
    assert exercises.check_n_parameters(lambda k, d, t: None) is False
    assert "`return` and the count" in capsys.readouterr().out
    assert exercises.check_n_parameters(lambda k, d, t: float("nan")) is False
    assert "got nan" in capsys.readouterr().out
    assert exercises.check_n_parameters(lambda k, d, t: [1, 2]) is False
    assert "expected one number (the number of free parameters)" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------
# The M-step's covariances: each classic mistake, with its hint
# ----------------------------------------------------------------------------------------
def covariances_with(name, **others):
    """right_covariances with the update of some types replaced: type -> fn(X, resp, N, S)."""
    def fn(X, resp, covariance_type):
        if covariance_type in others:
            N, S = scatter(X, resp)
            return others[covariance_type](X, resp, N, S)
        return right_covariances(X, resp, covariance_type)
    return named(name, fn)


def each(S, k):
    return np.repeat(S[None], k, axis=0)


def about_data_mean(X, resp, covariance_type):
    # every update from the scatter about the mean of all the data
    N = resp.sum(axis=0)
    diff = X - X.mean(axis=0)
    S = np.einsum("ij,ia,ib->jab", resp, diff, diff)
    d = X.shape[1]
    updates = {"full": S / N[:, None, None], "tied": each(S.sum(axis=0) / len(X), len(N)),
               "diag": S * np.eye(d) / N[:, None, None],
               "spherical": np.einsum("jaa->j", S)[:, None, None] / (d * N[:, None, None]) * np.eye(d)}
    return updates[covariance_type]


def divided_by_n(X, resp, covariance_type):
    N = resp.sum(axis=0)
    return right_covariances(X, resp, covariance_type) * (N / len(X) if covariance_type != "tied"
                                                          else np.ones_like(N))[:, None, None]


def trace(S):
    return np.einsum("jaa->j", S)


COVARIANCE_MISTAKES = [
    (named("full_for_every_type", lambda X, r, t: right_covariances(X, r, "full")),
     ["case 1 of 3", "tied covariances[0]", "your function ignores covariance_type"]),
    (named("about_data_mean", about_data_mean), ["case 1 of 3", "full covariances", "mean of all the data"]),
    (named("divided_by_n", divided_by_n), ["case 1 of 3", "not by n"]),
    (covariances_with("tied_per_component", tied=lambda X, r, N, S: S / N[:, None, None]),
     ["case 1 of 3", "shares one covariance", "pool the scatter matrices"]),
    (covariances_with("tied_equal_weights", tied=lambda X, r, N, S: each((S / N[:, None, None]).mean(axis=0), len(N))),
     ["case 1 of 3", "equal weights 1/k"]),
    (covariances_with("tied_summed", tied=lambda X, r, N, S: each((S / N[:, None, None]).sum(axis=0), len(N))),
     ["case 1 of 3", "adds up the components' covariances"]),
    (covariances_with("tied_data_covariance", tied=lambda X, r, N, S: each(np.cov(X.T, bias=True), len(N))),
     ["case 1 of 3", "covariance of all the data"]),
    (covariances_with("diag_keeps_off_diagonal", diag=lambda X, r, N, S: S / N[:, None, None]),
     ["case 1 of 3", "diag covariances[", "set the entries off the diagonal to 0"]),
    (covariances_with("diag_standard_deviations",
                      diag=lambda X, r, N, S: np.sqrt(S * np.eye(X.shape[1]) / N[:, None, None])),
     ["case 1 of 3", "standard deviations"]),
    (covariances_with("spherical_trace_not_by_d",
                      spherical=lambda X, r, N, S: (trace(S) / N)[:, None, None] * np.eye(X.shape[1])),
     ["case 1 of 3", "spherical covariances[", "divide the trace by d as well"]),
    (covariances_with("spherical_one_variance",
                      spherical=lambda X, r, N, S: trace(S).sum() / (X.shape[1] * len(X)) * np.ones((len(N), 1, 1))
                      * np.eye(X.shape[1])),
     ["case 1 of 3", "EII", "its own sigma_j^2"]),
    (covariances_with("spherical_as_diag", spherical=lambda X, r, N, S: S * np.eye(X.shape[1]) / N[:, None, None]),
     ["case 1 of 3", "that is 'diag'"]),
    (covariances_with("spherical_standard_deviation",
                      spherical=lambda X, r, N, S: np.sqrt(trace(S) / (X.shape[1] * N))[:, None, None]
                      * np.eye(X.shape[1])),
     ["case 1 of 3", "the variance sigma_j^2 goes on the diagonal"]),
    (covariances_with("diag_variances_only", diag=lambda X, r, N, S: np.einsum("jaa->ja", S) / N[:, None]),
     ["the result for 'diag' has shape (3, 2), expected (3, 2, 2)", "the variances on the diagonal"]),
    (covariances_with("tied_one_matrix", tied=lambda X, r, N, S: S.sum(axis=0) / len(X)),
     ["the result for 'tied' has shape (2, 2), expected (3, 2, 2)", "the same matrix k times"]),
]


@pytest.mark.parametrize("fn, expected", COVARIANCE_MISTAKES, ids=[fn.__name__ for fn, _ in COVARIANCE_MISTAKES])
def test_each_covariance_mistake_is_recognised(fn, expected, capsys):
    verdict(exercises.check_covariances, fn, capsys, expected)


def test_a_hard_coded_k_gets_the_size_hint(capsys):
    def my_covariances(X, resp, covariance_type):
        return np.stack([right_covariances(X, resp, covariance_type)[j % resp.shape[1]] for j in range(3)])
    assert exercises.check_covariances(my_covariances) is False
    out = " ".join(capsys.readouterr().out.split())
    assert "✓ 1." in out and "case 2 of 3" in out and "has shape (3, 2, 2), expected (2, 2, 2)" in out


@pytest.mark.parametrize("check", [exercises.check_n_parameters, exercises.check_covariances])
def test_not_implemented_yet(check, capsys):
    def my_function(*args):
        raise NotImplementedError("write it")
    assert check(my_function) is False
    assert capsys.readouterr().out.startswith("my_function: not implemented yet: write it")


@pytest.mark.parametrize("check", [exercises.check_n_parameters, exercises.check_covariances])
def test_an_exception_is_named_with_its_case(check, capsys):
    def my_function(*args):
        return {}["missing"]
    assert check(my_function) is False
    out = capsys.readouterr().out
    assert "case 1 of" in out and "my_function raised KeyError: 'missing'" in out
    assert re.search(r"in my_function, line \d+", out) and "Traceback" not in out


def test_the_check_leaves_the_inputs_alone_and_says_when_they_change(capsys):
    def my_covariances(X, resp, covariance_type):
        result = right_covariances(X, resp, covariance_type)
        resp /= resp.sum(axis=0)                            # in the caller's array
        return result
    assert exercises.check_covariances(my_covariances) is True
    assert "changed its input resp in place" in " ".join(capsys.readouterr().out.split())
    assert exercises.check_covariances(right_covariances) is True
