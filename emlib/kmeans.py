"""k-means as hard EM: Lloyd's algorithm, and its link to EM as the variances shrink to zero.

Notation (the notebooks'):
    X      (n, d)   the data, one point x_i per row
    c      (k, d)   the centres c_1 .. c_k
    z      (n,)     the labels: z_i = j when x_i is assigned to centre j
    r      (n, k)   the hard responsibilities, r[i, j] = 1 if z_i = j else 0
    J               the inertia (Bishop's distortion), sum_i ||x_i - c_{z_i}||^2

Lloyd's algorithm alternates a hard E-step, `assign` (each point to its nearest centre), and an
M-step, `update_means` (each centre to the mean of its points); neither can increase J.  It is EM
for a mixture of equal weights and shared covariance sigma^2 I in the limit sigma -> 0:
`soft_assign` gives that mixture's responsibilities, which tend to r, and `soft_kmeans_step` one
EM iteration for its means, which tends to one Lloyd iteration.  `kmeanspp_probabilities` shows
how k-means++ (emlib.init_kmeanspp) seeds it: the D^2 distribution each centre was drawn from.

Import the steps from this module (`from emlib.kmeans import assign, update_means`): the package
attribute `emlib.kmeans` is the function `kmeans`, not this module.
"""
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._checks import as_float_array, check_data, check_enough_points, check_finite, check_number
from .em import CollapseError, e_step
from .gmm import GMM
from .init import _squared_distances


@dataclass(frozen=True, eq=False)
class KMeansResult:
    """What `kmeans` returns (its arrays are read-only).

    centres    (k, d): the centres after the last iteration, c_T.
    labels     (n,): z_i, the nearest of those centres to each point.
    inertia    J = sum_i ||x_i - c_{z_i}||^2 for those centres and labels.
    n_iter     T, the number of iterations (hard E-step + M-step) done.
    converged  True when the stopping rule fired before max_iter.
    """

    centres: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool

    def __repr__(self):
        return (f"KMeansResult(k={len(self.centres)}, n_iter={self.n_iter}, "
                f"converged={self.converged}, inertia={self.inertia:.6g})")


# ----------------------------------------------------------------------------------------
# The two steps, the objective, and the soft version
# ----------------------------------------------------------------------------------------
def assign(X, centres):
    """Each point to its nearest centre (the hard E-step).

    z_i = argmin_j ||x_i - c_j||^2                 (ties go to the lowest j)

    X: (n, d) data; centres: (k, d).  Returns the labels z, (n,) integers in 0 .. k-1.
    """
    X, centres = _checked(X, centres, "centres")
    Xf, centres, _, _ = _frame(X, centres)
    return _nearest(Xf, centres)


def update_means(X, labels, k):
    """Each centre to the mean of the points assigned to it (the M-step).

    c_j = sum_i r[i, j] x_i / N_j,   N_j = sum_i r[i, j],   r[i, j] = 1 if z_i = j else 0

    the EM M-step for the means with the hard responsibilities r in place of gamma.

    X: (n, d) data; labels: z, (n,) integers in 0 .. k-1; k: number of centres.  Returns the
    centres, (k, d).  Raises CollapseError (a ValueError) naming a cluster that has no points.
    """
    X = check_data(X)
    labels = _check_labels(labels, X.shape[0], k)
    return _means(X, labels, k)


def inertia(X, centres, labels):
    """The objective k-means lowers: the sum of squared distances of the points to their centres.

    J = sum_i ||x_i - c_{z_i}||^2      (Bishop's distortion measure, scikit-learn's inertia_)

    computed from the differences x_i - c_{z_i} themselves, never from an expansion that could
    cancel.  X: (n, d); centres: (k, d); labels: z, (n,).  Returns a float.
    """
    X, centres = _checked(X, centres, "centres")
    labels = _check_labels(labels, X.shape[0], len(centres))
    Xf, centres, _, scale = _frame(X, centres)
    return _inertia(Xf, centres, labels, scale)


def soft_assign(X, centres, sigma):
    """Responsibilities under a mixture of equal weights and shared covariance sigma^2 I.

    gamma[i, j] = exp(-||x_i - c_j||^2 / (2 sigma^2)) / sum_l exp(-||x_i - c_l||^2 / (2 sigma^2))

    emlib's E-step for the GMM with pi_j = 1/k, mu_j = c_j, Sigma_j = sigma^2 I (so in log
    space).  As sigma -> 0 each row tends to the one-hot row r[i] of `assign`: EM's soft
    assignments become k-means' hard ones.

    X: (n, d); centres: (k, d); sigma > 0.  Returns gamma (n, k), rows summing to 1.
    """
    X, centres = _checked(X, centres, "centres")
    return _soft_assign(X, centres, _check_sigma(sigma))


def soft_kmeans_step(X, centres, sigma):
    """One EM iteration for the means of the mixture of `soft_assign` (soft k-means).

    c_j <- sum_i gamma[i, j] x_i / sum_i gamma[i, j],   gamma = soft_assign(X, c, sigma)

    the weights 1/k and the covariances sigma^2 I stay fixed.  This is MacKay's soft k-means
    with stiffness beta = 1 / sigma^2; as sigma -> 0 it tends to one Lloyd iteration,
    update_means(X, assign(X, c), k).

    X: (n, d); centres: (k, d); sigma > 0.  Returns the new centres, (k, d).  Raises
    CollapseError naming a centre whose responsibilities all underflow to 0.
    """
    X, centres = _checked(X, centres, "centres")
    gamma = _soft_assign(X, centres, _check_sigma(sigma))
    counts = gamma.sum(axis=0)
    _check_no_empty_cluster(counts)
    return (gamma.T @ X) / counts[:, None]


def kmeanspp_probabilities(X, centres):
    """The probabilities with which k-means++ drew each centre in turn (D^2 sampling).

    p_1(i) = 1/n,    p_t(i) = D_t(x_i)^2 / sum_l D_t(x_l)^2    (t = 2 .. k)
    D_t(x) = min_{s < t} ||x - c_s||, the distance from x to the nearest centre drawn so far

    the distributions emlib.init_kmeanspp draws its centres from, computed as it computes them
    (so rng.choice(n, p=P[t - 1]) repeats its draw t); when every D_t is 0 it draws uniformly,
    and so does this.  A point far from every centre so far is likely to be drawn next; a point
    already drawn has probability 0.

    X: (n, d) data; centres: (k, d), the centres in the order they were drawn (e.g.
    emlib.init_kmeanspp(X, k, rng).means).  Returns P, (k, n): P[t - 1] = p_t, rows summing to 1.
    """
    X, centres = _checked(X, centres, "centres")
    n = X.shape[0]
    P = np.empty((len(centres), n))
    P[0] = 1 / n
    nearest = np.full(n, np.inf)
    for t in range(1, len(centres)):
        nearest = np.minimum(nearest, _squared_distances(X, centres[t - 1]))
        total = nearest.sum()
        P[t] = nearest / total if total > 0 else 1 / n
    return P


# ----------------------------------------------------------------------------------------
# Lloyd's algorithm
# ----------------------------------------------------------------------------------------
def kmeans(X, init_means, *, max_iter=300, tol=0.0):
    """Lloyd's algorithm for k-means: hard E-steps and M-steps from the given centres.

    Iteration t (t = 1, 2, ...):   z^t = assign(X, c_{t-1})          (hard E-step)
                                   c_t = update_means(X, z^t, k)     (M-step)
    Each step lowers (or keeps) the inertia J = sum_i ||x_i - c_{z_i}||^2.

    Stopping rule (scikit-learn's KMeans(algorithm="lloyd"), so n_iter matches its n_iter_):
    stop after iteration t, with converged=True, when the centres moved by
        sum_j ||c_t,j - c_{t-1},j||^2 <= tol * (mean over features of the variance of X),
    and otherwise after max_iter iterations (converged=False).  With tol=0 (the default) it
    stops at a fixed point, when no centre moved, as happens once no label changes
    (scikit-learn checks the labels first; it stops at the same iteration).  The labels returned are those of the
    final centres: if the last M-step moved them, one more hard E-step gives them.

    A cluster that loses all its points has no mean: kmeans raises CollapseError naming it and
    the iteration (scikit-learn instead moves its centre to the point farthest from its own).

    The distances are computed with the data moved to their mean and scaled by a power of two
    (which is exact), so the results do not depend on the data's units or offset.

    X: (n, d) data; init_means: c_0, (k, d), e.g. emlib.init_kmeanspp(X, k, rng).means.
    Returns a KMeansResult (centres, labels, inertia, n_iter, converged).
    """
    X, centres = _checked(X, init_means, "init_means")
    check_enough_points(X.shape[0], len(centres))
    check_number(max_iter, "max_iter", minimum=1, integer=True)
    check_number(tol, "tol", minimum=0)
    k = len(centres)
    Xf, centres, mean, scale = _frame(X, centres)
    tol_shift = tol * Xf.var(axis=0).mean()
    converged = False
    for iteration in range(1, max_iter + 1):
        labels = _nearest(Xf, centres)
        try:
            new_centres = _means(Xf, labels, k)
        except CollapseError as err:
            raise CollapseError(f"iteration {iteration}: {err}", err.component, iteration) from None
        shift = ((new_centres - centres) ** 2).sum()
        centres = new_centres
        if shift <= tol_shift:
            converged = True
            break
    if shift > 0:                   # the labels must be those of the final centres
        labels = _nearest(Xf, centres)
    return KMeansResult(
        centres=_read_only(centres * scale + mean),
        labels=_read_only(labels),
        inertia=_inertia(Xf, centres, labels, scale),
        n_iter=iteration,
        converged=converged,
    )


# ----------------------------------------------------------------------------------------
# Internals: inputs already checked
# ----------------------------------------------------------------------------------------
def _frame(X, centres):
    """X and the centres moved to the data's mean and scaled: x = mean + scale * x'.

    Returns X' (n, d), centres' (k, d), mean (d,) and scale.  The scales are powers of two,
    which divide without rounding, so squared distances in this frame are the true ones divided
    by scale^2 exactly, and the data lie within [-4, 4] whatever their units: their squares
    neither overflow nor underflow.  Moving to the mean keeps the expanded distance of
    `_nearest` from cancelling for data far from the origin.
    """
    big = _power_of_two(X)                  # first bring |X| <= 2, so that its mean cannot overflow
    X, centres = X / big, centres / big
    mean = X.mean(axis=0)
    X, centres = X - mean, centres - mean
    spread = _power_of_two(X)               # then the spread of the data to about 1
    return X / spread, centres / spread, mean * big, big * spread


def _power_of_two(A):
    """2^e with 2^e <= max |A| < 2^(e+1) (1 if A is all zeros)."""
    largest = np.abs(A).max()
    return np.ldexp(1.0, int(np.frexp(largest)[1]) - 1) if largest > 0 else 1.0


def _nearest(X, centres):
    """z_i = argmin_j ||x_i - c_j||^2 for X and centres in the frame of `_frame`.

    ||x_i - c_j||^2 = ||x_i||^2 + (||c_j||^2 - 2 c_j . x_i), and the first term is the same for
    every j, so the comparison needs only the bracket: one matrix product, laid out (k, n) so
    that the running minimum over the centres reads contiguous rows.
    """
    scores = centres @ X.T                              # (k, n): c_j . x_i
    scores *= -2
    scores += (centres**2).sum(axis=1)[:, None]
    labels = np.zeros(X.shape[0], dtype=np.intp)
    best = scores[0].copy()
    closer = np.empty(X.shape[0], dtype=bool)
    for j in range(1, len(centres)):
        np.less(scores[j], best, out=closer)            # strictly: a tie keeps the lower j
        np.maximum(labels, j * closer, out=labels)      # labels[closer] = j, as j > every label so far
        np.minimum(best, scores[j], out=best)
    return labels


def _means(X, labels, k):
    """c_j = sum_i r[i, j] x_i / N_j, with r the one-hot (n, k) matrix of the labels (sparse)."""
    counts = np.bincount(labels, minlength=k)
    _check_no_empty_cluster(counts)
    n = len(labels)
    r = sparse.csr_matrix((np.ones(n), labels, np.arange(n + 1)), shape=(n, k))
    return (r.T @ X) / counts[:, None]


def _soft_assign(X, centres, variance):
    k, d = centres.shape
    spherical = GMM(np.full(k, 1 / k), centres, np.broadcast_to(variance * np.eye(d), (k, d, d)))
    return e_step(X, spherical)[0]


def _inertia(X, centres, labels, scale):
    """J for X and centres in the frame of `_frame`, in the data's own units (scale^2 J')."""
    diff = X - centres[labels]
    with np.errstate(over="ignore"):
        total = np.sum(diff * diff) * np.float64(scale) ** 2
    if not np.isfinite(total):
        raise ValueError("the inertia overflows float64 (it exceeds 1e308 in the units of X); rescale X")
    return float(total)


def _check_no_empty_cluster(counts):
    for j in np.flatnonzero(counts == 0):
        raise CollapseError(
            f"cluster {j} is empty: no point is nearest to its centre, so it has no mean; "
            "start from other centres (e.g. emlib.init_kmeanspp(X, k, rng).means)",
            component=int(j),
        )


def _read_only(arr):
    arr = np.array(arr)
    arr.setflags(write=False)
    return arr


# ----------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------
def _checked(X, centres, name):
    """X as checked data and centres as a finite (k, d) array with X's d."""
    X = check_data(X)
    centres = as_float_array(centres, name)
    if centres.ndim != 2 or centres.shape[0] == 0:
        raise ValueError(f"{name} must have shape (k, d) with k >= 1, but has shape {centres.shape}")
    if centres.shape[1] != X.shape[1]:
        raise ValueError(f"X has d={X.shape[1]} features per point but {name} has d={centres.shape[1]}")
    check_finite(centres, name)
    return X, centres


def _check_labels(labels, n, k):
    check_number(k, "k", minimum=1, integer=True)
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers (cluster numbers 0 .. k-1), not dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"labels must have shape (n,) = ({n},), one per point, but has shape {arr.shape}")
    if arr.min() < 0 or arr.max() >= k:
        i = int(np.argmax((arr < 0) | (arr >= k)))
        raise ValueError(f"labels must lie in 0 .. k-1 = 0 .. {k - 1}; labels[{i}] = {arr[i]}")
    return arr.astype(np.intp, copy=False)


def _check_sigma(sigma):
    """sigma > 0, within the range where sigma^2 neither under- nor overflows: returns sigma^2."""
    check_number(sigma, "sigma", minimum=0, strict=True)
    if not 1e-150 <= sigma <= 1e150:
        raise ValueError(f"sigma must lie between 1e-150 and 1e150 (so that sigma^2 is a float), got {sigma}")
    return float(sigma) ** 2
