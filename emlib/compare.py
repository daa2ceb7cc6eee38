"""Comparing two mixtures: the same solution may list its components in another order."""
import numpy as np
from scipy.optimize import linear_sum_assignment

from ._checks import check_params


def match_components(params, reference):
    """The order of params' components that best matches reference's (label switching).

    order = argmin over permutations s of  sum_j ||mu_{s(j)} - mu^ref_j||^2
    (solved exactly by the Hungarian algorithm, scipy.optimize.linear_sum_assignment).

    params, reference: GMMs with the same k and d.  Returns order (k,): params.permuted(order)
    lists its components in reference's order.
    """
    params = check_params(params, "params")
    reference = check_params(reference, "reference")
    if (params.k, params.d) != (reference.k, reference.d):
        raise ValueError(
            f"params has (k, d) = ({params.k}, {params.d}) but reference has ({reference.k}, {reference.d})"
        )
    cost = ((reference.means[:, None, :] - params.means[None, :, :]) ** 2).sum(axis=2)
    _, order = linear_sum_assignment(cost)
    return order


def align(params, reference):
    """params with its components reordered to match reference's (see match_components)."""
    return params.permuted(match_components(params, reference))


def max_difference(a, b):
    """Largest absolute difference between two mixtures' weights, means and covariances,
    after aligning b's components with a's."""
    b = align(b, a)
    return max(np.abs(a.weights - b.weights).max(), np.abs(a.means - b.means).max(),
               np.abs(a.covariances - b.covariances).max())
