"""The same answer in any units: rescaling a feature rescales the fit and changes nothing else.

A change of units multiplies feature f by s: the means' f-th entries and the covariances' f-th
rows and columns by s, every density by 1/|s| (so the log-likelihood of n points moves by
-n log|s|), and leaves the weights, the responsibilities, the iterations and any collapse as
they were.  Checked against scikit-learn, numpy's own moments, scipy, and the fit in the
original units.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from test_fit import sklearn_fit

import emlib
from emlib import GMM
from emlib.data import old_faithful, sample

FAITHFUL = old_faithful()


def rescaled(params, scale):
    """params in units where X becomes X * scale (scale: (d,))."""
    return GMM(params.weights, params.means * scale, params.covariances * np.outer(scale, scale))


def test_m_step_in_other_units_is_not_a_collapse():
    # The audit's reproducer: eruption durations in units 1e8 times larger (correlation
    # condition number 19) were reported as "singular ... on a single point, line or plane".
    X = FAITHFUL * [1e-8, 1.0]
    params = emlib.m_step(X, np.ones((len(X), 1)))
    np.testing.assert_allclose(params.means[0], X.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(params.covariances[0], np.cov(X, rowvar=False, bias=True), rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-8, 1e-7, 1e-6, 1e8])
def test_fit_in_other_units_matches_sklearn(scale):
    # fit(FAITHFUL * [1e-7, 1], 2, rng=0) failed at iteration 1, * [1e-6, 1] at iteration 13.
    X = FAITHFUL * [scale, 1.0]
    init = emlib.init_kmeanspp(X, 2, 0)
    result = emlib.fit(X, init, max_iter=30, tol=0)
    sk = sklearn_fit(X, init, max_iter=30)
    np.testing.assert_allclose(result.params.weights, sk.weights_, rtol=1e-10)
    np.testing.assert_allclose(result.params.means, sk.means_, rtol=1e-10)
    np.testing.assert_allclose(result.params.covariances, sk.covariances_, rtol=1e-10)
    np.testing.assert_allclose(result.log_likelihoods[:-1] / len(X), sk.lower_bounds_, rtol=1e-10)


@pytest.mark.parametrize("scale", [1e-7, 1e-6])
def test_fit_with_k_in_other_units_is_the_fit_in_minutes(scale):
    X = FAITHFUL * [scale, 1.0]
    result = emlib.fit(X, 2, rng=0)
    reference = emlib.fit(FAITHFUL, rescaled(emlib.init_kmeanspp(X, 2, 0), [1 / scale, 1.0]))
    assert result.n_iter == reference.n_iter and result.converged
    np.testing.assert_allclose(result.params.means, reference.params.means * [scale, 1.0], rtol=1e-9)


@st.composite
def fits_and_units(draw):
    """A mixture (d in 1..3, k in 1..3), 60..120 points from it, a start, a feature and a scale."""
    d, k = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A = rng.standard_normal((k, d, d))
    truth = GMM(rng.dirichlet(np.full(k, 5.0)), rng.uniform(-6, 6, (k, d)),
                A @ A.transpose(0, 2, 1) / d + 0.3 * np.eye(d))
    X, _ = sample(truth, draw(st.integers(60, 120)), rng)
    feature = draw(st.integers(0, d - 1))
    scale = np.ones(d)
    scale[feature] = draw(st.sampled_from([-1.0, 1.0])) * 10.0 ** draw(st.sampled_from([-8, -4, 4, 8]))
    return X, emlib.init_kmeanspp(X, k, rng), scale


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fits_and_units())
def test_rescaling_a_feature_rescales_the_fit_and_nothing_else(problem):
    X, init, scale = problem
    try:
        plain = emlib.fit(X, init, max_iter=6, tol=0)
    except emlib.CollapseError as err:
        # Then it collapses in the other units too: the same component, the same iteration.
        with pytest.raises(emlib.CollapseError) as other:
            emlib.fit(X * scale, rescaled(init, scale), max_iter=6, tol=0)
        assert (other.value.component, other.value.iteration) == (err.component, err.iteration)
        return
    scaled = emlib.fit(X * scale, rescaled(init, scale), max_iter=6, tol=0)
    expected = rescaled(plain.params, scale)
    np.testing.assert_allclose(scaled.params.weights, expected.weights, rtol=1e-9)
    np.testing.assert_allclose(scaled.params.means, expected.means, rtol=1e-9, atol=1e-9 * np.abs(expected.means).max())
    for got, want in zip(scaled.params.covariances, expected.covariances):
        # entry (a, b) relative to sqrt(Sigma_aa Sigma_bb): the scale of that entry
        size = np.sqrt(np.outer(np.diag(want), np.diag(want)))
        np.testing.assert_allclose(got / size, want / size, rtol=0, atol=1e-9)
    shift = len(X) * np.log(np.abs(scale)).sum()
    np.testing.assert_allclose(scaled.log_likelihoods, plain.log_likelihoods - shift,
                               rtol=1e-10, atol=1e-9 * len(X))
    np.testing.assert_allclose(scaled.responsibilities, plain.responsibilities, rtol=0, atol=1e-9)


@pytest.mark.parametrize("units", [[1.0, 1.0], [1e-8, 1.0], [1.0, 1e8], [1e6, 1e-6]])
def test_a_true_collapse_is_a_collapse_in_any_units(units):
    # 60 spread points and 20 copies of (5, 5); component 1 starts on the copies, tiny.
    rng = np.random.default_rng(0)
    X = np.vstack([rng.standard_normal((60, 2)), np.tile([5.0, 5.0], (20, 1))]) * units
    init = rescaled(GMM([0.5, 0.5], [[0.0, 0.0], [5.0, 5.0]], [np.eye(2), 1e-4 * np.eye(2)]), np.array(units))
    with pytest.raises(emlib.CollapseError, match=r"iteration 1: component 1 has collapsed") as info:
        emlib.fit(X, init, max_iter=50, tol=0)
    # The suggested reg_covar is in the data's units: a millionth of the smallest variance of X.
    suggested = float(str(info.value).split("reg_covar=")[1].split()[0])
    assert suggested == pytest.approx(1e-6 * X.var(axis=0).min(), rel=0.05)        # printed to 2 digits
    # and following it cures the collapse: 50 iterations, every covariance positive definite
    result = emlib.fit(X, init, max_iter=50, tol=0, reg_covar=suggested)
    assert result.n_iter == 50
    for cov in result.params.covariances:
        np.linalg.cholesky(cov)


@pytest.mark.parametrize("units", [[1.0] * 4, [1e-8, 1.0, 1e3, 1.0]])
def test_a_component_on_d_points_in_d_dimensions_is_a_collapse_whatever_its_cholesky_pivots(units):
    # Component 0 holds 4 points in 4-D: about their mean they span 3 dimensions (4 points less
    # one for the mean), so its covariance is singular in exact arithmetic.  Computed in floating
    # point, its Cholesky factor exists and its smallest pivot relative to the variance is
    # ~1e-12, a hundred times 10 d eps: judged by the pivots, EM would go on with it.
    rng = np.random.default_rng(13)
    X = rng.standard_normal((12, 4)) * rng.uniform(0.5, 5, 4) * units
    assert np.linalg.matrix_rank(X[:4] - X[:4].mean(axis=0)) == 3
    resp = np.zeros((12, 2))
    resp[:4, 0] = resp[4:, 1] = 1.0
    with pytest.raises(emlib.CollapseError, match=r"component 0 has collapsed: its covariance is singular"):
        emlib.m_step(X, resp)


def test_data_far_from_the_origin_give_the_fit_shifted():
    # Old Faithful a million minutes later: X + 1e6 - 1e6 is X exactly (Sterbenz), so the fit
    # on the shifted data must be the fit on X, shifted.
    init = emlib.init_kmeanspp(FAITHFUL, 2, 0)
    far = FAITHFUL + 1e6
    shifted = emlib.fit(far, GMM(init.weights, init.means + 1e6, init.covariances), max_iter=20, tol=0)
    plain = emlib.fit(far - 1e6, init, max_iter=20, tol=0)
    # (a mean near 1e6 is itself only stored to 1.2e-10, its last bit)
    np.testing.assert_allclose(shifted.params.means - 1e6, plain.params.means, rtol=0, atol=1e-9)
    np.testing.assert_allclose(shifted.params.covariances, plain.params.covariances, rtol=1e-10)
    np.testing.assert_allclose(shifted.log_likelihoods, plain.log_likelihoods, rtol=1e-10)


@pytest.mark.parametrize("distance, sd", [(1e2, 1e-3), (1e4, 1e-3), (1e4, 1e-6), (1e6, 1e-6)])
def test_log_densities_of_a_tight_cluster_far_from_the_rest_match_scipy(distance, sd):
    # The E-step whitens all components about one centre (the data's mean); a component
    # 1e5..1e12 of its own standard deviations from it would lose that many digits, so it is
    # whitened about its own mean instead.
    rng = np.random.default_rng(1)
    means = np.array([[0.0, 0.0], [distance, -distance]])
    covs = np.array([np.eye(2), sd**2 * np.array([[1.0, 0.5], [0.5, 1.0]])])
    params = GMM([0.5, 0.5], means, covs)
    X = np.vstack([rng.multivariate_normal(m, c, 50) for m, c in zip(means, covs)])
    expected = np.column_stack([multivariate_normal.logpdf(X, m, c) for m, c in zip(means, covs)])
    np.testing.assert_allclose(emlib.log_densities(X, params), expected, rtol=1e-12)


@pytest.mark.parametrize("units", [[1.0, 1.0], [1e-8, 1e3]])
def test_fit_restarts_suggests_reg_covar_in_the_datas_units_when_every_start_collapses(units):
    X = np.repeat([[0.0, 0.0], [3.0, 1.0], [1.0, 4.0]], 10, axis=0) * units   # 3 points, 10 copies each
    with pytest.raises(emlib.CollapseError, match=r"all 3 starts collapsed") as info:
        emlib.fit_restarts(X, 3, n_init=3, rng=0)
    suggested = float(str(info.value).split("reg_covar=")[1].split()[0])
    assert suggested == pytest.approx(1e-6 * X.var(axis=0).min(), rel=0.05)
