"""The parameters of a Gaussian mixture, as one immutable, validated value."""
import numpy as np

from ._checks import as_float_array, check_finite, check_weights, real_array, rounding_tolerance, to_float64
from .covariance import MCLUST_NAMES, check_covariance_type, check_structure


def _fmt(arr):
    return np.array2string(arr, precision=4, suppress_small=True, separator=", ", floatmode="fixed")


class GMM:
    """The parameters theta = (pi, mu, Sigma) of a Gaussian mixture.

    p(x | theta) = sum_j pi_j N(x | mu_j, Sigma_j)                      (the mixture density)

    weights pi: (k,), positive, summing to 1.  means mu: (k, d).
    covariances Sigma: (k, d, d), each symmetric positive definite.
    covariance_type: the structure the covariances have, "full" (any), "tied" (all equal),
    "diag" (diagonal) or "spherical" (sigma_j^2 I); mclust's VVV, EEE, VVI, VII (see
    `emlib.covariance`).  Whatever the type, the covariances are k full (d, d) matrices; the
    type is checked against them and says how many parameters they hold
    (`emlib.selection.n_parameters`) and which M-step `emlib.fit` runs from this start.

    The value is checked once, here, and cannot be changed afterwards (its arrays are
    read-only).  ``cholesky`` holds the lower-triangular factors L_j with Sigma_j = L_j L_j^T,
    computed by the check and reused by every density evaluation.

    Any real dtype is accepted and stored as float64; "sums to 1", "symmetric" and the structure
    ("0 off the diagonal", "all equal") are judged to the precision of the arrays given
    (`emlib._checks.rounding_tolerance`: 1.5e-8 for float64, 3.5e-4 for float32), so parameters
    computed in float32 are welcome.
    """

    __slots__ = ("_weights", "_means", "_covariances", "_cholesky", "_covariance_type")

    def __init__(self, weights, means, covariances, covariance_type="full"):
        covariance_type = check_covariance_type(covariance_type)
        w = check_weights(weights)
        given = real_array(covariances, "covariances")
        mu, cov = as_float_array(means, "means"), to_float64(given, "covariances")
        k = w.size
        if mu.ndim != 2 or mu.shape[0] != k or mu.shape[1] == 0:
            raise ValueError(f"means must have shape (k, d) = ({k}, d), but has shape {mu.shape}")
        d = mu.shape[1]
        if cov.shape != (k, d, d):
            raise ValueError(
                f"covariances must have shape (k, d, d) = ({k}, {d}, {d}), but has shape {cov.shape}"
            )
        check_finite(mu, "means")
        check_finite(cov, "covariances")
        check_structure(cov, covariance_type, rounding_tolerance(given.dtype))
        chol = _cholesky_factors(cov, "covariances", rounding_tolerance(given.dtype))
        self._store(w, mu, cov, chol, covariance_type)

    @classmethod
    def _valid(cls, weights, means, covariances, cholesky, covariance_type):
        """A GMM from float64 arrays that are valid by construction, with their Cholesky
        factors, skipping the checks: for the M-step, which builds one per iteration from
        weights N_j / n > 0, finite means and covariances of the structure covariance_type
        that it has factorised itself."""
        params = object.__new__(cls)
        params._store(weights, means, covariances, cholesky, covariance_type)
        return params

    def _store(self, weights, means, covariances, cholesky, covariance_type):
        for name, arr in (("weights", weights), ("means", means), ("covariances", covariances),
                          ("cholesky", cholesky)):
            object.__setattr__(self, "_" + name, _frozen(arr))
        object.__setattr__(self, "_covariance_type", covariance_type)

    def __setattr__(self, name, value):
        raise AttributeError("GMM is immutable: build a new one instead")

    def __delattr__(self, name):
        raise AttributeError("GMM is immutable: build a new one instead")

    def __reduce__(self):
        """Copies and pickles go through the constructor: checked again, read-only again."""
        return GMM, (self.weights, self.means, self.covariances, self.covariance_type)

    weights = property(lambda self: self._weights, doc="pi: (k,) mixing weights.")
    means = property(lambda self: self._means, doc="mu: (k, d) component means.")
    covariances = property(lambda self: self._covariances, doc="Sigma: (k, d, d) covariances.")
    cholesky = property(lambda self: self._cholesky, doc="L: (k, d, d), Sigma_j = L_j L_j^T.")
    covariance_type = property(lambda self: self._covariance_type,
                               doc='The structure: "full", "tied", "diag" or "spherical".')
    k = property(lambda self: self._weights.size, doc="Number of components.")
    d = property(lambda self: self._means.shape[1], doc="Dimension of the data.")

    def permuted(self, order):
        """The same mixture with its components listed in ``order`` (label switching).

        order: a permutation of 0..k-1 (integers); component j of the result is component
        order[j] of this mixture.
        """
        if isinstance(order, (str, bytes)) or not np.iterable(order):
            raise TypeError(f"order must be a sequence of integers (a permutation of 0..{self.k - 1}), "
                            f"not {type(order).__name__} ({order!r})")
        order = np.asarray(order)
        if order.size and (order.dtype == bool or order.dtype.kind not in "iu"):
            raise TypeError(f"order must hold integers (a permutation of 0..{self.k - 1}), "
                            f"but has dtype {order.dtype}: {order.tolist()}")
        if order.shape != (self.k,) or sorted(order.tolist()) != list(range(self.k)):
            raise ValueError(f"order must be a permutation of 0..{self.k - 1}, got {order.tolist()}")
        return GMM(self.weights[order], self.means[order], self.covariances[order], self.covariance_type)

    def __repr__(self):
        def field(name, arr):
            lines = _fmt(arr).split("\n")
            pad = "\n" + " " * (5 + len(name))
            return f"    {name}=" + pad.join(lines).replace(pad + "\n", "\n")

        fields = ",\n".join(field(name, getattr(self, name)) for name in ("weights", "means", "covariances"))
        structure = ("" if self.covariance_type == "full" else
                     f", covariance_type={self.covariance_type!r} ({MCLUST_NAMES[self.covariance_type]})")
        return f"GMM(k={self.k}, d={self.d}{structure},\n{fields})"


def _frozen(arr):
    """A read-only copy that cannot be made writeable again (a view of a read-only base)."""
    base = np.array(arr, dtype=np.float64, order="C")
    base.setflags(write=False)
    return base.view()


def _cholesky_factors(cov, name, tol):
    """Lower Cholesky factors of a stack of covariances, with a named error if one is not
    symmetric (|Sigma - Sigma^T| beyond tol times its largest entry) or not positive definite."""
    with np.errstate(over="ignore"):                       # 1e308 - (-1e308): inf, not symmetric
        asymmetry = np.abs(cov - cov.transpose(0, 2, 1)).max(axis=(1, 2))
    for j in np.flatnonzero(~(asymmetry <= tol * np.abs(cov).max(axis=(1, 2)))):
        raise ValueError(f"{name}[{j}] is not symmetric: {name}[{j}] != {name}[{j}].T "
                         f"(they differ by up to {asymmetry[j]:.3g})")
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        smallest = np.linalg.eigvalsh(cov).min(axis=1)
        j = int(np.argmin(smallest))
        raise ValueError(
            f"{name}[{j}] is not positive definite (smallest eigenvalue {smallest[j]:.3g})"
        ) from None
