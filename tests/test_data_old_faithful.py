"""The Old Faithful data shipped with emlib, and standardising data and mapping a fit back.

Expected numbers come from R (the data set's published column means), from hand calculation,
and from scipy's multivariate_normal for the densities in the original units.
"""
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from threadpoolctl import threadpool_limits

import emlib
from emlib import GMM, data, selection

DATASETS = Path(emlib.__file__).resolve().parent / "datasets"


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    # Small matrices: extra BLAS threads only add waiting (badly so on a busy machine).
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def faithful():
    return data.old_faithful()


# ----------------------------------------------------------------------------------------
# Old Faithful
# ----------------------------------------------------------------------------------------
def test_old_faithful_shape_and_column_means(faithful):
    assert faithful.shape == (272, 2)
    assert faithful.dtype == np.float64
    # R: colMeans(faithful) -> eruptions 3.487783, waiting 70.897059
    np.testing.assert_allclose(faithful.mean(axis=0), [3.487783, 70.897059], rtol=0, atol=1e-6)


def test_old_faithful_rows_as_in_r(faithful):
    # R: faithful[c(1, 2, 272), ]
    np.testing.assert_array_equal(faithful[[0, 1, -1]], [[3.600, 79], [1.800, 54], [4.467, 74]])
    assert np.all(faithful[:, 1] == np.round(faithful[:, 1]))          # whole minutes
    np.testing.assert_allclose(faithful[:, 0] * 1000, np.round(faithful[:, 0] * 1000), atol=1e-9)
    assert len(data.OLD_FAITHFUL_COLUMNS) == faithful.shape[1] == 2


def test_old_faithful_returns_a_fresh_array(faithful):
    X = data.old_faithful()
    X[0, 0] = -1.0
    assert data.old_faithful()[0, 0] == 3.6


def test_shipped_file_matches_the_checksum_in_its_readme():
    readme = (DATASETS / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"sha256 of `old_faithful.csv`: ([0-9a-f]{64})", readme).group(1)
    raw = (DATASETS / "old_faithful.csv").read_bytes().replace(b"\r\n", b"\n")  # autocrlf-proof
    assert hashlib.sha256(raw).hexdigest() == recorded
    assert raw.startswith(b"eruptions,waiting\n3.600,79\n")


# ----------------------------------------------------------------------------------------
# standardize
# ----------------------------------------------------------------------------------------
def test_standardize_by_hand():
    Z, center, scale = data.standardize([[0.0, 10.0], [2.0, 30.0]])
    np.testing.assert_array_equal(center, [1.0, 20.0])
    np.testing.assert_array_equal(scale, [1.0, 10.0])     # population std: sqrt(((-1)^2 + 1^2) / 2)
    np.testing.assert_array_equal(Z, [[-1.0, -1.0], [1.0, 1.0]])


@pytest.mark.parametrize("seed", range(3))
def test_standardize_gives_zero_mean_unit_std(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 4)) * [1e-3, 1.0, 1e3, 1e6] + [5.0, -2.0, 1e4, 3e7]
    Z, center, scale = data.standardize(X)
    # x_i - c is rounded to ~eps |x|, so z_i carries an error of ~eps |x| / s (about 1e-12
    # for the first feature, whose values 5 +- 0.001 have |x| / s ~ 5000).
    rounding = 16 * np.finfo(float).eps * np.abs(X).max(axis=0) / X.std(axis=0)
    assert np.all(np.abs(Z.mean(axis=0)) <= rounding)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(center + scale * Z, X, rtol=1e-12)


def test_standardize_old_faithful(faithful):
    Z, center, scale = data.standardize(faithful)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)
    # Population standard deviations, by hand: sqrt(mean of squared deviations).
    by_hand = np.sqrt(((faithful - faithful.mean(axis=0)) ** 2).sum(axis=0) / len(faithful))
    np.testing.assert_allclose(scale, by_hand, rtol=1e-13)


# ----------------------------------------------------------------------------------------
# unstandardize
# ----------------------------------------------------------------------------------------
def test_unstandardize_by_hand():
    params = GMM([1.0], [[1.0, -1.0]], [[[1.0, 0.5], [0.5, 2.0]]])
    back = data.unstandardize(params, center=[10.0, 20.0], scale=[2.0, 3.0])
    np.testing.assert_array_equal(back.weights, [1.0])
    np.testing.assert_array_equal(back.means, [[12.0, 17.0]])          # 10 + 2 * 1, 20 + 3 * -1
    # D Sigma D: [[2*2*1, 2*3*0.5], [3*2*0.5, 3*3*2]]
    np.testing.assert_array_equal(back.covariances, [[[4.0, 3.0], [3.0, 18.0]]])


@pytest.mark.parametrize("kind, scale, expected", [
    ("full", [2.0, 3.0], "full"), ("tied", [2.0, 3.0], "tied"), ("diag", [2.0, 3.0], "diag"),
    ("spherical", [2.0, 3.0], "diag"), ("spherical", [3.0, 3.0], "spherical"),
])
def test_unstandardize_keeps_the_covariance_structure_and_bic_counts_it(faithful, kind, scale, expected):
    # A fit of each structure on Z = (X - c) / s, mapped back to X: the structure is kept (a
    # spherical one becomes diagonal when the features' scales differ), and BIC in X's units
    # counts that structure's parameters: -2 log p(X) by scipy plus p log n, p counted by hand.
    Z = (faithful - [3.5, 70.0]) / np.array(scale)
    params = emlib.fit(Z, 2, rng=0, covariance_type=kind).params
    back = data.unstandardize(params, [3.5, 70.0], scale)
    assert back.covariance_type == expected
    n, (k, d) = len(faithful), params.means.shape
    p = (k - 1) + k * d + {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d,
                           "spherical": k}[expected]
    log_joint = np.column_stack([np.log(w) + multivariate_normal.logpdf(faithful, m, S)
                                 for w, m, S in zip(back.weights, back.means, back.covariances)])
    by_hand = -2 * logsumexp(log_joint, axis=1).sum() + p * np.log(n)
    np.testing.assert_allclose(selection.bic(faithful, back), by_hand, rtol=1e-10)


@pytest.fixture(scope="module")
def faithful_fit(faithful):
    """A two-component fit on standardised Old Faithful (reg_covar=0: a plain M-step output)."""
    Z, center, scale = data.standardize(faithful)
    result = emlib.fit(Z, 2, rng=0, tol=1e-10, max_iter=500)
    return Z, center, scale, result.params


def test_unstandardize_log_likelihood_differs_by_the_jacobian(faithful, faithful_fit):
    Z, center, scale, params = faithful_fit
    back = data.unstandardize(params, center, scale)
    # log p(X) by scipy, in the original units, for the mapped parameters.
    log_joint = np.column_stack([
        np.log(w) + multivariate_normal.logpdf(faithful, m, S)
        for w, m, S in zip(back.weights, back.means, back.covariances)
    ])
    loglik_x = logsumexp(log_joint, axis=1).sum()
    # Change of variables x = c + D z: p_X(x) = p_Z(z) / |det D|, det D = prod_f s_f,
    # so summing over n points: log p(X) = log p(Z) - n sum_f log s_f.
    n = len(faithful)
    jacobian = n * np.log(faithful.std(axis=0)).sum()
    np.testing.assert_allclose(loglik_x, emlib.log_likelihood(Z, params) - jacobian, rtol=1e-10)


def test_unstandardize_keeps_the_m_step_moment_identities(faithful, faithful_fit):
    # Any M-step output (reg_covar = 0) reproduces the data's mean and covariance: since each
    # row of gamma sums to 1,   sum_j pi_j mu_j = (1/n) sum_i x_i   and
    # sum_j pi_j (Sigma_j + mu_j mu_j^T) = (1/n) sum_i x_i x_i^T.  The affine map must carry
    # these over from Z to X exactly, off-diagonal (the correlation) included.
    Z, center, scale, params = faithful_fit
    back = data.unstandardize(params, center, scale)
    mean = back.weights @ back.means
    second = np.einsum("j,jab->ab", back.weights,
                       back.covariances + np.einsum("ja,jb->jab", back.means, back.means))
    np.testing.assert_allclose(mean, faithful.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(second - np.outer(mean, mean), np.cov(faithful, rowvar=False, bias=True),
                               rtol=1e-8)


def test_em_on_z_then_unstandardize_equals_em_on_x(faithful):
    # EM commutes with x = c + D z: start EM on X from the start on Z mapped by hand.
    Z, center, scale = data.standardize(faithful)
    start = emlib.init_kmeanspp(Z, 2, rng=1)
    D = np.diag(faithful.std(axis=0))
    start_x = GMM(start.weights, faithful.mean(axis=0) + start.means @ D,
                  np.array([D @ S @ D for S in start.covariances]))
    on_z = emlib.fit(Z, start, tol=0, max_iter=30).params
    on_x = emlib.fit(faithful, start_x, tol=0, max_iter=30).params
    back = data.unstandardize(on_z, center, scale)
    np.testing.assert_allclose(back.weights, on_x.weights, rtol=1e-8)
    np.testing.assert_allclose(back.means, on_x.means, rtol=1e-8)
    np.testing.assert_allclose(back.covariances, on_x.covariances, rtol=1e-8)


# ----------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("X, error, words", [
    ([[1.0, 2.0], [1.0, 3.0], [1.0, 4.0]], ValueError, r"X\[:, 0\] is constant"),
    ([[0.1, 2.0], [0.1, 3.0]], ValueError, r"X\[:, 0\] is constant"),
    ([[1.0, 2.0]], ValueError, "constant"),                       # one point: nothing varies
    ([1.0, 2.0, 3.0], ValueError, "2-D"),
    ([[1.0, np.nan], [2.0, 3.0]], ValueError, "NaN"),
    ([["a", "b"], ["c", "d"]], TypeError, "real numbers"),
])
def test_standardize_refuses_bad_input(X, error, words):
    with pytest.raises(error, match=words):
        data.standardize(X)


@pytest.mark.parametrize("params, center, scale, error, words", [
    ("not a GMM", [0, 0], [1, 1], TypeError, "params"),
    (None, [0, 0, 0], [1, 1], ValueError, r"center must have shape \(d,\) = \(2,\)"),
    (None, [0, 0], [[1, 1]], ValueError, "scale must have shape"),
    (None, [0, 0], [1, 0], ValueError, r"scale must be positive.*scale\[1\]"),
    (None, [0, 0], [-1, 1], ValueError, r"scale\[0\]"),
    (None, [0, np.inf], [1, 1], ValueError, "center contains NaN or infinite"),
    (None, [0, 0], ["1", "1"], TypeError, "scale must hold real numbers"),
])
def test_unstandardize_refuses_bad_input(params, center, scale, error, words):
    params = GMM([1.0], [[0.0, 0.0]], [np.eye(2)]) if params is None else params
    with pytest.raises(error, match=words):
        data.unstandardize(params, center, scale)
