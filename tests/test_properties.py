"""Properties EM must have on any data: the log-likelihood never goes down, responsibilities
are distributions, weights sum to 1, covariances stay symmetric positive definite."""
import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import emlib
from emlib import GMM
from emlib.data import sample

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


@st.composite
def mixtures_and_data(draw):
    """A random well-conditioned mixture (d, k in 1..4), 10..80 points from it, and a start."""
    d = draw(st.integers(1, 4))
    k = draw(st.integers(1, 4))
    n = draw(st.integers(max(10, 5 * k * d), 80))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A = rng.standard_normal((k, d, d))
    covs = A @ A.transpose(0, 2, 1) / d + 0.5 * np.eye(d)        # eigenvalues >= 0.5
    truth = GMM(rng.dirichlet(np.full(k, 3.0)), rng.uniform(-5, 5, (k, d)), covs)
    X, _ = sample(truth, n, rng)
    start = draw(st.sampled_from(["kmeans++", "random"]))
    init = (emlib.init_kmeanspp if start == "kmeans++" else emlib.init_random)(X, k, rng)
    return X, init


def fit_or_skip(X, init, **kwargs):
    try:
        return emlib.fit(X, init, tol=0, keep_history=True, **kwargs)
    except emlib.CollapseError:
        assume(False)


def assert_distribution_rows(resp):
    assert np.all(np.isfinite(resp)) and np.all((resp >= 0) & (resp <= 1))
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@SETTINGS
@given(mixtures_and_data(), st.sampled_from([0.0, 1e-6]))
def test_log_likelihood_never_decreases(problem, reg_covar):
    X, init = problem
    lls = fit_or_skip(X, init, max_iter=8, reg_covar=reg_covar).log_likelihoods
    assert np.all(np.isfinite(lls))
    scale = np.maximum(1.0, np.abs(lls[1:]))
    assert np.all(np.diff(lls) >= -1e-10 * scale), np.diff(lls)


@SETTINGS
@given(mixtures_and_data())
def test_each_m_step_climbs_the_bound_and_each_e_step_closes_it(problem):
    # L_t = B(gamma_t, theta_t) <= B(gamma_t, theta_{t+1}) <= L_{t+1}
    X, init = problem
    result = fit_or_skip(X, init, max_iter=4)
    for t in range(result.n_iter):
        gamma_t, L_t = emlib.e_step(X, result.history[t])
        bound = emlib.lower_bound(X, result.history[t + 1], gamma_t)
        slack = 1e-10 * max(1.0, abs(L_t))
        assert L_t - slack <= bound <= result.log_likelihoods[t + 1] + slack


@SETTINGS
@given(mixtures_and_data())
def test_fit_keeps_valid_parameters_and_responsibilities(problem):
    X, init = problem
    result = fit_or_skip(X, init, max_iter=5, reg_covar=1e-6)
    assert_distribution_rows(result.responsibilities)
    for params in result.history:
        assert_distribution_rows(emlib.e_step(X, params)[0])
        assert np.all(params.weights > 0)
        assert abs(params.weights.sum() - 1) <= 1e-12
        for cov in params.covariances:
            np.testing.assert_allclose(cov, cov.T, rtol=0, atol=1e-12 * np.abs(cov).max())
            np.linalg.cholesky(cov)                               # raises unless SPD
            assert np.linalg.eigvalsh(cov).min() > 0
