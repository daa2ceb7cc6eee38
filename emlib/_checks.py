"""Input checks shared by the public functions: every check runs before any arithmetic.

Each function either returns a clean float64 array (or number) or raises a ``ValueError`` /
``TypeError`` whose message names the argument and says what was wrong with it.

Tolerances follow the input's precision: a float32 array of weights is accepted when it sums to
1 as closely as float32 rounding allows (see `rounding_tolerance`); everything is then computed
in float64.
"""
from contextlib import contextmanager
import numbers

import numpy as np

FLOAT64 = np.finfo(np.float64)


def real_array(value, name):
    """``value`` as a numpy array of real numbers, in its own precision (no conversion yet).

    A Python number of any real type (fractions.Fraction, say) is read as a float.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, (int, float, np.generic)):
        value = _as_float(value, name)
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
    return arr


def as_float_array(value, name):
    """``value`` as a float64 array, refusing non-numeric data (TypeError) and, for extended
    precision input, finite values beyond the float64 range (ValueError, not numpy's warning)."""
    return to_float64(real_array(value, name), name)


def to_float64(arr, name):
    """A real array (from `real_array`) as float64, refusing by name what float64 cannot hold."""
    if arr.dtype.kind != "f" or arr.dtype.itemsize <= 8:
        return np.asarray(arr, dtype=np.float64)           # exact for float16/32 and small ints
    with np.errstate(over="ignore", under="ignore"):
        out = arr.astype(np.float64)
    beyond = np.isinf(out) & np.isfinite(arr)
    if beyond.any():
        where = tuple(np.argwhere(beyond)[0])
        raise ValueError(
            f"{name} has values beyond the float64 range (|value| > {FLOAT64.max:.3g}), e.g. "
            f"{str(arr[where])} at index [{', '.join(str(int(i)) for i in where)}]; rescale {name}"
        )
    return out


def rounding_tolerance(dtype):
    """How far a quantity that should be exact (a sum of weights equal to 1, a symmetric matrix)
    may miss, for values given in ``dtype``: sqrt(eps), half of its digits.

    1.5e-8 for float64 (and integers, which are converted to float64), 3.5e-4 for float32.
    Rounding at that precision leaves errors of a few eps, far inside; a real mistake (weights
    summing to 1.001) is far outside.  Never finer than float64's, the precision we compute in.
    """
    eps = np.finfo(dtype).eps if np.dtype(dtype).kind == "f" else FLOAT64.eps
    return float(np.sqrt(max(eps, FLOAT64.eps)))


def describe_miss(value, target, tol):
    """'1.0000000149011612 (off by 1.5e-08, more than the 1.5e-08 allowed)': enough digits to
    see that ``value`` is not ``target``."""
    return f"{float(value)!r} (off by {abs(value - target):.2g}, more than the {tol:.2g} allowed)"


def check_finite(arr, name):
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = ", ".join(str(i) for i in bad)
        raise ValueError(
            f"{name} contains NaN or infinite values (first at index [{where}]: {arr[tuple(bad)]})"
        )


def check_data(X, name="X"):
    """A finite, non-empty (n, d) float array."""
    X = real_array(X, name)
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
    check_finite(X, name)                                  # in X's own precision: no false alarm
    return np.ascontiguousarray(to_float64(X, name))


def check_spread(X, name="X"):
    """Data that EM can fit in float64: the squared deviations of each feature must neither
    overflow (beyond 1.8e308) nor underflow (below 2.2e-308, where variances lose their digits).

    X: (n, d), already checked.  A constant feature (spread 0) passes: that is a collapse, or a
    singular covariance, named where it happens.
    """
    low, high = X.min(axis=0), X.max(axis=0)
    with np.errstate(over="ignore"):
        spread = high - low                                 # inf if it overflows
        squares = spread**2
    for f in np.flatnonzero(~np.isfinite(squares)):
        raise ValueError(
            f"{name} has values spread so widely ({name}[:, {f}] runs from {low[f]:.3g} to {high[f]:.3g}) that their "
            f"squared deviations overflow (beyond {FLOAT64.max:.3g}); rescale {name}"
        )
    for f in np.flatnonzero((spread > 0) & (squares < FLOAT64.tiny)):
        raise ValueError(
            f"{name} has values so close together ({name}[:, {f}] spans only {spread[f]:.3g}) that "
            f"their squared deviations underflow (below {FLOAT64.tiny:.3g}) and variances lose "
            f"their digits; rescale {name} (e.g. emlib.data.standardize)"
        )


def check_weights(weights, name="weights"):
    """Mixing weights pi (k,), k >= 1: finite, positive, summing to 1 to the precision given."""
    given = real_array(weights, name)
    w = to_float64(given, name)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"{name} must have shape (k,) with k >= 1, but has shape {w.shape}")
    check_finite(w, name)
    if np.any(w <= 0):
        j = int(np.argmin(w))
        raise ValueError(f"{name} must be positive; {name}[{j}] = {w[j]:.6g}")
    tol = rounding_tolerance(given.dtype)
    if abs(w.sum() - 1) > tol:
        raise ValueError(f"{name} must sum to 1, but sum to {describe_miss(w.sum(), 1, tol)}")
    return w


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
    """A real (or integer) scalar >= minimum (> minimum when strict), returned as a float (int).

    Any real number is accepted (numpy scalars, fractions.Fraction, ...), but not bool.
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {what}, not {type(value).__name__} ({value!r})")
    value = int(value) if integer else _as_float(value, name)
    if not integer and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < minimum or (strict and value == minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
    return value


def _as_float(value, name):
    try:
        return float(value)
    except OverflowError:                                   # float(10**400)
        raise ValueError(f"{name} is beyond the float64 range (|{name}| > {FLOAT64.max:.3g})") from None


def check_responsibilities(resp, n, name="resp"):
    """An (n, k) array of numbers in [0, 1] whose rows sum to 1 (to the precision of resp)."""
    resp = real_array(resp, name)
    tol = rounding_tolerance(resp.dtype)
    resp = to_float64(resp, name)
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
    if abs(row_sums[worst] - 1) > tol:
        raise ValueError(
            f"each row of {name} must sum to 1 (responsibilities of one point); "
            f"row {worst} sums to {describe_miss(row_sums[worst], 1, tol)}"
        )
    return resp


@contextmanager
def memory_for(name, value, what):
    """Turn numpy's MemoryError while allocating ``what`` into a ValueError naming the argument."""
    try:
        yield
    except MemoryError:
        raise ValueError(
            f"{name}={value} is too large: {what} would need more memory than is available"
        ) from None
