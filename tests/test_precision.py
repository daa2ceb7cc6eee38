"""Tolerances follow the input's precision: parameters and responsibilities computed in float32
are accepted (and computed with in float64); real mistakes are still refused, with enough
digits to see them."""
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import emlib
from emlib import GMM
from emlib.data import old_faithful

X = old_faithful()
TRUTH = GMM([0.36, 0.64], [[2.04, 54.5], [4.29, 80.0]],
            [[[0.07, 0.44], [0.44, 33.7]], [[0.17, 0.94], [0.94, 36.0]]])


def float32_covariance(seed, d=3):
    """A covariance computed in float32 (Q diag(s) Q^T): asymmetric by float32 rounding."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    Q, s = Q.astype(np.float32), rng.uniform(0.5, 2.0, d).astype(np.float32)
    return (Q * s) @ Q.T


def test_float32_weights_that_sum_to_1_in_float32_are_accepted():
    # float32(0.1) = 0.100000001490116...: ten of them sum to 1.0000000149 in float64.
    weights = np.full(10, 0.1, dtype=np.float32)
    assert abs(weights.astype(float).sum() - 1) > 1e-8            # the old tolerance refused this
    params = GMM(weights, np.zeros((10, 2)), np.tile(np.eye(2), (10, 1, 1)))
    assert params.weights.dtype == np.float64
    np.testing.assert_array_equal(params.weights, weights.astype(np.float64))


@pytest.mark.parametrize("dtype, total", [(np.float32, 1.001), (np.float64, 1 + 1e-6)])
def test_weights_that_miss_1_beyond_their_precision_are_refused(dtype, total):
    weights = np.array([0.5, total - 0.5], dtype=dtype)
    with pytest.raises(ValueError, match=r"weights must sum to 1, but sum to 1\.00\d+ \(off by"):
        GMM(weights, np.zeros((2, 2)), np.tile(np.eye(2), (2, 1, 1)))


def test_float32_covariances_are_accepted_and_give_scipys_densities():
    covs = np.stack([float32_covariance(seed) for seed in range(4)])
    asymmetry = np.abs(covs - covs.transpose(0, 2, 1)).max() / np.abs(covs).max()
    assert asymmetry > 1e-10                                      # the old tolerance refused this
    params = GMM(np.full(4, 0.25), np.zeros((4, 3)), covs)
    points = np.random.default_rng(0).standard_normal((20, 3))
    expected = np.column_stack([
        multivariate_normal.logpdf(points, np.zeros(3), 0.5 * (c + c.T)) for c in covs.astype(np.float64)
    ])
    np.testing.assert_allclose(emlib.log_densities(points, params), expected, rtol=1e-6)   # float32's digits


def test_float32_covariance_that_is_really_asymmetric_is_refused():
    cov = np.array([[1.0, 0.5], [0.499, 1.0]], dtype=np.float32)
    with pytest.raises(ValueError, match=r"covariances\[1\] is not symmetric"):
        GMM([0.5, 0.5], np.zeros((2, 2)), np.stack([np.eye(2, dtype=np.float32), cov]))


def float32_responsibilities():
    resp = emlib.e_step(X, TRUTH)[0].astype(np.float32)
    assert np.abs(resp.astype(float).sum(axis=1) - 1).max() > 1e-8   # the old tolerance refused this
    return resp


def test_m_step_accepts_float32_responsibilities():
    resp = float32_responsibilities()
    params = emlib.m_step(X, resp)
    r = resp.astype(np.float64)                      # the same numbers, weighted moments by numpy
    for j in range(2):
        np.testing.assert_allclose(params.means[j], np.average(X, axis=0, weights=r[:, j]), rtol=1e-13)
        np.testing.assert_allclose(params.covariances[j], np.cov(X, rowvar=False, aweights=r[:, j], bias=True),
                                   rtol=1e-12)
    np.testing.assert_allclose(params.weights, r.sum(axis=0) / r.sum(), rtol=1e-13)


def test_lower_bound_accepts_float32_responsibilities():
    resp = float32_responsibilities().astype(np.float64)
    a = np.log(TRUTH.weights) + np.column_stack([
        multivariate_normal.logpdf(X, m, c) for m, c in zip(TRUTH.means, TRUTH.covariances)])
    expected = np.sum(resp * (a - np.log(resp)))
    assert emlib.lower_bound(X, TRUTH, resp.astype(np.float32)) == pytest.approx(expected, rel=1e-12)
    assert emlib.lower_bound(X, TRUTH, resp.astype(np.float32)) <= logsumexp(a, axis=1).sum()


def test_a_row_that_does_not_sum_to_1_is_shown_with_enough_digits():
    # The audit: "row 16 sums to 1" (6 digits) contradicted the refusal.
    resp = np.full((272, 2), 0.5)
    resp[16, 1] += 2e-8
    with pytest.raises(ValueError, match=r"row 16 sums to 1\.0000000(2|19)\d* \(off by 2e-08, more than the 1\.5e-08 allowed\)"):
        emlib.m_step(X, resp)
    resp[16, 1] = 0.5 + 1e-9                          # within float64 rounding of a computation
    emlib.m_step(X, resp)
