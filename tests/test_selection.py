"""Model selection: parameter counts, BIC and AIC, and choosing k.

Expected numbers come from hand counts and from scikit-learn's GaussianMixture (its
_n_parameters, bic and aic); the picked k is checked against the truth (the seed data were
drawn from 3 components) and, on Old Faithful, against scikit-learn's own BIC ranking.
"""
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

import emlib
from emlib import GMM, data, selection
from emlib.selection import aic, bic, choose_k, n_parameters


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    # On a busy two-core machine, OpenBLAS and OpenMP threads that spin waiting for each other
    # can make a 300-point scan take ten seconds instead of a fraction of one.
    with threadpool_limits(1):
        yield


def sklearn_gmm(X, k, random_state=0, n_init=1):
    return GaussianMixture(k, covariance_type="full", n_init=n_init, random_state=random_state,
                           tol=1e-8, max_iter=1000, reg_covar=0.0).fit(X)


def as_emlib(gm):
    return GMM(gm.weights_, gm.means_, gm.covariances_)


# ----------------------------------------------------------------------------------------
# n_parameters
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("k, d, expected", [
    (1, 1, 2),        # 0 weights + 1 mean + 1 variance
    (2, 1, 5),        # 1 weight + 2 means + 2 variances
    (1, 2, 5),        # 0 + 2 + 3 (two variances, one covariance)
    (3, 2, 17),       # 2 + 6 + 3 * 3
    (4, 3, 39),       # 3 + 12 + 4 * 6
    (2, 10, 131),     # 1 + 20 + 2 * 55
])
def test_n_parameters_by_hand(k, d, expected):
    assert n_parameters(k, d) == expected
    assert isinstance(n_parameters(k, d), int)


@pytest.mark.parametrize("k", range(1, 6))
@pytest.mark.parametrize("d", range(1, 6))
def test_n_parameters_matches_sklearn(k, d):
    gm = GaussianMixture(k, covariance_type="full")
    gm.means_ = np.zeros((k, d))          # _n_parameters reads only the shape of means_
    assert n_parameters(k, d) == gm._n_parameters()


def test_n_parameters_accepts_numpy_integers():
    assert n_parameters(np.int64(3), np.int32(2)) == 17


# ----------------------------------------------------------------------------------------
# bic and aic against scikit-learn
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("which, k", [("seed", 3), ("seed", 2), ("faithful", 2), ("faithful", 3)])
def test_bic_and_aic_match_sklearn(which, k):
    # Old Faithful in its own units: correlated, with features on scales 1 and 14.
    X = data.seed_data()[0] if which == "seed" else data.old_faithful()
    gm = sklearn_gmm(X, k)
    params = as_emlib(gm)
    np.testing.assert_allclose(bic(X, params), gm.bic(X), rtol=1e-8)
    np.testing.assert_allclose(aic(X, params), gm.aic(X), rtol=1e-8)


def test_bic_and_aic_by_hand():
    # One standard normal component, two points at 0 and 1 (d = 1, p = 2):
    # log L = 2 * (-log(2 pi) / 2) - 1 / 2.
    X = np.array([[0.0], [1.0]])
    params = GMM([1.0], [[0.0]], [[[1.0]]])
    loglik = -np.log(2 * np.pi) - 0.5
    assert bic(X, params) == pytest.approx(-2 * loglik + 2 * np.log(2), rel=1e-14)
    assert aic(X, params) == pytest.approx(-2 * loglik + 4, rel=1e-14)


def test_bic_difference_between_units_is_the_jacobian():
    # On Z = D^{-1}(X - c) every k gets the same shift 2 n sum log s, so the ranking of k does
    # not depend on the units.
    X = data.old_faithful()
    Z, center, scale = data.standardize(X)
    params_z = as_emlib(sklearn_gmm(Z, 2))
    params_x = data.unstandardize(params_z, center, scale)
    shift = 2 * len(X) * np.log(X.std(axis=0)).sum()
    np.testing.assert_allclose(bic(X, params_x), bic(Z, params_z) + shift, rtol=1e-10)
    np.testing.assert_allclose(aic(X, params_x), aic(Z, params_z) + shift, rtol=1e-10)


# ----------------------------------------------------------------------------------------
# icl
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, k", [("full", 3), ("tied", 3), ("diag", 3), ("spherical", 4)])
def test_icl_by_hand(kind, k):
    # On standardised Old Faithful: gamma from scipy's densities, BIC with p counted by hand,
    # ICL = BIC + 2 EN(gamma) and, hard, BIC - 2 sum_i log max_j gamma_ij.
    Z, _, _ = data.standardize(data.old_faithful())
    params = emlib.fit(Z, k, rng=0, covariance_type=kind).params
    log_joint = np.column_stack([np.log(w) + multivariate_normal.logpdf(Z, m, S)
                                 for w, m, S in zip(params.weights, params.means, params.covariances)])
    log_gamma = log_joint - logsumexp(log_joint, axis=1, keepdims=True)
    n, d = Z.shape
    p = (k - 1) + k * d + {"full": k * 3, "tied": 3, "diag": k * 2, "spherical": k}[kind]
    bic_by_hand = -2 * logsumexp(log_joint, axis=1).sum() + p * np.log(n)
    entropy = -(np.exp(log_gamma) * log_gamma).sum()
    assert entropy > 1.0                                   # the components overlap: ICL > BIC
    np.testing.assert_allclose(selection.icl(Z, params), bic_by_hand + 2 * entropy, rtol=1e-10)
    np.testing.assert_allclose(selection.icl(Z, params, hard=True),
                               bic_by_hand - 2 * log_gamma.max(axis=1).sum(), rtol=1e-10)


def test_icl_equals_bic_for_one_component_and_when_every_point_is_certain():
    X, _ = data.seed_data()
    one = GMM([1.0], [X.mean(axis=0)], [np.cov(X, rowvar=False, bias=True)])
    assert selection.icl(X, one) == pytest.approx(bic(X, one), rel=1e-14)
    far = GMM([0.5, 0.5], [[-1e3, 0.0], [1e3, 0.0]], [np.eye(2), np.eye(2)])   # all points closer to
    Y = np.array([[-1e3, 1.0], [-999.0, 0.0], [1e3, 2.0]])                     # one mean than the other
    assert selection.icl(Y, far) == bic(Y, far) == selection.icl(Y, far, hard=True)


# ----------------------------------------------------------------------------------------
# choose_k
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_scan():
    X, _ = data.seed_data()
    return X, choose_k(X, range(1, 7), n_init=5, rng=0)


def test_bic_picks_three_components_on_the_seed_data(seed_scan):
    X, scan = seed_scan
    assert scan.best_k == 3                                # the seed drew from 3 Gaussians
    assert scan.criterion == "bic"
    np.testing.assert_array_equal(scan.ks, [1, 2, 3, 4, 5, 6])
    assert [f.params.k for f in scan.fits] == [1, 2, 3, 4, 5, 6]
    assert scan.best_fit.params.k == 3
    # Its k = 3 fit is as good as scikit-learn's (the same maximum of the likelihood).
    np.testing.assert_allclose(scan.bic[2], sklearn_gmm(X, 3).bic(X), rtol=1e-6)


def test_choose_k_reports_bic_and_aic_of_each_fit(seed_scan):
    X, scan = seed_scan
    for k, fit, b, a in zip(scan.ks, scan.fits, scan.bic, scan.aic):
        loglik = fit.log_likelihoods[-1]
        p = (k - 1) + 2 * k + 3 * k                        # d = 2, counted by hand
        assert b == pytest.approx(-2 * loglik + p * np.log(len(X)), rel=1e-12)
        assert a == pytest.approx(-2 * loglik + 2 * p, rel=1e-12)


def test_choose_k_is_reproducible_and_sorts_ks():
    X, _ = data.seed_data()
    first = choose_k(X, [3, 1, 2], n_init=2, rng=7)
    again = choose_k(X, np.array([1, 2, 3]), n_init=2, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first.ks, [1, 2, 3])
    np.testing.assert_array_equal(first.bic, again.bic)
    with pytest.raises(ValueError):
        first.bic[0] = 0.0                                 # read-only


def test_choose_k_by_aic_picks_the_smallest_aic():
    X, _ = data.seed_data()
    scan = choose_k(X, range(1, 5), n_init=2, rng=0, criterion="aic")
    assert scan.best_k == scan.ks[np.argmin(scan.aic)]


def test_bic_picks_two_components_on_standardised_old_faithful():
    # What we found: BIC picks k = 2 on standardised Old Faithful, but only just.  Best BIC
    # found with full covariances: k = 2: 832.585, k = 3: 834.572 (a margin of about 2;
    # R's mclust, with constrained covariances, prefers three equal-shape components).
    Z, _, _ = data.standardize(data.old_faithful())
    scan = choose_k(Z, range(1, 7), n_init=5, rng=0)
    assert scan.best_k == 2
    # Independently, scikit-learn ranks k = 2 below its best k = 3 (ten starts), and its
    # k = 2 fit has the same BIC as ours.
    bic_2 = sklearn_gmm(Z, 2).bic(Z)
    bic_3 = sklearn_gmm(Z, 3, n_init=10).bic(Z)
    assert bic_2 < bic_3
    np.testing.assert_allclose(scan.bic[1], bic_2, rtol=1e-6)


def test_choose_k_names_k_when_every_start_collapses():
    X = np.repeat([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]], 10, axis=0)   # three points, repeated
    with pytest.raises(emlib.CollapseError, match="k=2: all 5 starts collapsed"):
        choose_k(X, [2], rng=0)


# ----------------------------------------------------------------------------------------
# Bad input: refused before any fitting
# ----------------------------------------------------------------------------------------
@pytest.fixture
def no_fitting(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("choose_k started fitting before checking its input")

    monkeypatch.setattr(selection, "fit_restarts", refuse)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(ks=[]), ValueError, "ks is empty"),
    (dict(ks=range(0)), ValueError, "ks is empty"),
    (dict(ks=[0, 1, 2]), ValueError, r"ks\[0\] must be >= 1, got 0"),
    (dict(ks=[1, -2]), ValueError, r"ks\[1\] must be >= 1"),
    (dict(ks=[1, 2.5]), TypeError, r"ks\[1\] must be an integer"),
    (dict(ks=3), TypeError, "ks must be a sequence of integers"),
    (dict(ks="123"), TypeError, "ks must be a sequence of integers"),
    (dict(ks=[1, 2, 2]), ValueError, r"ks must not repeat a value; \[2\]"),
    (dict(ks=[1, 400]), ValueError, "300 points, fewer than the k=400"),
    (dict(ks=[1, 2], criterion="icl"), ValueError, r"criterion must be one of \('bic', 'aic'\), got 'icl'"),
    (dict(ks=[1, 2], criterion="BIC"), ValueError, "criterion must be one of"),
    (dict(ks=[1, 2], n_init=0), ValueError, "n_init must be >= 1"),
    (dict(ks=[1, 2], rng=None), TypeError, "rng must be a numpy.random.Generator or an integer seed"),
])
def test_choose_k_refuses_bad_input(no_fitting, kwargs, error, words):
    X, _ = data.seed_data()
    kwargs = {"rng": 0, **kwargs}
    with pytest.raises(error, match=words):
        choose_k(X, **kwargs)


def test_choose_k_refuses_bad_data(no_fitting):
    with pytest.raises(ValueError, match="X must be 2-D"):
        choose_k([1.0, 2.0, 3.0], [1], rng=0)


@pytest.mark.parametrize("k, d, error, words", [
    (0, 2, ValueError, "k must be >= 1, got 0"),
    (-1, 2, ValueError, "k must be >= 1"),
    (2, 0, ValueError, "d must be >= 1, got 0"),
    (2.0, 2, TypeError, "k must be an integer"),
    (True, 2, TypeError, "k must be an integer"),
    (2, "2", TypeError, "d must be an integer"),
])
def test_n_parameters_refuses_bad_input(k, d, error, words):
    with pytest.raises(error, match=words):
        n_parameters(k, d)


@pytest.mark.parametrize("criterion", [bic, aic, selection.icl])
def test_bic_and_aic_refuse_bad_input(criterion):
    X, _ = data.seed_data()
    params = data.seed_true_params()
    with pytest.raises(TypeError, match="params must be an emlib.GMM"):
        criterion(X, "not a GMM")
    with pytest.raises(ValueError, match="X has d=3 features per point but params has d=2"):
        criterion(np.ones((5, 3)), params)
    with pytest.raises(ValueError, match="NaN"):
        criterion(np.full((5, 2), np.nan), params)
