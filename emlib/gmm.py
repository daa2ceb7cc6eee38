"""The parameters of a Gaussian mixture, as one immutable, validated value."""
import numpy as np

from ._checks import as_float_array, check_finite

#: How far the weights may sum from 1 (rounding in the M-step is ~1e-16).
WEIGHT_SUM_TOL = 1e-8
#: Largest asymmetry |Sigma - Sigma^T| accepted, relative to the largest entry of Sigma.
SYMMETRY_TOL = 1e-10


def _fmt(arr):
    return np.array2string(arr, precision=4, suppress_small=True, separator=", ", floatmode="fixed")


class GMM:
    """The parameters theta = (pi, mu, Sigma) of a Gaussian mixture.

    p(x | theta) = sum_j pi_j N(x | mu_j, Sigma_j)                      (the mixture density)

    weights pi: (k,), positive, summing to 1.  means mu: (k, d).
    covariances Sigma: (k, d, d), each symmetric positive definite.

    The value is checked once, here, and cannot be changed afterwards (its arrays are
    read-only).  ``cholesky`` holds the lower-triangular factors L_j with
    Sigma_j = L_j L_j^T, computed by the check and reused by every density evaluation.
    """

    __slots__ = ("_weights", "_means", "_covariances", "_cholesky")

    def __init__(self, weights, means, covariances):
        w = as_float_array(weights, "weights")
        mu = as_float_array(means, "means")
        cov = as_float_array(covariances, "covariances")
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"weights must have shape (k,) with k >= 1, but has shape {w.shape}")
        k = w.size
        if mu.ndim != 2 or mu.shape[0] != k or mu.shape[1] == 0:
            raise ValueError(f"means must have shape (k, d) = ({k}, d), but has shape {mu.shape}")
        d = mu.shape[1]
        if cov.shape != (k, d, d):
            raise ValueError(
                f"covariances must have shape (k, d, d) = ({k}, {d}, {d}), but has shape {cov.shape}"
            )
        for name, arr in (("weights", w), ("means", mu), ("covariances", cov)):
            check_finite(arr, name)
        if np.any(w <= 0):
            j = int(np.argmin(w))
            raise ValueError(f"weights must be positive; weights[{j}] = {w[j]:.6g}")
        if abs(w.sum() - 1) > WEIGHT_SUM_TOL:
            raise ValueError(f"weights must sum to 1, but sum to {w.sum():.10g}")
        chol = _cholesky_factors(cov, "covariances")
        for name, arr in (("weights", w), ("means", mu), ("covariances", cov), ("cholesky", chol)):
            object.__setattr__(self, "_" + name, _frozen(arr))

    def __setattr__(self, name, value):
        raise AttributeError("GMM is immutable: build a new one instead")

    def __delattr__(self, name):
        raise AttributeError("GMM is immutable: build a new one instead")

    def __reduce__(self):
        """Copies and pickles go through the constructor: checked again, read-only again."""
        return GMM, (self.weights, self.means, self.covariances)

    weights = property(lambda self: self._weights, doc="pi: (k,) mixing weights.")
    means = property(lambda self: self._means, doc="mu: (k, d) component means.")
    covariances = property(lambda self: self._covariances, doc="Sigma: (k, d, d) covariances.")
    cholesky = property(lambda self: self._cholesky, doc="L: (k, d, d), Sigma_j = L_j L_j^T.")
    k = property(lambda self: self._weights.size, doc="Number of components.")
    d = property(lambda self: self._means.shape[1], doc="Dimension of the data.")

    def permuted(self, order):
        """The same mixture with its components listed in ``order`` (label switching)."""
        order = np.asarray(order)
        if sorted(order.tolist()) != list(range(self.k)):
            raise ValueError(f"order must be a permutation of 0..{self.k - 1}, got {order.tolist()}")
        return GMM(self.weights[order], self.means[order], self.covariances[order])

    def __repr__(self):
        def field(name, arr):
            lines = _fmt(arr).split("\n")
            pad = "\n" + " " * (5 + len(name))
            return f"    {name}=" + pad.join(lines).replace(pad + "\n", "\n")

        fields = ",\n".join(field(name, getattr(self, name)) for name in ("weights", "means", "covariances"))
        return f"GMM(k={self.k}, d={self.d},\n{fields})"


def _frozen(arr):
    """A read-only copy that cannot be made writeable again (a view of a read-only base)."""
    base = np.array(arr, dtype=np.float64, order="C")
    base.setflags(write=False)
    return base.view()


def _cholesky_factors(cov, name):
    """Lower Cholesky factors of a stack of covariances, with a named error if one is not SPD."""
    asymmetry = np.abs(cov - cov.transpose(0, 2, 1)).max(axis=(1, 2))
    for j in np.flatnonzero(asymmetry > SYMMETRY_TOL * np.abs(cov).max(axis=(1, 2))):
        raise ValueError(f"{name}[{j}] is not symmetric: {name}[{j}] != {name}[{j}].T")
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        smallest = np.linalg.eigvalsh(cov).min(axis=1)
        j = int(np.argmin(smallest))
        raise ValueError(
            f"{name}[{j}] is not positive definite (smallest eigenvalue {smallest[j]:.3g})"
        ) from None
