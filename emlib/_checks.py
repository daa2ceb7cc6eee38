"""Input checks shared by the public functions: every check runs before any arithmetic.

Each function either returns a clean float64 array or raises a ``ValueError`` / ``TypeError``
whose message names the argument and says what was wrong with it.
"""
import numbers

import numpy as np


def as_float_array(value, name):
    """Convert ``value`` to a float64 array, refusing non-numeric data with a TypeError."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers, but has dtype {arr.dtype} "
            f"(first value: {arr.flat[0]!r})" if arr.size else
            f"{name} must hold real numbers, but has dtype {arr.dtype}"
        )
    return np.asarray(arr, dtype=np.float64)


def check_finite(arr, name):
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = ", ".join(str(i) for i in bad)
        raise ValueError(
            f"{name} contains NaN or infinite values (first at index [{where}]: {arr[tuple(bad)]})"
        )


def check_data(X, name="X"):
    """A finite, non-empty (n, d) float array."""
    X = as_float_array(X, name)
    if X.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D with shape (n, d), but is 1-D with shape {X.shape}; "
            f"for one-dimensional data use {name}[:, None] (shape (n, 1))"
        )
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (n, d), but has shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has no points (shape {X.shape})")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {X.shape})")
    check_finite(X, name)
    return np.ascontiguousarray(X)


def check_params(params, name="params"):
    from .gmm import GMM

    if not isinstance(params, GMM):
        raise TypeError(f"{name} must be an emlib.GMM, not {type(params).__name__}")
    return params


def check_data_matches(X, params, x_name="X", p_name="params"):
    if X.shape[1] != params.d:
        raise ValueError(
            f"{x_name} has d={X.shape[1]} features per point but {p_name} has d={params.d}"
        )


def check_enough_points(n, k, x_name="X"):
    if n < k:
        raise ValueError(f"{x_name} has {n} points, fewer than the k={k} components to fit")


def check_number(value, name, *, minimum, strict=False, integer=False):
    """A real (or integer) scalar >= minimum (> minimum when strict)."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {what}, not {type(value).__name__} ({value!r})")
    if not integer and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < minimum or (strict and value == minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
    return value


def check_responsibilities(resp, n, name="resp"):
    """An (n, k) array of numbers in [0, 1] whose rows sum to 1."""
    resp = as_float_array(resp, name)
    if resp.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (n, k), but has shape {resp.shape}")
    if resp.shape[0] != n:
        raise ValueError(f"{name} has {resp.shape[0]} rows but X has n={n} points")
    if resp.shape[1] == 0:
        raise ValueError(f"{name} has no columns: there must be at least one component")
    check_finite(resp, name)
    if resp.min() < 0 or resp.max() > 1:
        raise ValueError(f"{name} must lie in [0, 1]; found values in [{resp.min():.4g}, {resp.max():.4g}]")
    row_sums = resp.sum(axis=1)
    worst = np.argmax(np.abs(row_sums - 1))
    if abs(row_sums[worst] - 1) > 1e-8:
        raise ValueError(
            f"each row of {name} must sum to 1 (responsibilities of one point); "
            f"row {worst} sums to {row_sums[worst]:.6g}"
        )
    return resp
