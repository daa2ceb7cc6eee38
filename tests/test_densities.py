"""Densities, the E-step, the log-likelihood and the lower bound, against scipy.

The covariances are rotated (a random orthogonal Q), stretched and badly scaled,
Sigma = Q diag(s) Q^T: with identity covariances, using Sigma where Sigma^{-1} belongs
goes unnoticed.
"""
import numpy as np
import pytest
from scipy.special import logsumexp, xlogy
from scipy.stats import multivariate_normal, ortho_group

import emlib
from emlib import GMM


def rotated_cov(d, rng, scale, stretch):
    """Q diag(s) Q^T with s = scale * 10**U(-stretch, stretch): rotated, stretched, scaled."""
    # (scipy < 1.11 refuses d = 1, where the only rotations are +-1)
    Q = ortho_group.rvs(d, random_state=rng).reshape(d, d) if d > 1 else np.ones((1, 1))
    s = scale * 10.0 ** rng.uniform(-stretch, stretch, d)
    cov = (Q * s) @ Q.T
    return 0.5 * (cov + cov.T)                      # exactly symmetric


def mixture_and_data(d, seed, scales=(1e-3, 1.0, 1e3), stretch=1.0, n_per=20):
    """A mixture with one component per scale, and points drawn from every component."""
    rng = np.random.default_rng(seed)
    k = len(scales)
    covs = np.array([rotated_cov(d, rng, s, stretch) for s in scales])
    means = rng.uniform(-5, 5, (k, d))
    weights = rng.dirichlet(np.full(k, 5.0))
    X = np.vstack([rng.multivariate_normal(m, c, n_per) for m, c in zip(means, covs)])
    return GMM(weights, means, covs), X


def scipy_logpdf(X, params):
    """(n, k) log N(x_i | mu_j, Sigma_j), by scipy (an eigendecomposition, not a Cholesky)."""
    return np.column_stack([
        multivariate_normal.logpdf(X, m, c).reshape(len(X))
        for m, c in zip(params.means, params.covariances)
    ])


@pytest.mark.parametrize("d", range(1, 11))
def test_log_densities_match_scipy(d):
    params, X = mixture_and_data(d, seed=d)
    # atol only matters where a log density is within ~1 of 0, where log|Sigma| and the
    # quadratic term cancel and a relative comparison is meaningless.
    np.testing.assert_allclose(emlib.log_densities(X, params), scipy_logpdf(X, params),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3, 10, 30])
def test_the_inverse_cholesky_factors_are_scipys_triangular_solves(d):
    # The E-step whitens with L_j^{-1} from emlib's own forward substitution (LAPACK's trtrs per
    # component woke OpenBLAS's threads); scipy's solve_triangular against I is the reference.
    from scipy.linalg import solve_triangular
    from emlib._blocked import inverse_factors
    rng = np.random.default_rng(d)
    L = np.linalg.cholesky([rotated_cov(d, rng, scale, stretch=2.0) for scale in (1e-3, 1.0, 1e3)])
    expected = np.stack([solve_triangular(factor, np.eye(d), lower=True) for factor in L])
    got = inverse_factors(L)
    assert np.array_equal(np.triu(got, 1), np.zeros_like(got))
    for Y, R, factor in zip(got, expected, L):             # error bound of a substitution: ~ cond(L) eps
        bound = 50 * d * np.finfo(float).eps * np.linalg.cond(factor) * np.abs(R).max()
        assert np.abs(Y - R).max() <= bound


@pytest.mark.parametrize("d", [2, 5, 10])
def test_log_densities_match_scipy_when_ill_conditioned(d):
    # Eigenvalues 1e-3 .. 1e3 within one covariance: condition number ~1e6, so any two
    # float algorithms agree only to ~kappa * eps ~ 1e-10 (scipy's own error is that size).
    params, X = mixture_and_data(d, seed=100 + d, scales=(1.0, 10.0), stretch=3.0)
    np.testing.assert_allclose(emlib.log_densities(X, params), scipy_logpdf(X, params),
                               rtol=1e-9, atol=1e-9)


def test_covariances_used_here_expose_a_sigma_for_inverse_mixup():
    # The test above can fail: with these covariances, Sigma in place of Sigma^{-1} is far off.
    params, X = mixture_and_data(4, seed=4)
    wrong = np.column_stack([
        multivariate_normal.logpdf(X, m, np.linalg.inv(c)) - np.linalg.slogdet(c)[1]
        for m, c in zip(params.means, params.covariances)
    ])
    assert np.max(np.abs(wrong - scipy_logpdf(X, params))) > 1.0


@pytest.mark.parametrize("d", [1, 2, 5, 10])
def test_e_step_is_bayes_rule(d):
    params, X = mixture_and_data(d, seed=20 + d, scales=(0.5, 1.0, 2.0), n_per=30)
    joint = params.weights * np.exp(scipy_logpdf(X, params))       # pi_j N(x_i | ..)
    assert np.all(joint.sum(axis=1) > 1e-200)                      # the naive formula works here
    resp, loglik = emlib.e_step(X, params)
    np.testing.assert_allclose(resp, joint / joint.sum(axis=1, keepdims=True), rtol=1e-10, atol=1e-14)
    assert loglik == pytest.approx(np.sum(np.log(joint.sum(axis=1))), rel=1e-12)


@pytest.mark.parametrize("d", range(1, 11))
def test_log_likelihood_is_sum_of_logsumexp(d):
    params, X = mixture_and_data(d, seed=40 + d)
    expected = logsumexp(np.log(params.weights) + scipy_logpdf(X, params), axis=1).sum()
    assert emlib.log_likelihood(X, params) == pytest.approx(expected, rel=1e-12)
    assert emlib.e_step(X, params)[1] == pytest.approx(expected, rel=1e-12)


def test_point_far_from_every_component_gets_a_valid_row():
    params = GMM([0.3, 0.7], [[0.0, 0.0], [3.0, 0.0]], [np.eye(2), np.diag([1.0, 4.0])])
    X = np.array([[0.5, 0.2], [0.0, 1e4 * 2.0]])      # the second: >= 1e4 standard deviations away
    with np.errstate(divide="ignore", invalid="ignore"):
        joint = params.weights * np.exp(scipy_logpdf(X, params))
        naive = joint / joint.sum(axis=1, keepdims=True)
    assert np.all(np.isnan(naive[1]))                  # the naive formula: 0 / 0
    resp, loglik = emlib.e_step(X, params)
    assert np.all(np.isfinite(resp)) and np.all((resp >= 0) & (resp <= 1))
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    a = np.log(params.weights) + scipy_logpdf(X, params)
    np.testing.assert_allclose(resp, np.exp(a - logsumexp(a, axis=1, keepdims=True)), rtol=1e-6)
    assert np.isfinite(loglik)
    assert loglik == pytest.approx(logsumexp(a, axis=1).sum(), rel=1e-12)


def elbo(X, params, q):
    """B(q, theta) = sum_ij q_ij (log pi_j + log N(x_i | ..) - log q_ij), with 0 log 0 = 0."""
    a = np.log(params.weights) + scipy_logpdf(X, params)
    return float(np.sum(q * a) - np.sum(xlogy(q, q)))


@pytest.mark.parametrize("d", [1, 3, 6])
def test_lower_bound_is_tight_at_the_responsibilities(d):
    params, X = mixture_and_data(d, seed=60 + d, scales=(0.5, 1.0, 2.0))
    resp, loglik = emlib.e_step(X, params)
    assert emlib.lower_bound(X, params, resp) == pytest.approx(loglik, rel=1e-12)
    assert emlib.lower_bound(X, params, resp) == pytest.approx(elbo(X, params, resp), rel=1e-12)


@pytest.mark.parametrize("kind", ["dirichlet", "uniform", "hard"])
def test_lower_bound_is_below_the_log_likelihood_for_other_q(kind):
    params, X = mixture_and_data(3, seed=7, scales=(0.5, 1.0, 2.0))
    n, k = len(X), params.k
    rng = np.random.default_rng(1)
    q = {"dirichlet": rng.dirichlet(np.ones(k), size=n),
         "uniform": np.full((n, k), 1 / k),
         "hard": np.eye(k)[rng.integers(k, size=n)]}[kind]     # exact zeros: 0 log 0 = 0
    bound = emlib.lower_bound(X, params, q)
    assert bound == pytest.approx(elbo(X, params, q), rel=1e-12)
    assert bound < emlib.log_likelihood(X, params)
