"""Lesson 12's exercise check (the MAP M-step of one component), both ways: right implementations
pass, each classic mistake fails with its own hint.

The right implementations are written independently of emlib (numpy, in the two equivalent forms
of the scatter), and checked against scipy's inverse-Wishart density: the update is the mode of
the posterior.  The wrong ones are the mistakes the check claims to recognise, one function each.
The verdicts are read from capsys and held to what test_exercises holds the other lessons' to
(`verdict`, `readable`: short lines, every case with its n, expected and got visibly different).
"""
import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import invwishart, multivariate_normal
from test_exercises import named, passes_with_float32_note, readable, verdict

from emlib import Prior, exercises
from emlib.exercises.map_update import cases


# ----------------------------------------------------------------------------------------
# Right implementations, independent of emlib
# ----------------------------------------------------------------------------------------
def sums(X, resp_j):
    N = resp_j.sum()
    xbar = resp_j @ X / N
    diff = X - xbar
    return N, xbar, np.einsum("n,na,nb->ab", resp_j, diff, diff)


def right_map_update(X, resp_j, prior):
    """The scatter about xbar_j, plus kappa N_j / (N_j + kappa) (xbar_j - mu_p)(xbar_j - mu_p)^T."""
    d = X.shape[1]
    N, xbar, S = sums(X, resp_j)
    kappa, mu_p = prior.shrinkage, prior.mean
    mean = (N * xbar + kappa * mu_p) / (N + kappa)
    pull = kappa * N / (N + kappa) * np.outer(xbar - mu_p, xbar - mu_p)
    return mean, (prior.scale + S + pull) / (prior.dof + N + d + 2)


def map_update_about_the_mean(X, resp_j, prior):
    """The other form: the scatter about the new mu_j, plus kappa (mu_j - mu_p)(mu_j - mu_p)^T."""
    d = X.shape[1]
    N = resp_j.sum()
    mean = (resp_j @ X + prior.shrinkage * prior.mean) / (N + prior.shrinkage)
    diff = X - mean
    around = (resp_j[:, None] * diff).T @ diff + prior.shrinkage * np.outer(mean - prior.mean, mean - prior.mean)
    return mean, (prior.scale + around) / (prior.dof + N + d + 2)


def map_update_float32(X, resp_j, prior):
    f = np.float32
    X, resp_j = X.astype(f), resp_j.astype(f)
    N = resp_j.sum()
    xbar = resp_j @ X / N
    diff = X - xbar
    S = (resp_j[:, None] * diff).T @ diff
    mu_p, kappa = prior.mean.astype(f), f(prior.shrinkage)
    mean = (N * xbar + kappa * mu_p) / (N + kappa)
    pull = kappa * N / (N + kappa) * np.outer(xbar - mu_p, xbar - mu_p)
    return mean, (prior.scale.astype(f) + S + pull) / (f(prior.dof) + N + X.shape[1] + 2)


def test_the_update_is_the_posterior_mode():
    # Independent of the algebra: maximise sum_i gamma_ij log N(x_i | mu, Sigma) + log N(mu | mu_p,
    # Sigma / kappa) + log IW(Sigma | nu, Lambda) numerically (scipy's densities), over mu and a
    # Cholesky factor of Sigma, on the 3-D case, and compare with the closed form.
    _, X, resp_j, prior = cases()[2]
    d = X.shape[1]

    def unpack(theta):
        L = np.zeros((d, d))
        L[np.tril_indices(d)] = theta[d:]
        return theta[:d], L @ L.T

    def negative(theta):
        mu, Sigma = unpack(theta)
        try:
            return -(resp_j @ multivariate_normal.logpdf(X, mu, Sigma)
                     + multivariate_normal.logpdf(mu, prior.mean, Sigma / prior.shrinkage)
                     + invwishart.logpdf(Sigma, df=prior.dof, scale=prior.scale))
        except (ValueError, np.linalg.LinAlgError):
            return np.inf
    mean, covariance = right_map_update(X, resp_j, prior)
    start = np.concatenate([X.mean(axis=0), np.linalg.cholesky(np.cov(X.T))[np.tril_indices(d)]])
    found = minimize(negative, start, method="BFGS", options=dict(gtol=1e-9, maxiter=10_000))
    mu, Sigma = unpack(found.x)
    assert np.allclose(mu, mean, atol=1e-5) and np.allclose(Sigma, covariance, atol=1e-5)
    # ... and the closed form is a stationary point of that function to rounding
    exact = np.concatenate([mean, np.linalg.cholesky(covariance)[np.tril_indices(d)]])
    assert negative(exact) <= found.fun + 1e-9


@pytest.mark.parametrize("fn", [right_map_update, map_update_about_the_mean], ids=lambda f: f.__name__)
def test_a_right_implementation_passes(fn, capsys):
    assert exercises.check_map_update(fn) is True
    out = capsys.readouterr().out
    assert f"{fn.__name__}: all 4 cases pass. Well done!" in out
    assert "✗" not in out and "Hint" not in out and "Note" not in out
    readable(out)


def test_a_right_answer_in_float32_passes_with_a_note(capsys):
    passes_with_float32_note(exercises.check_map_update, map_update_float32, capsys)


# ----------------------------------------------------------------------------------------
# Each mistake, recognised
# ----------------------------------------------------------------------------------------
def with_mean(name, mean_of):
    """The right covariance, with the mean mean_of(X, resp_j, prior, N, xbar)."""
    def fn(X, resp_j, prior):
        _, covariance = right_map_update(X, resp_j, prior)
        N, xbar, _ = sums(X, resp_j)
        return mean_of(X, resp_j, prior, N, xbar), covariance
    return named(name, fn)


def with_covariance(name, numerator_of=None, denominator_of=None):
    """The right mean; the covariance numerator_of(...) / denominator_of(...), each right by default."""
    def fn(X, resp_j, prior):
        n, d = X.shape
        N, xbar, S = sums(X, resp_j)
        mean, _ = right_map_update(X, resp_j, prior)
        pull = prior.shrinkage * N / (N + prior.shrinkage) * np.outer(xbar - prior.mean, xbar - prior.mean)
        numerator = (prior.scale + S + pull) if numerator_of is None else numerator_of(
            X, resp_j, prior, N, xbar, S, mean, pull)
        denominator = (prior.dof + N + d + 2) if denominator_of is None else denominator_of(prior.dof, N, n, d)
        return mean, numerator / denominator
    return named(name, fn)


def about(X, resp_j, centre):
    diff = X - centre
    return (resp_j[:, None] * diff).T @ diff


MISTAKES = [
    (with_mean("mean_not_shrunk", lambda X, r, p, N, xbar: xbar),
     ["case 1 of 4", "the maximum-likelihood mean xbar_j", "towards mu_p (prior.mean)"]),
    (with_mean("mean_to_data_mean", lambda X, r, p, N, xbar: (N * xbar + p.shrinkage * X.mean(axis=0)) / (N + p.shrinkage)),
     ["case 1 of 4", "pulled towards the data's mean", "its own mean mu_p"]),
    (with_mean("mean_over_N", lambda X, r, p, N, xbar: (N * xbar + p.shrinkage * p.mean) / N),
     ["case 1 of 4", "divide by N_j + kappa"]),
    (with_mean("mean_swapped", lambda X, r, p, N, xbar: (p.shrinkage * xbar + N * p.mean) / (N + p.shrinkage)),
     ["case 1 of 4", "N_j and kappa are swapped"]),
    (with_mean("mean_len_X", lambda X, r, p, N, xbar: (r @ X + p.shrinkage * p.mean) / (len(X) + p.shrinkage)),
     ["case 1 of 4", "not len(X)"]),
    (with_covariance("no_kappa_term", lambda X, r, p, N, xbar, S, mean, pull: p.scale + S),
     ["case 1 of 4", "the kappa term is missing", "kappa N_j / (N_j + kappa)"]),
    (with_covariance("no_kappa_term_about_mean", lambda X, r, p, N, xbar, S, mean, pull: p.scale + about(X, r, mean)),
     ["case 1 of 4", "centred on mu_j but the kappa term is missing"]),
    (with_covariance("kappa_term_without_factor",
                     lambda X, r, p, N, xbar, S, mean, pull: p.scale + S + p.shrinkage * np.outer(xbar - p.mean, xbar - p.mean)),
     ["case 1 of 4", "your kappa term is kappa (xbar_j - mu_p)", "needs the factor N_j / (N_j + kappa)"]),
    (with_covariance("forms_mixed", lambda X, r, p, N, xbar, S, mean, pull: p.scale + about(X, r, mean) + pull),
     ["case 1 of 4", "use one form"]),
    (with_covariance("denominator_sklearn", denominator_of=lambda nu, N, n, d: nu + N),
     ["case 1 of 4", "divides by nu + N_j", "scikit-learn's covariances_", "nu + N_j + d + 2"]),
    (with_covariance("denominator_marginal_mode", denominator_of=lambda nu, N, n, d: nu + N + d + 1),
     ["case 1 of 4", "one short", "|Sigma_j|^(-1/2)"]),
    (with_covariance("denominator_posterior_mean", denominator_of=lambda nu, N, n, d: nu + N - d - 1),
     ["case 1 of 4", "the posterior mean of Sigma_j"]),
    (with_covariance("denominator_N", denominator_of=lambda nu, N, n, d: N),
     ["case 1 of 4", "maximum likelihood's denominator", "nu + d + 2 pseudo-observations"]),
    (with_covariance("denominator_len_X", denominator_of=lambda nu, N, n, d: nu + n + d + 2),
     ["case 1 of 4", "resp_j.sum()", "not len(X)"]),
    (with_covariance("no_scale", lambda X, r, p, N, xbar, S, mean, pull: S + pull),
     ["case 1 of 4", "Lambda (prior.scale) is missing"]),
    (with_covariance("scale_inverted",
                     lambda X, r, p, N, xbar, S, mean, pull: np.linalg.inv(p.scale) + S + pull),
     ["✓ 1.", "case 2 of 4", "not its inverse"]),
    (with_covariance("maximum_likelihood", lambda X, r, p, N, xbar, S, mean, pull: S,
                     denominator_of=lambda nu, N, n, d: N),
     ["case 1 of 4", "the maximum-likelihood covariance S_j / N_j"]),
    (with_covariance("denominator_other", denominator_of=lambda nu, N, n, d: nu + N + 0.5),
     ["case 1 of 4", "divided by 8.5;", "nu + N_j + d + 2 = 4 + 4 + 2 + 2 = 12."]),
    (with_covariance("asymmetric",
                     lambda X, r, p, N, xbar, S, mean, pull: p.scale + S + pull + np.triu(np.ones_like(S), 1)),
     ["case 1 of 4", "not symmetric"]),
]


@pytest.mark.parametrize("fn, expected", MISTAKES, ids=[fn.__name__ for fn, _ in MISTAKES])
def test_each_mistake_is_recognised(fn, expected, capsys):
    verdict(exercises.check_map_update, fn, capsys, expected)


def test_the_denominator_is_named_only_for_the_right_numerator(capsys):
    # A covariance that is not the right numerator over some number gets no denominator hint.
    out = verdict(exercises.check_map_update,
                  with_covariance("scale_doubled", lambda X, r, p, N, xbar, S, mean, pull: 2 * p.scale + S + pull),
                  capsys, ["case 1 of 4", "covariance[0]: expected"])
    assert "divided by" not in out and "Hint" not in out


def test_the_cases_differ_where_the_mistakes_need_them():
    # The prior's mean differs from the data's in case 1 (so the data's mean is told apart), and
    # case 4's component sits on four copies of one point (zero scatter), which only the prior's
    # scale keeps positive definite.
    (_, X1, _, prior1), _, _, (_, X4, resp4, _) = cases()
    assert not np.allclose(prior1.mean, X1.mean(axis=0))
    assert np.allclose(sums(X4, resp4)[2], 0)


# ----------------------------------------------------------------------------------------
# Functions that raise, return the wrong thing, or change their input
# ----------------------------------------------------------------------------------------
def test_not_implemented_yet(capsys):
    def my_map_update(X, resp_j, prior):
        raise NotImplementedError("shrink the mean towards prior.mean")
    out = verdict(exercises.check_map_update, my_map_update, capsys)
    assert out.startswith("my_map_update: not implemented yet: shrink the mean towards prior.mean\n")


def test_an_exception_is_named_with_its_case(capsys):
    def my_map_update(X, resp_j, prior):
        return prior.kappa
    verdict(exercises.check_map_update, my_map_update, capsys,
            ["case 1 of 4", "my_map_update raised AttributeError", "return prior.kappa"])


@pytest.mark.parametrize("fn, expected", [
    (lambda X, r, p: None, ["the function returned None", "`return mean, covariance`"]),
    (lambda X, r, p: right_map_update(X, r, p)[1], ["expected two values back (mean and covariance)"]),
    (lambda X, r, p: (right_map_update(X, r, p)[0][None], right_map_update(X, r, p)[1]),
     ["mean has shape (1, 2), expected (2,)", "a vector of shape (d,)"]),
    (lambda X, r, p: (right_map_update(X, r, p)[0], np.diag(right_map_update(X, r, p)[1])),
     ["covariance has shape (2,), expected (2, 2)", "not the squares"]),
], ids=["none", "one_value", "mean_2d", "variances"])
def test_a_wrong_shape_is_named(fn, expected, capsys):
    verdict(exercises.check_map_update, fn, capsys, expected)


def test_an_input_changed_in_place_is_said(capsys):
    def my_map_update(X, resp_j, prior):
        result = right_map_update(X, resp_j, prior)
        resp_j /= resp_j.sum()
        return result
    assert exercises.check_map_update(my_map_update) is True
    out = " ".join(capsys.readouterr().out.split())
    assert "my_map_update changed its input resp_j in place" in out


def test_the_prior_cannot_be_changed():
    prior = Prior(mean=np.zeros(2), shrinkage=1.0, dof=4.0, scale=np.eye(2))
    with pytest.raises(ValueError):
        prior.scale[0, 0] = 2.0
