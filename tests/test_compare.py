"""emlib.compare: matching components across fits (label switching)."""
import numpy as np
import pytest

from emlib import GMM, compare
from emlib.data import seed_true_params

TRUE = seed_true_params()


def shuffled(order, shift=0.1):
    covs = TRUE.covariances * np.array([1.0, 2.0, 3.0])[:, None, None]
    reference = GMM(TRUE.weights, TRUE.means, covs)
    return reference, GMM(TRUE.weights[order], TRUE.means[order] + shift, covs[order])


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 0, 1], [1, 0, 2], [2, 1, 0]])
def test_match_components_undoes_a_permutation(order):
    reference, other = shuffled(order)
    aligned = other.permuted(compare.match_components(other, reference))
    np.testing.assert_allclose(aligned.means, reference.means + 0.1)
    np.testing.assert_array_equal(aligned.covariances, reference.covariances)
    np.testing.assert_array_equal(compare.align(other, reference).means, aligned.means)


def test_max_difference_is_taken_after_matching():
    reference, other = shuffled([2, 0, 1], shift=0.25)
    # by hand: weights equal, means shifted by 0.25, covariances equal once matched
    assert compare.max_difference(reference, other) == pytest.approx(0.25)


def test_mismatched_mixtures_are_refused():
    two = GMM([0.5, 0.5], TRUE.means[:2], TRUE.covariances[:2])
    with pytest.raises(ValueError, match=r"params has \(k, d\) = \(2, 2\) but reference has \(3, 2\)"):
        compare.match_components(two, TRUE)
    with pytest.raises(TypeError, match="reference must be an emlib.GMM"):
        compare.match_components(TRUE, "TRUE")
