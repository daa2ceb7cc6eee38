"""emlib.noise, the Gaussian mixture with a uniform noise component, against an independent
implementation written with loops over the points and scipy's densities; its log-likelihood
never decreases; on the seed's data plus one outlier it finds the three clusters and gives the
outlier to the noise, where maximum likelihood with reg_covar spends a component on it."""
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import emlib
from emlib import compare, data, noise


# ----------------------------------------------------------------------------------------
# An independent implementation: loops, scipy's densities, the model written out
# ----------------------------------------------------------------------------------------
def loop_e_step(X, weights, means, covariances, noise_weight, volume):
    """gamma (n, k + 1), noise last, and the log-likelihood, point by point:
    p(x_i) = pi_0 / V + sum_j (1 - pi_0) w_j N(x_i | mu_j, Sigma_j)."""
    n, k = len(X), len(weights)
    log_n = [multivariate_normal.logpdf(X, means[j], covariances[j]) for j in range(k)]   # scipy's, per component
    resp, loglik = np.empty((n, k + 1)), 0.0
    for i in range(n):
        a = [np.log((1 - noise_weight) * weights[j]) + log_n[j][i] for j in range(k)]
        a.append(np.log(noise_weight / volume))
        total = logsumexp(a)
        resp[i] = np.exp(np.array(a) - total)
        loglik += total
    return resp, loglik


def loop_m_step(X, resp, diagonal=False):
    """pi_0 = N_0 / n; w_j = N_j / (n - N_0); mu_j and Sigma_j weighted by gamma_ij, point by point."""
    n, d = X.shape
    k = resp.shape[1] - 1
    N = resp.sum(axis=0)
    means, covariances = np.zeros((k, d)), np.zeros((k, d, d))
    for j in range(k):
        for i in range(n):
            means[j] += resp[i, j] * X[i] / N[j]
        for i in range(n):
            diff = X[i] - means[j]
            covariances[j] += resp[i, j] * np.outer(diff, diff) / N[j]
        if diagonal:
            covariances[j] = np.diag(np.diag(covariances[j]))
    return N[:k] / N[:k].sum(), means, covariances, N[k] / n


def loop_fit(X, weights, means, covariances, noise_weight, volume, n_iter, diagonal=False):
    resp, loglik = loop_e_step(X, weights, means, covariances, noise_weight, volume)
    logliks = [loglik]
    for _ in range(n_iter):
        weights, means, covariances, noise_weight = loop_m_step(X, resp, diagonal)
        resp, loglik = loop_e_step(X, weights, means, covariances, noise_weight, volume)
        logliks.append(loglik)
    return weights, means, covariances, noise_weight, resp, np.array(logliks)


def clusters_and_scatter(rng, n=120):
    """Two stretched, rotated clusters and 10% points scattered uniformly over a box."""
    A = np.array([[2.0, 0.0], [1.5, 0.4]])
    X = np.vstack([rng.standard_normal((n // 2, 2)) @ A.T, [6.0, -3.0] + rng.standard_normal((n // 2, 2)) * [0.3, 1.2],
                   rng.uniform([-8, -8], [12, 8], size=(n // 10, 2))])
    return X


def test_fit_with_noise_equals_the_loops():
    rng = np.random.default_rng(1)
    X = clusters_and_scatter(rng)
    start = emlib.GMM([0.5, 0.5], [[-1.0, 0.0], [5.0, 0.0]], [np.eye(2) * 3, np.eye(2) * 2])
    result = noise.fit_with_noise(X, start, noise_weight=0.2, max_iter=15, tol=0)
    volume = np.prod(X.max(axis=0) - X.min(axis=0))
    weights, means, covariances, noise_weight, resp, logliks = loop_fit(
        X, start.weights, start.means, start.covariances, 0.2, volume, 15)
    fitted = result.params
    np.testing.assert_allclose(fitted.gaussians.weights, weights, rtol=1e-10)
    np.testing.assert_allclose(fitted.gaussians.means, means, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fitted.gaussians.covariances, covariances, rtol=1e-10, atol=1e-12)
    assert np.isclose(fitted.noise_weight, noise_weight, rtol=1e-10)
    np.testing.assert_allclose(result.responsibilities, resp, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(result.log_likelihoods, logliks, rtol=1e-11)
    np.testing.assert_allclose(fitted.weights, np.append((1 - noise_weight) * weights, noise_weight), rtol=1e-10)
    assert np.isclose(fitted.volume, volume, rtol=1e-12)
    assert result.n_iter == 15 and not result.converged


def test_fit_with_noise_keeps_a_diagonal_structure_and_a_given_volume():
    rng = np.random.default_rng(2)
    X = clusters_and_scatter(rng)
    start = emlib.GMM([0.5, 0.5], [[-1.0, 0.0], [5.0, 0.0]], [np.eye(2) * 3, np.eye(2) * 2], covariance_type="diag")
    result = noise.fit_with_noise(X, start, noise_weight=0.1, volume=500.0, max_iter=8, tol=0)
    *_, covariances, noise_weight, _, logliks = loop_fit(X, start.weights, start.means, start.covariances, 0.1,
                                                         500.0, 8, diagonal=True)
    assert result.params.gaussians.covariance_type == "diag"
    np.testing.assert_allclose(result.params.gaussians.covariances, covariances, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.log_likelihoods, logliks, rtol=1e-11)


def test_e_step_and_m_step_equal_the_loops():
    rng = np.random.default_rng(3)
    X = np.vstack([clusters_and_scatter(rng), [[300.0, -200.0]]])       # and a point far from everything
    gaussians = emlib.GMM([0.3, 0.7], [[0.0, 0.0], [6.0, -3.0]], [[[4.0, 2.9], [2.9, 2.5]], np.diag([0.1, 1.5])])
    mixture = noise.NoiseMixture(gaussians, 0.05, np.log(250.0))
    resp, loglik = noise.e_step(X, mixture)
    expected, expected_loglik = loop_e_step(X, gaussians.weights, gaussians.means, gaussians.covariances, 0.05, 250.0)
    np.testing.assert_allclose(resp, expected, rtol=1e-10, atol=1e-14)
    assert np.isclose(loglik, expected_loglik, rtol=1e-12)
    assert np.isclose(noise.log_likelihood(X, mixture), expected_loglik, rtol=1e-12)
    assert resp[-1, -1] == 1.0                                          # the far point: noise
    updated = noise.m_step(X, resp, np.log(250.0))
    weights, means, covariances, noise_weight = loop_m_step(X, resp)
    np.testing.assert_allclose(updated.gaussians.means, means, rtol=1e-10)
    np.testing.assert_allclose(updated.gaussians.covariances, covariances, rtol=1e-10)
    np.testing.assert_allclose(updated.weights, np.append((1 - noise_weight) * weights, noise_weight), rtol=1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_the_log_likelihood_never_decreases(seed):
    rng = np.random.default_rng(seed)
    X = clusters_and_scatter(rng, n=200)
    start = emlib.init_kmeanspp(X, 3, rng)
    result = noise.fit_with_noise(X, start, noise_weight=rng.uniform(0.01, 0.5), max_iter=60, tol=0, reg_covar=1e-6)
    steps = np.diff(result.log_likelihoods)
    assert np.all(steps >= -1e-10 * np.abs(result.log_likelihoods[1:])), steps.min()
    assert result.log_likelihoods[-1] > result.log_likelihoods[0]


def test_the_seed_data_plus_an_outlier():
    # The seed's 300 points and one point at (60, 60), from the seed's starting means with the
    # data's covariance.  With reg_covar, maximum likelihood puts a component on the outlier and
    # merges two clusters; with a noise component the three clusters come back, and the outlier
    # is the noise's.
    X, _ = data.seed_data()
    X_out = np.vstack([X, [[60.0, 60.0]]])
    theta0 = data.seed_initial_params()
    start = emlib.GMM(theta0.weights, theta0.means, np.broadcast_to(np.cov(X_out, rowvar=False, bias=True), (3, 2, 2)))
    plain = emlib.fit(X_out, start, reg_covar=1e-6).params
    assert np.min(np.linalg.norm(plain.means - [60.0, 60.0], axis=1)) < 1e-6      # a component on the outlier
    result = noise.fit_with_noise(X_out, start)
    truth = data.seed_true_params()
    found = compare.align(result.params.gaussians, truth)
    assert np.abs(found.means - truth.means).max() < 0.3
    assert result.responsibilities[-1, -1] > 0.999
    assert result.responsibilities[:-1, -1].sum() < 1.0                          # the clusters' points: not noise
    assert result.converged and np.all(np.diff(result.log_likelihoods) > -1e-9)


def test_units_do_not_matter():
    # Rescaling X rescales the bounding box and every Gaussian alike: the same responsibilities.
    rng = np.random.default_rng(4)
    X = clusters_and_scatter(rng)
    start = emlib.GMM([0.5, 0.5], [[-1.0, 0.0], [5.0, 0.0]], [np.eye(2) * 3, np.eye(2) * 2])
    units = np.array([1e-3, 1e4])
    scaled_start = emlib.GMM(start.weights, start.means * units, start.covariances * np.outer(units, units))
    a = noise.fit_with_noise(X, start, max_iter=20, tol=0)
    b = noise.fit_with_noise(X * units, scaled_start, max_iter=20, tol=0)
    np.testing.assert_allclose(a.responsibilities, b.responsibilities, rtol=1e-8, atol=1e-12)


# ----------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------
def test_bad_input_is_refused_by_name():
    X = np.vstack([data.seed_data()[0], [[60.0, 60.0]]])
    start = data.seed_initial_params()
    with pytest.raises(TypeError, match="init must be an emlib.GMM"):
        noise.fit_with_noise(X, 3)
    for weight in (0.0, -0.1):
        with pytest.raises(ValueError, match="noise_weight must be > 0"):
            noise.fit_with_noise(X, start, noise_weight=weight)
    with pytest.raises(ValueError, match="noise_weight must be < 1"):
        noise.fit_with_noise(X, start, noise_weight=1.0)
    with pytest.raises(ValueError, match="noise_weight must be finite"):
        noise.fit_with_noise(X, start, noise_weight=np.nan)
    with pytest.raises(ValueError, match="volume must be > 0"):
        noise.fit_with_noise(X, start, volume=0.0)
    with pytest.raises(TypeError, match="volume must be a real number"):
        noise.fit_with_noise(X, start, volume="box")
    with pytest.raises(ValueError, match="init has d=2"):
        noise.fit_with_noise(np.zeros((5, 3)), start)
    with pytest.raises(ValueError, match=r"X\[:, 1\] is constant, so the bounding box of X has volume 0"):
        noise.fit_with_noise(np.column_stack([X[:, 0], np.ones(len(X))]), start)
    with pytest.raises(TypeError, match="mixture must be an emlib.noise.NoiseMixture"):
        noise.e_step(X, start)
    with pytest.raises(TypeError, match="gaussians must be an emlib.GMM"):
        noise.NoiseMixture("theta", 0.1, 0.0)
    with pytest.raises(ValueError, match="log_volume must be finite"):
        noise.NoiseMixture(start, 0.1, np.inf)
    with pytest.raises(ValueError, match=r"resp must have k \+ 1 >= 2 columns"):
        noise.m_step(X, np.ones((len(X), 1)), 0.0)
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        noise.m_step(X, np.full((len(X), 2), 0.5), 0.0, covariance_type="VVV")


def test_a_noise_component_that_explains_nothing_is_a_collapse():
    X = data.seed_data()[0]
    resp = np.zeros((len(X), 4))
    resp[np.arange(len(X)), data.seed_data()[1]] = 1.0                # every point a Gaussian's, none noise
    with pytest.raises(emlib.CollapseError, match="the noise component has collapsed"):
        noise.m_step(X, resp, noise.log_box_volume(X))
