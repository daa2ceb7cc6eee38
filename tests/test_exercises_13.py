"""Lesson 13's exercise check (the posterior of a generative classifier), both ways: right
implementations pass, each classic mistake fails with its own hint.

The right implementations are written independently of emlib (scipy's multivariate_normal for
each component's density, scipy's logsumexp); the wrong ones are the mistakes the check claims to
recognise, one function each.  The verdicts are read from capsys and held to what test_exercises
holds the other lessons' to (`verdict`, `readable`: short lines, every case with its n, expected
and got visibly different).
"""
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from test_exercises import named, passes_with_float32_note, readable, verdict

from emlib import exercises

check = exercises.check_class_posterior


# ----------------------------------------------------------------------------------------
# Right implementations, independent of emlib
# ----------------------------------------------------------------------------------------
def component_log_densities(X, params):
    """log N(x_i | mu_j, Sigma_j), (n, k), by scipy."""
    return np.column_stack([multivariate_normal.logpdf(X, mu, S) for mu, S in zip(params.means, params.covariances)])


def class_log_densities(X, class_mixtures, weighted=True, combine=logsumexp):
    """log p(x_i | theta_c), (n, C): log-sum-exp over each class's components of log pi_cj + log N."""
    return np.column_stack([combine(component_log_densities(X, m) + (np.log(m.weights) if weighted else 0), axis=1)
                            for m in class_mixtures])


def right_class_posterior(X, class_mixtures, class_priors):
    b = class_log_densities(X, class_mixtures) + np.log(class_priors)
    return np.exp(b - logsumexp(b, axis=1, keepdims=True))


def posterior_by_shifting(X, class_mixtures, class_priors):
    """The same, with the maximum shifted out by hand instead of scipy's logsumexp."""
    b = class_log_densities(X, class_mixtures) + np.log(class_priors)
    e = np.exp(b - b.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def posterior_float32(X, class_mixtures, class_priors):
    b = (class_log_densities(X, class_mixtures) + np.log(class_priors)).astype(np.float32)
    return np.exp(b - logsumexp(b, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("fn", [right_class_posterior, posterior_by_shifting], ids=lambda fn: fn.__name__)
def test_a_right_implementation_passes(fn, capsys):
    assert check(fn) is True
    out = capsys.readouterr().out
    assert f"{fn.__name__}: all 3 cases pass. Well done!" in out
    assert "✗" not in out and "Hint" not in out and "Note" not in out
    readable(out)


def test_a_right_answer_in_float32_passes_with_a_note(capsys):
    passes_with_float32_note(check, posterior_float32, capsys)


# ----------------------------------------------------------------------------------------
# The classic mistakes, each with its hint (and the case where it first shows)
# ----------------------------------------------------------------------------------------
def softmax(b, axis=1):
    return np.exp(b - logsumexp(b, axis=axis, keepdims=True))


def posterior_with(name, make_b, normalise=softmax):
    """A wrong posterior: normalise(make_b(log p(x | theta_c) (n, C), P(c) (C,)))."""
    def fn(X, class_mixtures, class_priors):
        return normalise(make_b(class_log_densities(X, class_mixtures), class_priors))
    return named(name, fn)


def posterior_unweighted(X, class_mixtures, class_priors):
    return softmax(class_log_densities(X, class_mixtures, weighted=False) + np.log(class_priors))


def posterior_max_component(X, class_mixtures, class_priors):
    return softmax(class_log_densities(X, class_mixtures, combine=np.max) + np.log(class_priors))


def posterior_linear(X, class_mixtures, class_priors):
    p = np.exp(class_log_densities(X, class_mixtures)) * class_priors
    return p / p.sum(axis=1, keepdims=True)


def posterior_epsilon(X, class_mixtures, class_priors):
    p = np.exp(class_log_densities(X, class_mixtures)) * class_priors + 1e-300
    return p / p.sum(axis=1, keepdims=True)


def posterior_labels(X, class_mixtures, class_priors):
    return right_class_posterior(X, class_mixtures, class_priors).argmax(axis=1)


def posterior_transposed(X, class_mixtures, class_priors):
    return right_class_posterior(X, class_mixtures, class_priors).T


def posterior_rounded(X, class_mixtures, class_priors):
    return np.round(right_class_posterior(X, class_mixtures, class_priors), 3)


MISTAKES = [
    (posterior_with("posterior_no_priors", lambda log_p, priors: log_p),
     ["case 1 of 3", "point 6 at [2.0000, 2.0000]", "the class priors are missing"]),
    (posterior_with("posterior_priors_not_logged", lambda log_p, priors: log_p + priors),
     ["case 1 of 3", "P(c) is added where log P(c) belongs"]),
    (posterior_with("posterior_priors_multiplied", lambda log_p, priors: log_p * priors),
     ["case 1 of 3", "the log density is multiplied by P(c)"]),
    (posterior_unweighted, ["✓ 1.", "case 2 of 3", "leaves out its mixture's weights", "emlib.score_samples"]),
    (posterior_max_component, ["✓ 1.", "case 2 of 3", "its largest component's", "not max"]),
    (posterior_with("posterior_columns", lambda log_p, priors: log_p + np.log(priors),
                    normalise=lambda b: softmax(b, axis=0)),
     ["case 1 of 3", "each column sums to 1", "each point's posteriors sum to 1"]),
    (posterior_with("posterior_log", lambda log_p, priors: log_p + np.log(priors),
                    normalise=lambda b: b - logsumexp(b, axis=1, keepdims=True)),
     ["case 1 of 3", "these are the log-posteriors", "exponentiate"]),
    (posterior_with("posterior_unnormalised", lambda log_p, priors: log_p + np.log(priors), normalise=np.exp),
     ["case 1 of 3", "divide each row by its sum"]),
    (posterior_linear, ["✓ 2.", "case 3 of 3", "point 0 at [60.0000, 60.0000]", "got [nan, nan]",
                        "underflows to exactly 0", "log-sum-exp"]),
    (posterior_epsilon, ["✓ 2.", "case 3 of 3", "point 0 at [60.0000, 60.0000]", "log-sum-exp"]),
    (posterior_labels, ["case 1 of 3", "shape (10,), expected (10, 2)", "look like the predicted classes",
                        "argmax along axis=1"]),
    (posterior_transposed, ["case 1 of 3", "shape (2, 10), expected (10, 2)", "one row per point"]),
    (posterior_rounded, ["case 1 of 3", "rounded to 3 decimals"]),
]


@pytest.mark.parametrize("fn, expected", MISTAKES, ids=[fn.__name__ for fn, _ in MISTAKES])
def test_each_mistake_is_recognised(fn, expected, capsys):
    verdict(check, fn, capsys, expected)


def test_a_mistake_no_hint_knows_still_shows_what_differs(capsys):
    def posterior_shifted(X, class_mixtures, class_priors):      # a wrong posterior, no known slip
        return 0.9 * right_class_posterior(X, class_mixtures, class_priors) + 0.05
    out = verdict(check, posterior_shifted, capsys, ["case 1 of 3", "expected [", "got ["])
    assert "Hint" not in out, out


def test_not_implemented_yet(capsys):
    def my_class_posterior(X, class_mixtures, class_priors):
        raise NotImplementedError("add log P(c), then normalise each row with log-sum-exp")
    out = verdict(check, my_class_posterior, capsys)
    assert out.startswith("my_class_posterior: not implemented yet: add log P(c)"), out


def test_an_exception_is_named_with_its_case(capsys):
    def my_class_posterior(X, class_mixtures, class_priors):
        return class_mixtures[0].weights[5]
    verdict(check, my_class_posterior, capsys,
            ["case 1 of 3", "my_class_posterior raised IndexError", "return class_mixtures[0].weights[5]"])


def test_a_broadcasting_slip_gets_the_axis_hint(capsys):
    def my_class_posterior(X, class_mixtures, class_priors):
        b = class_log_densities(X, class_mixtures) + np.log(class_priors)
        return np.exp(b - logsumexp(b, axis=1))              # (n, C) - (n,): keepdims=True is missing
    out = verdict(check, my_class_posterior, capsys, ["case 1 of 3", "raised ValueError", "keepdims=True"])
    assert "not from the notebook's" not in out, out
