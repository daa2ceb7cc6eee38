"""Covariance structures (full, tied, diag, spherical): EM against scikit-learn's
GaussianMixture(covariance_type=...) from the same start, parameter counts against scikit-learn's
own BIC, densities against scipy, the structure checks, and the log-likelihood never decreasing.

scikit-learn stores the covariances of each type in its own shape ((d, d) tied, (k, d) diag,
(k,) spherical); `as_full` turns them into the (k, d, d) that emlib keeps for every type.
"""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

import emlib
from emlib import GMM, data
from emlib._blocked import FAR
from emlib.benchmark import sklearn_precisions
from emlib.covariance import TYPES
from emlib.selection import aic, bic, choose_k, n_parameters
from test_fit import random_3d_problem


def as_full(covariances, covariance_type, k, d):
    """scikit-learn's covariances_ of a covariance_type as k full (d, d) matrices."""
    c = np.asarray(covariances)
    if covariance_type == "tied":
        return np.broadcast_to(c, (k, d, d))
    if covariance_type == "diag":
        return np.stack([np.diag(v) for v in c])
    if covariance_type == "spherical":
        return c[:, None, None] * np.eye(d)
    return c


def sklearn_fit(X, init, max_iter, reg_covar=0.0):
    gm = GaussianMixture(
        n_components=init.k, covariance_type=init.covariance_type, reg_covar=reg_covar, tol=0,
        max_iter=max_iter, weights_init=init.weights, means_init=init.means,
        precisions_init=sklearn_precisions(init), random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gm.fit(X)


def start_of_type(covariance_type, means, covariances, weights):
    """A start of the given structure from any covariances: their mean (tied), diagonals (diag),
    mean variances (spherical)."""
    k, d = means.shape
    if covariance_type == "tied":
        covariances = np.broadcast_to(covariances.mean(axis=0), (k, d, d))
    elif covariance_type == "diag":
        covariances = np.stack([np.diag(np.diag(c)) for c in covariances])
    elif covariance_type == "spherical":
        covariances = np.stack([np.trace(c) / d * np.eye(d) for c in covariances])
    return GMM(weights, means, covariances, covariance_type)


def rotated_3d(covariance_type):
    """500 points from three stretched, rotated 3-D components (tests/test_fit.py's problem),
    and its start made of the type."""
    X, start = random_3d_problem()
    return X, start_of_type(covariance_type, start.means, start.covariances, start.weights)


def seed_problem(covariance_type):
    X, _ = data.seed_data()
    seed_start = data.seed_initial_params()           # identity covariances: every structure
    return X, GMM(seed_start.weights, seed_start.means, seed_start.covariances, covariance_type)


def faithful_raw(covariance_type):
    """Old Faithful in its own units (waiting times near 70 minutes, on a scale 14 times the
    durations'): the diagonal structures' sums about the data's mean are exercised off 0."""
    X = data.old_faithful()
    rng = np.random.default_rng(1)
    means = X[rng.choice(len(X), 2, replace=False)]
    cov = np.cov(X, rowvar=False, bias=True)
    return X, start_of_type(covariance_type, means, np.stack([cov, cov]), [0.5, 0.5])


PROBLEMS = {"seed": seed_problem, "rotated-3d": rotated_3d, "faithful-raw": faithful_raw}


def assert_close(actual, expected, rtol=1e-8):
    """Equal to rtol relative to the size of the expected array (so entries near 0 count too)."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


# ----------------------------------------------------------------------------------------
# The fit against scikit-learn
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", TYPES)
@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("reg_covar", [0.0, 1e-2])
def test_fit_matches_sklearn_for_each_covariance_type(problem, covariance_type, reg_covar):
    X, start = PROBLEMS[problem](covariance_type)
    n, (k, d) = len(X), start.means.shape
    result = emlib.fit(X, start, max_iter=25, tol=0, reg_covar=reg_covar)
    sk = sklearn_fit(X, start, max_iter=25, reg_covar=reg_covar)
    assert result.params.covariance_type == covariance_type and result.n_iter == 25
    assert_close(result.params.weights, sk.weights_)
    assert_close(result.params.means, sk.means_)
    assert_close(result.params.covariances, as_full(sk.covariances_, covariance_type, k, d))
    # scikit-learn's lower_bounds_: the mean log-likelihood of the parameters entering each iteration.
    assert_close(result.log_likelihoods[:-1] / n, sk.lower_bounds_)


# ----------------------------------------------------------------------------------------
# Parameter counts, BIC and AIC
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", TYPES)
def test_n_parameters_matches_sklearns_count(covariance_type):
    # scikit-learn's count read off its public criteria: bic = -2 n score + p log n, so
    # p = (bic + 2 n score) / log n (and aic = -2 n score + 2 p), for every k, d <= 6.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6))
    for d in range(1, 7):
        for k in range(1, 7):
            gm = GaussianMixture(k, covariance_type=covariance_type, max_iter=1, random_state=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                gm.fit(X[:, :d])
            total = -2 * len(X) * gm.score(X[:, :d])
            p_bic = (gm.bic(X[:, :d]) - total) / np.log(len(X))
            p_aic = (gm.aic(X[:, :d]) - total) / 2
            assert n_parameters(k, d, covariance_type) == pytest.approx(p_bic, abs=1e-6), (k, d)
            assert n_parameters(k, d, covariance_type) == pytest.approx(p_aic, abs=1e-6), (k, d)


@pytest.mark.parametrize("covariance_type, expected", [
    ("full", 2 + 6 + 3 * 3),       # (k - 1) + k d + k d (d + 1) / 2, k = 3, d = 2
    ("tied", 2 + 6 + 3),           # ... + d (d + 1) / 2
    ("diag", 2 + 6 + 6),           # ... + k d
    ("spherical", 2 + 6 + 3),      # ... + k
])
def test_n_parameters_by_hand(covariance_type, expected):
    assert n_parameters(3, 2, covariance_type) == expected
    assert n_parameters(3, 2) == 17


@pytest.mark.parametrize("covariance_type", TYPES)
def test_bic_and_aic_count_the_parameters_of_the_type(covariance_type):
    X = data.old_faithful()
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0, reg_covar=0).fit(X)
    params = GMM(gm.weights_, gm.means_, as_full(gm.covariances_, covariance_type, 2, 2), covariance_type)
    np.testing.assert_allclose(bic(X, params), gm.bic(X), rtol=1e-10)
    np.testing.assert_allclose(aic(X, params), gm.aic(X), rtol=1e-10)


# ----------------------------------------------------------------------------------------
# Densities of the diagonal structures against scipy (their own E-step)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "tied"])
def test_log_densities_match_scipy(covariance_type):
    # The third component is a tight cluster of 5 points far from the others (beyond FAR of its
    # own standard deviations from the data's mean): it alone is evaluated about its own mean.
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(0, 1, (100, 3)) * [1, 3, 0.5], rng.normal(5, 1, (100, 3)),
                   1e3 + 1e-3 * rng.normal(0, 1, (5, 3))])
    variances = np.array([[1.0, 9.0, 0.25], [1.0, 1.0, 1.0], [1e-6, 1e-6, 1e-6]])
    if covariance_type == "spherical":
        variances = variances.mean(axis=1, keepdims=True) * np.ones(3)
    covariances = np.stack([np.diag(v) for v in variances])
    if covariance_type == "tied":
        covariances = np.broadcast_to([[2.0, 0.3, 0.0], [0.3, 1.0, -0.2], [0.0, -0.2, 0.5]], (3, 3, 3))
    params = GMM([0.45, 0.45, 0.1], [[0, 0, 0], [5, 5, 5], [1e3, 1e3, 1e3]], covariances, covariance_type)
    whitened = np.linalg.solve(np.linalg.cholesky(covariances), (params.means - X.mean(axis=0))[..., None])
    assert list(np.linalg.norm(whitened[..., 0], axis=1) > FAR) == [False, False, True]
    expected = np.column_stack([multivariate_normal(m, c).logpdf(X) for m, c in zip(params.means, covariances)])
    got = emlib.log_densities(X, params)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-9)


def test_diag_m_step_of_a_far_tight_cluster_matches_a_direct_sum():
    # A component whose mean lies 1e7 of its standard deviations from the data's mean: its
    # variances, summed about the data's mean, would lose every digit; summed about its own.
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 1, (200, 2)), 1e4 + 1e-3 * rng.normal(0, 1, (100, 2))])
    resp = np.zeros((300, 2))
    resp[:200, 0] = resp[200:, 1] = 1.0
    params = emlib.m_step(X, resp, covariance_type="diag")
    tight = X[200:]
    expected = ((tight - tight.mean(axis=0)) ** 2).mean(axis=0)
    np.testing.assert_allclose(np.diag(params.covariances[1]), expected, rtol=1e-9)
    assert np.linalg.norm(tight.mean(axis=0) - X.mean(axis=0)) / 1e-3 > FAR


# ----------------------------------------------------------------------------------------
# The structure a GMM declares
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type, covariances, words", [
    ("diag", [[[1.0, 0.1], [0.1, 1.0]], np.eye(2)], r"covariances\[0\] is not diagonal"),
    ("spherical", [np.eye(2), np.diag([1.0, 2.0])], r"covariances\[1\] is not a multiple of the identity"),
    ("spherical", [[[1.0, 0.1], [0.1, 1.0]], np.eye(2)], r"covariances\[0\] is not diagonal"),
    ("tied", [np.eye(2), 2 * np.eye(2)], r"covariances\[1\] differs from covariances\[0\]"),
])
def test_gmm_refuses_covariances_without_the_declared_structure(covariance_type, covariances, words):
    with pytest.raises(ValueError, match=words):
        GMM([0.5, 0.5], [[0, 0], [1, 1]], covariances, covariance_type)


def test_gmm_structure_is_judged_to_the_precision_given():
    # Computed in float32, a diagonal or a shared covariance misses by float32 rounding: welcome.
    cov32 = np.array([[2.0, 1e-7], [1e-7, 3.0]], dtype=np.float32)
    assert GMM([1.0], [[0, 0]], cov32[None], "diag").covariance_type == "diag"
    with pytest.raises(ValueError, match="is not diagonal"):
        GMM([1.0], [[0, 0]], cov32.astype(np.float64)[None], "diag")     # in float64, 1e-7 is real
    tied32 = np.stack([cov32, cov32 * np.float32(1 + 1e-6)])
    assert GMM([0.5, 0.5], [[0, 0], [1, 1]], tied32, "tied").covariance_type == "tied"


@pytest.mark.parametrize("bad, error, words", [
    ("VVV", ValueError, r"covariance_type must be one of .* got 'VVV' \(mclust's VVV is 'full'\)"),
    ("Full", ValueError, "covariance_type must be one of"),
    (None, TypeError, "covariance_type must be one of"),
])
def test_unknown_covariance_type_is_named(bad, error, words):
    with pytest.raises(error, match=words):
        GMM([1.0], [[0.0]], [[[1.0]]], bad)


def test_the_type_survives_copies_permutations_and_the_fit():
    import copy
    import pickle

    X, start = rotated_3d("diag")
    for other in (copy.deepcopy(start), pickle.loads(pickle.dumps(start)), start.permuted([2, 0, 1])):
        assert other.covariance_type == "diag"
    assert emlib.fit(X, start, max_iter=2, tol=0).params.covariance_type == "diag"
    assert "covariance_type='diag' (VVI)" in repr(start)


def test_fit_takes_the_type_of_its_start_or_the_one_asked_for():
    X, start = seed_problem("full")                     # identity covariances, declared full
    assert emlib.fit(X, start, max_iter=1).params.covariance_type == "full"
    as_diag = emlib.fit(X, start, max_iter=3, tol=0, covariance_type="diag")
    declared = emlib.fit(X, GMM(start.weights, start.means, start.covariances, "diag"), max_iter=3, tol=0)
    assert as_diag.params.covariance_type == "diag"
    np.testing.assert_array_equal(as_diag.params.covariances, declared.params.covariances)
    assert emlib.fit(X, 3, rng=0, max_iter=1).params.covariance_type == "full"


def test_fit_refuses_a_start_without_the_structure_asked_for():
    X, start = rotated_3d("full")
    with pytest.raises(ValueError, match=r"init.covariances\[0\] is not diagonal, but covariance_type='diag'"):
        emlib.fit(X, start, covariance_type="diag")


@pytest.mark.parametrize("covariance_type", TYPES)
@pytest.mark.parametrize("init", [emlib.init_kmeanspp, emlib.init_random])
def test_initialisations_give_a_start_of_the_type(init, covariance_type):
    X, _ = rotated_3d("full")
    start = init(X, 3, 5, covariance_type)
    full = init(X, 3, 5)
    assert start.covariance_type == covariance_type
    np.testing.assert_array_equal(start.means, full.means)          # the same draws for every type
    cov = np.cov(X, rowvar=False, bias=True) if init is emlib.init_kmeanspp else np.eye(3)
    expected = {"full": cov, "tied": cov, "diag": np.diag(np.diag(cov)),
                "spherical": np.trace(cov) / 3 * np.eye(3)}[covariance_type]
    np.testing.assert_allclose(start.covariances, np.broadcast_to(expected, (3, 3, 3)), rtol=1e-12)


# ----------------------------------------------------------------------------------------
# The log-likelihood never decreases, for every type
# ----------------------------------------------------------------------------------------
@st.composite
def problems_of_a_type(draw):
    """A random mixture (d, k in 1..4), 10..80 points from it, and a start of a random type."""
    d, k = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    n = draw(st.integers(max(10, 5 * k * d), 80))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A = rng.standard_normal((k, d, d))
    truth = GMM(rng.dirichlet(np.full(k, 3.0)), rng.uniform(-5, 5, (k, d)),
                A @ A.transpose(0, 2, 1) / d + 0.5 * np.eye(d))
    X, _ = data.sample(truth, n, rng)
    covariance_type = draw(st.sampled_from(TYPES))
    init = draw(st.sampled_from([emlib.init_kmeanspp, emlib.init_random]))
    return X, init(X, k, rng, covariance_type)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(problems_of_a_type())
def test_log_likelihood_never_decreases_for_any_type(problem):
    X, start = problem
    try:
        lls = emlib.fit(X, start, max_iter=10, tol=0).log_likelihoods
    except emlib.CollapseError:
        assume(False)
    assert np.all(np.isfinite(lls))
    assert np.all(np.diff(lls) >= -1e-10 * np.maximum(1.0, np.abs(lls[1:]))), np.diff(lls)


# ----------------------------------------------------------------------------------------
# choose_k over covariance types
# ----------------------------------------------------------------------------------------
def test_choose_k_scans_types_and_k_and_agrees_with_sklearns_bic():
    # Issue 11's finding, checked here: on standardised Old Faithful a tied covariance with
    # k = 3 has a lower BIC than the best full model, k = 2 (tests/test_selection.py scans
    # full covariances over k = 1..6).
    Z, _, _ = data.standardize(data.old_faithful())
    scan = choose_k(Z, [3, 2], n_init=10, rng=0, covariance_type=["full", "tied"], tol=1e-8, max_iter=2000)
    assert scan.covariance_types == ("full", "full", "tied", "tied")
    np.testing.assert_array_equal(scan.ks, [2, 3, 2, 3])
    assert (scan.best_covariance_type, scan.best_k) == ("tied", 3)
    assert scan.best_fit.params.covariance_type == "tied" and scan.best_fit.params.k == 3
    assert scan.bic[0] < scan.bic[1] and scan.bic[3] < scan.bic[0]
    for i, (kind, k) in [(0, ("full", 2)), (3, ("tied", 3))]:            # scikit-learn's best of ten starts
        sk = GaussianMixture(k, covariance_type=kind, n_init=10, random_state=0, reg_covar=0, tol=1e-8,
                             max_iter=2000).fit(Z)
        assert scan.bic[i] == pytest.approx(sk.bic(Z), rel=1e-8)
    assert "tied       k=3   bic=" in repr(scan) and "<- best" in repr(scan)


def test_choose_k_counts_the_starts_that_collapsed():
    # Seed data, k = 8: some of five k-means++ starts collapse.  Counted independently: the same
    # starts, drawn in turn from the same generator, fitted one by one.
    X, _ = data.seed_data()
    scan = choose_k(X, [2, 8], n_init=5, rng=0)
    rng = np.random.default_rng(0)
    expected = []
    for k in (2, 8):
        failures = 0
        for _ in range(5):
            try:
                emlib.fit(X, emlib.init_kmeanspp(X, k, rng))
            except emlib.CollapseError:
                failures += 1
        expected.append(failures)
    np.testing.assert_array_equal(scan.collapsed, expected)
    assert expected[1] > 0
    assert f"collapsed={expected[1]}" in repr(scan)


@pytest.mark.parametrize("covariance_type, error, words", [
    ([], ValueError, "covariance_type is empty"),
    (["full", "full"], ValueError, r"must not repeat a value; \['full'\]"),
    (["full", "EEE"], ValueError, r"covariance_type\[1\] must be one of .*mclust's EEE is 'tied'"),
    (3, TypeError, "covariance_type must be one of"),
])
def test_choose_k_refuses_bad_covariance_types(covariance_type, error, words):
    X, _ = data.seed_data()
    with pytest.raises(error, match=words):
        choose_k(X, [1, 2], rng=0, covariance_type=covariance_type)


@pytest.mark.parametrize("call", [
    lambda X, start: emlib.fit(X, start, covariance_type="VVI"),
    lambda X, start: emlib.fit(X, 3, rng=0, covariance_type="VVI"),
    lambda X, start: emlib.m_step(X, emlib.e_step(X, start)[0], covariance_type="VVI"),
    lambda X, start: emlib.fit_restarts(X, 3, rng=0, covariance_type="VVI"),
    lambda X, start: emlib.init_kmeanspp(X, 3, 0, "VVI"),
    lambda X, start: n_parameters(3, 2, "VVI"),
])
def test_every_function_names_a_bad_covariance_type(call):
    X, start = seed_problem("full")
    with pytest.raises(ValueError, match=r"covariance_type must be one of .*got 'VVI' \(mclust's VVI is 'diag'\)"):
        call(X, start)
