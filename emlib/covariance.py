"""Covariance structures: which covariances a mixture may have, and the M-step's update for each.

A Gaussian mixture's k covariances may be left free or constrained.  The four structures here
carry scikit-learn's names (`GaussianMixture(covariance_type=...)`) and mclust's, which read
volume, shape and orientation of the ellipsoids: E equal for every component, V varying, I the
identity (Banfield & Raftery 1993, Biometrics 49:803-821; Celeux & Govaert 1995, Pattern
Recognition 28:781-793; Fraley & Raftery 2002, JASA 97:611-631):

    type         mclust  Sigma_j                               free covariance parameters
    "full"       VVV     any symmetric positive definite        k d (d + 1) / 2
    "tied"       EEE     one matrix Sigma shared by all j       d (d + 1) / 2
    "diag"       VVI     diag(sigma_j1^2, ..., sigma_jd^2)      k d
    "spherical"  VII     sigma_j^2 I                            k

Whatever the structure, a `GMM` stores k full (d, d) matrices, so densities, plots and sampling
need no special case; `check_structure` says whether they have the structure declared.

The M-step for the covariances, from the weighted scatter matrices about the new means,
    N_j = sum_i gamma[i, j],   S_j = sum_i gamma[i, j] (x_i - mu_j)(x_i - mu_j)^T,
maximises the expected complete-data log-likelihood within the structure (Celeux & Govaert 1995):

    full:       Sigma_j   = S_j / N_j
    tied:       Sigma     = sum_j S_j / n                 (n = sum_j N_j)
    diag:       Sigma_j   = Diag(S_j) / N_j               (the diagonal of the full update)
    spherical:  sigma_j^2 = tr(S_j) / (d N_j)             (the mean of the diagonal update)

The diagonal and spherical updates read only the diagonal of S_j: for them the M-step computes
only that, diag(S_j), a (k, d) array (`emlib._blocked.diagonal_scatter`), and the E-step only
the variances.  With a conjugate prior the same four updates take the prior's terms
(`emlib.prior`).
"""
import numpy as np

#: The covariance structures, in scikit-learn's names.
TYPES = ("full", "tied", "diag", "spherical")
#: mclust's name of each structure.
MCLUST_NAMES = {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}


def check_covariance_type(covariance_type, name="covariance_type"):
    """One of TYPES, or a ValueError (a TypeError for a non-string) naming the argument."""
    if not isinstance(covariance_type, str):
        raise TypeError(f"{name} must be one of {TYPES} (a string), not {type(covariance_type).__name__} "
                        f"({covariance_type!r})")
    if covariance_type not in TYPES:
        mclust = {v: t for t, v in MCLUST_NAMES.items()}.get(covariance_type.upper())
        hint = f" (mclust's {covariance_type.upper()} is {mclust!r})" if mclust else ""
        raise ValueError(f"{name} must be one of {TYPES}, got {covariance_type!r}{hint}")
    return covariance_type


def is_diagonal(covariance_type):
    """True for the structures whose covariances are diagonal ("diag", "spherical"): their M-step
    needs only diag(S_j), their E-step only the variances."""
    return covariance_type in ("diag", "spherical")


# ----------------------------------------------------------------------------------------
# The M-step's covariances
# ----------------------------------------------------------------------------------------
def full(counts, scatter):
    """Sigma_j = S_j / N_j  (VVV).  counts: N (k,); scatter: S (k, d, d).  Returns (k, d, d)."""
    covariances = scatter / counts[:, None, None]
    return 0.5 * (covariances + covariances.transpose(0, 2, 1))   # exactly symmetric


def tied(counts, scatter):
    """Sigma = sum_j S_j / n for every j  (EEE), n = sum_j N_j: the within-component scatter
    pooled over the components.  counts: N (k,); scatter: S (k, d, d).  Returns (k, d, d)."""
    pooled = scatter.sum(axis=0) / counts.sum()
    pooled = 0.5 * (pooled + pooled.T)
    return np.repeat(pooled[None], counts.size, axis=0)


def diag(counts, scatter):
    """Sigma_j = Diag(S_j) / N_j  (VVI): each feature's weighted variance, no correlation.
    counts: N (k,); scatter: diag(S_j), (k, d).  Returns (k, d, d)."""
    return diagonal_matrices(scatter / counts[:, None])


def spherical(counts, scatter):
    """Sigma_j = sigma_j^2 I with sigma_j^2 = tr(S_j) / (d N_j)  (VII): the mean of the diagonal
    update's variances.  counts: N (k,); scatter: diag(S_j), (k, d).  Returns (k, d, d)."""
    d = scatter.shape[1]
    variances = scatter.sum(axis=1) / (d * counts)
    return diagonal_matrices(np.repeat(variances[:, None], d, axis=1))


#: The M-step's covariance update of each structure, from (N, S).
UPDATES = {"full": full, "tied": tied, "diag": diag, "spherical": spherical}


def diagonal_matrices(variances):
    """(k, d, d) diagonal matrices from their diagonals, variances (k, d)."""
    k, d = variances.shape
    out = np.zeros((k, d, d))
    out[:, np.arange(d), np.arange(d)] = variances
    return out


# ----------------------------------------------------------------------------------------
# Counting and checking
# ----------------------------------------------------------------------------------------
def n_parameters(covariance_type, k, d):
    """How many free numbers the k covariances of a structure hold (table in the module's docstring).

    full k d (d + 1) / 2,  tied d (d + 1) / 2,  diag k d,  spherical k.
    """
    return {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d,
            "spherical": k}[covariance_type]


def check_structure(covariances, covariance_type, tol, name="covariances"):
    """Refuse (ValueError, naming the component and the entry) covariances (k, d, d) that do not
    have the structure covariance_type declares.

    An entry that should be 0 (off the diagonal, for "diag" and "spherical") or equal to another
    (the variances of a spherical component; the components of "tied") may miss by tol times the
    largest entry of its matrix: rounding in the precision the covariances were given in
    (`emlib._checks.rounding_tolerance`), never a real difference.
    """
    if covariance_type == "full":
        return
    k, d = covariances.shape[:2]
    size = np.abs(covariances).max(axis=(1, 2))
    if covariance_type == "tied":
        for j in range(1, k):
            gap = np.abs(covariances[j] - covariances[0])
            if not gap.max() <= tol * max(size[0], size[j]):
                r, c = np.unravel_index(np.argmax(gap), gap.shape)
                raise ValueError(
                    f"{name}[{j}] differs from {name}[0], but covariance_type='tied' shares one covariance "
                    f"among all components: {name}[{j}][{r}, {c}] = {covariances[j, r, c]:.6g}, "
                    f"{name}[0][{r}, {c}] = {covariances[0, r, c]:.6g}")
        return
    off = np.abs(covariances * (1 - np.eye(d)))
    for j in range(k):
        if not off[j].max() <= tol * size[j]:
            r, c = np.unravel_index(np.argmax(off[j]), (d, d))
            raise ValueError(f"{name}[{j}] is not diagonal, but covariance_type={covariance_type!r} requires it: "
                             f"{name}[{j}][{r}, {c}] = {covariances[j, r, c]:.6g}")
    if covariance_type == "spherical":
        variances = np.diagonal(covariances, axis1=1, axis2=2)
        spread = variances.max(axis=1) - variances.min(axis=1)
        for j in np.flatnonzero(~(spread <= tol * size)):
            raise ValueError(f"{name}[{j}] is not a multiple of the identity, but covariance_type='spherical' "
                             f"requires it: its variances are {np.array2string(variances[j], precision=6)}")
