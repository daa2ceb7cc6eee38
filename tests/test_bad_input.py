"""The audit's reproducers (issue 12): every bad or extreme input gets a named error or a right
answer, never garbage, numpy's own error or a numpy warning on the way (RuntimeWarnings are
errors in this suite, see pyproject.toml)."""
from fractions import Fraction
import math
import tracemalloc

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import emlib
from emlib import GMM
from emlib.data import old_faithful, sample, standardize, unstandardize
from emlib.geometry import ellipse_geometry, ellipse_mass, interpolate_params

X = np.random.default_rng(0).standard_normal((20, 2))
P = GMM([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), np.eye(2)])
FAITHFUL = old_faithful()

pytestmark = pytest.mark.filterwarnings("error")


# ---------------------------------------------------------------------------------------
# standardize (defect 2): any magnitude, computed right
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("factor", [1e300, 1e-300])
def test_standardize_huge_and_tiny_data_is_standardize_in_other_units(factor):
    Z, center, scale = standardize(FAITHFUL)
    Z2, center2, scale2 = standardize(FAITHFUL * factor)
    np.testing.assert_allclose(Z2, Z, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(center2, center * factor, rtol=1e-13)
    np.testing.assert_allclose(scale2, scale * factor, rtol=1e-13)


def test_standardize_near_the_largest_float_matches_exact_arithmetic():
    data = [[1e308, 1.0], [1.5e308, 2.0], [1.7e308, 4.0]]
    Z, center, scale = standardize(data)
    for f in range(2):
        xs = [Fraction(row[f]) for row in data]                     # exact rationals
        mean = sum(xs) / 3
        var = sum((x - mean) ** 2 for x in xs) / 3
        unit = Fraction(10) ** 308 if f == 0 else 1
        assert center[f] == pytest.approx(float(mean), rel=1e-15)
        assert scale[f] / unit == pytest.approx(math.sqrt(var / unit**2), rel=1e-15)
        expected = [math.copysign(math.sqrt((x - mean) ** 2 / var), x - mean) for x in xs]
        np.testing.assert_allclose(Z[:, f], expected, rtol=1e-14)


# ---------------------------------------------------------------------------------------
# log_densities (defect 3), e_step and GMM (defect 10): overflow is refused by name, silently
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [emlib.log_densities, emlib.e_step, emlib.log_likelihood],
                         ids=["log_densities", "e_step", "log_likelihood"])
@pytest.mark.parametrize("points, mean", [
    ([[1e308, 1e308]], [-1e308, -1e308]),            # the audit's: NaN from log_densities
    ([[1.5e308, 0.0], [0.0, 0.0]], [-1.5e308, 0.0]),  # x - mu overflows
])
def test_differences_beyond_the_largest_float_are_refused(call, points, mean):
    with pytest.raises(ValueError, match=r"X has points so far .*overflow.*rescale X"):
        call(points, GMM([1.0], [mean], [np.eye(2)]))


def test_longdouble_data_beyond_float64_are_named_not_called_infinite():
    if np.finfo(np.longdouble).max <= np.finfo(np.float64).max:
        pytest.skip("numpy's longdouble is float64 on this platform")
    data = np.array([[np.longdouble("1e4000"), 1.0], [1.0, 2.0]], dtype=np.longdouble)
    with pytest.raises(ValueError, match=r"X has values beyond the float64 range .*1e\+4000 at index \[0, 0\]"):
        emlib.e_step(data, P)


@pytest.mark.parametrize("cov, match", [
    ([[1e308, 1e308], [-1e308, 1e308]], r"covariances\[0\] is not symmetric"),
    ([[1e308, -1e308], [-1e308, 1e308]], r"covariances\[0\] is not positive definite"),
])
def test_covariances_near_the_largest_float_are_refused_silently(cov, match):
    with pytest.raises(ValueError, match=match):
        GMM([1.0], [[0.0, 0.0]], [cov])


# ---------------------------------------------------------------------------------------
# sample (defect 6): memory a few (n, d) arrays; the generative story, point for point
# ---------------------------------------------------------------------------------------
def test_sample_memory_does_not_grow_as_n_d_squared():
    n, d = 5_000, 60
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, d, d))
    params = GMM(np.full(3, 1 / 3), rng.standard_normal((3, d)), A @ A.transpose(0, 2, 1) + np.eye(d))
    sample(params, 10, 0)                                            # warm up
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        sample(params, n, 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    result = n * d * 8                                               # 2.4 MB; (n, d, d) is 144 MB
    assert peak < 4 * result, f"peak {peak / 1e6:.1f} MB for a {result / 1e6:.1f} MB sample"


def test_sample_is_the_generative_story():
    params = GMM([0.2, 0.5, 0.3], [[0.0, 0.0], [5.0, -1.0], [-3.0, 4.0]],
                 [[[2.0, 0.6], [0.6, 0.5]], np.eye(2), [[0.3, -0.2], [-0.2, 1.5]]])
    Xs, z = sample(params, 200, 7)
    rng = np.random.default_rng(7)
    labels = rng.choice(3, size=200, p=params.weights)                # z_i ~ Categorical(pi)
    e = rng.standard_normal((200, 2))                                 # then e_i ~ N(0, I)
    np.testing.assert_array_equal(z, labels)
    for i in range(200):                                              # x_i = mu_z + L_z e_i
        L = np.linalg.cholesky(params.covariances[z[i]])
        np.testing.assert_allclose(Xs[i], params.means[z[i]] + L @ e[i], rtol=1e-14, atol=1e-14)


# ---------------------------------------------------------------------------------------
# Data so spread out, or so close together, that their squares over- or underflow (7, 11)
# ---------------------------------------------------------------------------------------
NEAR_MAX = np.array([[1e308, -1e308], [-1e308, 1e308], [0.0, 0.0]])


@pytest.mark.parametrize("call", [
    lambda x: emlib.init_random(x, 2, 0),
    lambda x: emlib.init_kmeanspp(x, 2, 0),
    lambda x: emlib.fit(x, 2, rng=0),
    lambda x: emlib.fit(x, GMM([1.0], [[0.0, 0.0]], [np.eye(2)])),
    lambda x: emlib.m_step(x, np.ones((len(x), 1))),
], ids=["init_random", "init_kmeanspp", "fit(k)", "fit(GMM)", "m_step"])
def test_data_whose_squares_overflow_are_refused_before_any_arithmetic(call):
    # init_random raised numpy's "OverflowError: Range exceeds valid bounds".
    with pytest.raises(ValueError, match=r"X has values spread so widely \(X\[:, 0\] runs from -1e\+308 "
                                         r"to 1e\+308\) .*overflow.*rescale X"):
        call(NEAR_MAX)


@pytest.mark.parametrize("call", [
    lambda x: emlib.fit(x, 2, rng=0),
    lambda x: emlib.init_random(x, 2, 0),
    lambda x: emlib.m_step(x, np.ones((len(x), 1))),
], ids=["fit", "init_random", "m_step"])
def test_data_whose_squares_underflow_are_named_as_such(call):
    # fit(X * 1e-300, 2, rng=0) said the points "are all identical or lie on a line or plane".
    with pytest.raises(ValueError, match=r"X has values so close together .*underflow.*rescale X") as info:
        call(FAITHFUL * 1e-300)
    assert "identical" not in str(info.value) and "line" not in str(info.value)


@pytest.mark.parametrize("call", [
    lambda x: emlib.m_step(x, np.ones((len(x), 1))),
    lambda x: emlib.fit(x, GMM([1.0], [[6e153, 9.5]], [np.eye(2)])),
], ids=["m_step", "fit"])
def test_squared_deviations_that_overflow_in_their_sum_are_refused_silently(call):
    # Each squared deviation (6e153)^2 fits in a float; twenty of them summed do not.
    data = np.column_stack([np.tile([0.0, 1.2e154], 10), np.arange(20.0)])
    with pytest.raises(ValueError, match=r"X has .*overflow.*rescale X"):
        call(data)


def test_a_constant_feature_near_the_largest_float_is_a_collapse_named_silently():
    data = np.column_stack([np.full(10, 1.5e308), np.arange(10.0)])
    with pytest.raises(emlib.CollapseError, match=r"component 0 has collapsed.*reg_covar=8\.2e-06"):
        emlib.m_step(data, np.ones((10, 1)))


# ---------------------------------------------------------------------------------------
# Every argument given is checked and named (defects 8, 9)
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, match", [
    ({"init_method": "bogus"}, ValueError, r"init_method must be one of"),
    ({"rng": "abc"}, TypeError, r"rng must be a numpy.random.Generator or an integer seed"),
    ({"rng": -1}, ValueError, r"rng must be a non-negative integer seed"),
])
def test_fit_from_a_gmm_still_checks_rng_and_init_method(kwargs, error, match):
    with pytest.raises(error, match=match):
        emlib.fit(X, P, **kwargs)


@pytest.mark.parametrize("call", [
    lambda: emlib.init_random(X, 2, -1),
    lambda: emlib.init_kmeanspp(X, 2, -1),
    lambda: emlib.fit(X, 2, rng=-1),
    lambda: emlib.fit_restarts(X, 2, rng=-1),
    lambda: sample(P, 5, -1),
], ids=["init_random", "init_kmeanspp", "fit", "fit_restarts", "sample"])
def test_negative_seed_is_named(call):
    with pytest.raises(ValueError, match=r"rng must be a non-negative integer seed .*got -1"):
        call()


def test_fractions_are_real_numbers():
    exact = emlib.fit(X, P, tol=1e-4, reg_covar=0.25, max_iter=20)
    fraction = emlib.fit(X, P, tol=Fraction(1, 10**4), reg_covar=Fraction(1, 4), max_iter=20)
    np.testing.assert_array_equal(fraction.log_likelihoods, exact.log_likelihoods)
    resp = emlib.e_step(X, P)[0]
    np.testing.assert_array_equal(emlib.m_step(X, resp, reg_covar=Fraction(1, 4)).covariances,
                                  emlib.m_step(X, resp, reg_covar=0.25).covariances)
    assert ellipse_geometry(np.diag([4.0, 1.0]), Fraction(3, 2)) == ellipse_geometry(np.diag([4.0, 1.0]), 1.5)
    assert ellipse_mass(Fraction(1, 1)) == ellipse_mass(1.0)
    np.testing.assert_array_equal(interpolate_params(P, P.permuted([1, 0]), Fraction(1, 4)).means,
                                  interpolate_params(P, P.permuted([1, 0]), 0.25).means)


@pytest.mark.parametrize("order, error, match", [
    ([0.0, 1.0], TypeError, r"order must hold integers .*float64"),
    ([True, False], TypeError, r"order must hold integers .*bool"),
    (None, TypeError, r"order must be a sequence of integers .*NoneType"),
    ("01", TypeError, r"order must be a sequence of integers .*str"),
    ([0, 0], ValueError, r"order must be a permutation of 0\.\.1"),
    ([[0, 1]], ValueError, r"order must be a permutation of 0\.\.1"),
    ([], ValueError, r"order must be a permutation of 0\.\.1"),
])
def test_permuted_names_a_bad_order(order, error, match):
    with pytest.raises(error, match=match):
        P.permuted(order)


def test_permuted_accepts_numpy_integers():
    swapped = P.permuted(np.array([1, 0], dtype=np.uint8))
    np.testing.assert_array_equal(swapped.means, P.means[::-1])


@pytest.mark.parametrize("n_std, error", [("a", TypeError), (1 + 1j, TypeError), ([1.0, -1.0], ValueError)])
def test_ellipse_mass_names_n_std(n_std, error):
    with pytest.raises(error, match=r"n_std must"):
        ellipse_mass(n_std)


@pytest.mark.parametrize("center, scale, match", [
    ([0.0, 0.0], [1e300, 1.0], r"scale\[0\] = 1e\+300 is so large that the covariances .*overflow"),
    ([0.0, 0.0], [1.0, 1e-200], r"scale\[1\] = 1e-200 is so small that the variances .*underflow"),
    ([1e308, 0.0], [1e308, 1.0], r"center\[0\] = 1e\+308 and scale\[0\] = 1e\+308 put the means"),
])
def test_unstandardize_blames_scale_not_covariances(center, scale, match):
    params = GMM([0.5, 0.5], [[1.0, 0.0], [0.0, 1.0]], [np.eye(2), np.eye(2)])
    with pytest.raises(ValueError, match=match):
        unstandardize(params, center, scale)


@pytest.mark.parametrize("call, name", [
    (lambda: emlib.fit_restarts(X, 2, n_init=10**15, rng=0), "n_init"),
    (lambda: sample(P, 10**15, 0), "n"),
], ids=["fit_restarts", "sample"])
def test_sizes_beyond_memory_are_named_before_any_work(call, name):
    with pytest.raises(ValueError, match=rf"{name}=1000000000000000 is too large: .*more memory than is available"):
        call()


# ---------------------------------------------------------------------------------------
# max_iter=0: the start, evaluated
# ---------------------------------------------------------------------------------------
def test_fit_with_max_iter_0_returns_the_start_with_its_log_likelihood():
    result = emlib.fit(FAITHFUL, emlib.init_kmeanspp(FAITHFUL, 2, 0), max_iter=0, keep_history=True)
    start = emlib.init_kmeanspp(FAITHFUL, 2, 0)
    a = np.log(start.weights) + np.column_stack([
        multivariate_normal.logpdf(FAITHFUL, m, c) for m, c in zip(start.means, start.covariances)])
    assert (result.n_iter, result.converged) == (0, False)
    np.testing.assert_allclose(result.log_likelihoods, [logsumexp(a, axis=1).sum()], rtol=1e-12)
    np.testing.assert_allclose(result.responsibilities, np.exp(a - logsumexp(a, axis=1, keepdims=True)),
                               rtol=1e-12, atol=1e-300)
    for name in ("weights", "means", "covariances"):
        np.testing.assert_array_equal(getattr(result.params, name), getattr(start, name))
    assert len(result.history) == 1
