"""EM's sums over the data points, computed block of rows by block of rows (used by emlib.em).

`emlib.em` states the E-step and the M-step as the lessons write them; this module does their
O(n) work, with the same numerics, laid out for speed:

* The data are prepared once per fit (`Data`): stored transposed, (d, n), so that each feature
  of a block of points is one contiguous row.  Every per-point array is laid out (k, n),
  component by component, for the same reason: a reduction over the k components (the
  log-sum-exp) is then an elementwise operation on long contiguous rows.
* The points are processed in blocks of a few thousand, so that the temporaries stay small
  (in cache) however large n is.  No (n, d) or (n, k, d) temporary is ever made.
* The E-step whitens every component with one matrix product per block (`log_joint`); for
  diagonal covariances one product per block gives every component's quadratic form at once.
* The M-step's scatter matrices are one product per component per block (`scatter`); their
  diagonals alone, all the diagonal structures need, one product per block (`diagonal_scatter`).

Soundness: the M-step takes every deviation x_i - mu_j as it is written, from each component's
own mean.  The E-step's one product per block computes L_j^{-1}(x_i - c) - L_j^{-1}(mu_j - c)
for a centre c common to all components (the data's mean), which cancels: its rounding error
is that of numbers the size of r_j = ||L_j^{-1}(mu_j - c)||, the distance of mu_j from c in
component j's own standard deviations.  A component farther than FAR (a tight cluster far
from the bulk of the data) is therefore whitened about its own mean, L_j^{-1}(x_i - mu_j), in
a product of its own: the log densities keep (to ~2 digits) the accuracy of a triangular solve.
The diagonal structures' sums expand squares about c, (y - m)^2 = y^2 - 2 m y + m^2, and are
redone from the component's own mean beyond FAR in the same way.
"""
import numpy as np

from .covariance import is_diagonal

LOG_2PI = np.log(2 * np.pi)

#: Size of the largest temporary of a block (bytes): small enough to stay in a core's L2 cache
#: (512 KiB was fastest here, against 128 KiB .. 1 MiB, with 1 MiB of L2 per core).
BLOCK_BYTES = 1 << 19
#: Whitened distance r_j of a component's mean from the data's centre beyond which the E-step
#: whitens it about its own mean (common centring would lose log10(r_j) digits to cancellation).
FAR = 100.0


class Data:
    """The points of one fit, prepared once: X (n, d); the same points transposed, Xt (d, n),
    C-contiguous; and their mean c, as a column (d, 1), the centre of the E-step's whitening."""

    __slots__ = ("X", "Xt", "center")

    def __init__(self, X):
        self.X = X
        self.Xt = np.ascontiguousarray(X.T)
        with np.errstate(over="ignore"):                   # the sum of values near 1e308
            center = X.mean(axis=0)
        huge = ~np.isfinite(center)                         # then any point of the box will do
        center[huge] = 0.5 * X[:, huge].min(axis=0) + 0.5 * X[:, huge].max(axis=0)
        self.center = center[:, None]

    n = property(lambda self: self.X.shape[0])
    d = property(lambda self: self.X.shape[1])

    def blocks(self, width):
        """Slices of columns of Xt such that a (width, block) float array is ~BLOCK_BYTES."""
        size = max(256, BLOCK_BYTES // (8 * width))
        return [slice(start, min(start + size, self.n)) for start in range(0, self.n, size)]

    def variances(self):
        """The mean square deviation of each feature from c (its variance), (d,)."""
        return np.square(self.Xt - self.center).mean(axis=1)


def log_joint(data, params, out):
    """Write a[j, i] = log pi_j + log N(x_i | mu_j, Sigma_j) into out (k, n); returns out."""
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in _log_joint_blocks(data, params, out):
            pass
    return out


def _log_joint_blocks(data, params, out):
    """Write a[j, i] = log pi_j + log N(x_i | mu_j, Sigma_j) into out (k, n), a block of points
    at a time, yielding each block's slice once it is written: `_diagonal_blocks` for diagonal
    covariances ("diag", "spherical"), `_whitened_blocks` for the others."""
    if is_diagonal(params.covariance_type):
        return _diagonal_blocks(data, params, out)
    return _whitened_blocks(data, params, out)


def inverse_factors(L):
    """The inverses of lower-triangular matrices, by forward substitution against the identity.

    L Y = I, row by row:   Y[i] = (e_i - sum_{l < i} L[i, l] Y[l]) / L[i, i]

    what LAPACK's trtrs computes for each matrix (the same sums), here for all of them at once
    in d numpy steps.  One trtrs call per component cost ~1.5 ms instead of ~10 us wherever
    OpenBLAS runs threads on a busy machine (a thread woken for a 2 x 2 solve), and the E-step
    makes k of them every iteration.

    L: (m, d, d) lower triangular with a nonzero diagonal (Cholesky factors).  Returns Y (m, d, d),
    lower triangular.
    """
    m, d, _ = L.shape
    Y = np.zeros_like(L)
    for i in range(d):
        row = -np.einsum("ml,mlc->mc", L[:, i, :i], Y[:, :i, :])
        row[:, i] += 1.0
        Y[:, i, :] = row / L[:, i, i, None]
    return Y


def _whitened_blocks(data, params, out):
    """log_joint for any covariances, a block of points at a time:

    log N(x | mu_j, Sigma_j) = -1/2 [d log 2 pi + log|Sigma_j| + ||z_j||^2],  z_j = L_j^{-1}(x - mu_j)

    The whitening z_j of a whole block of points, for all k components at once, is one matrix
    product: the k inverse factors L_j^{-1}, stacked into W (k d, d), times the block of centred
    points (d, B), minus the stacked L_j^{-1}(mu_j - c).  L_j^{-1} comes from forward
    substitution against the identity (`inverse_factors`): the triangular Cholesky factor is
    inverted, never the covariance, and the quadratic form is still ||L_j^{-1}(x - mu_j)||^2, a
    sum of squares, never negative.

    Components farther than FAR from c (whitened distance) are whitened about their own mean
    instead (see the module's docstring).  For "tied" covariances, L_j = L for every j: the
    block is whitened once, L^{-1}(x_i - c) (d, B), and each component subtracts its own shift.

    Overflow (points beyond ~1e154 standard deviations) gives inf or NaN here; the callers
    silence numpy's warnings about it (np.errstate) and refuse it by name.
    """
    k, d = params.k, params.d
    tied = params.covariance_type == "tied"
    factors = params.cholesky[:1] if tied else params.cholesky
    W = inverse_factors(factors).reshape(-1, d)                         # L_j^{-1}, stacked (one if tied)
    inverses = np.broadcast_to(W.reshape(-1, d, d), (k, d, d))          # L_j^{-1}, (k, d, d)
    log_det = 2 * np.log(np.diagonal(params.cholesky, axis1=1, axis2=2)).sum(axis=1)
    const = (np.log(params.weights) - 0.5 * (d * LOG_2PI + log_det))[:, None]
    blocks = data.blocks(k * d)
    whitened, centred = np.empty((k * d, blocks[0].stop)), np.empty((d, blocks[0].stop))
    common = np.empty((d, blocks[0].stop)) if tied else None
    shift = np.einsum("jab,bj->ja", inverses, params.means.T - data.center)   # L_j^{-1}(mu_j - c)
    far = np.flatnonzero(~(np.linalg.norm(shift, axis=1) <= FAR))
    shift = shift.reshape(k * d, 1)
    for rows in blocks:
        Xt = data.Xt[:, rows]
        size = Xt.shape[1]
        Xc = np.subtract(Xt, data.center, out=centred[:, :size])      # x_i - c
        if tied:                                              # L^{-1}(x_i - c) - L^{-1}(mu_j - c)
            z = np.matmul(W, Xc, out=common[:, :size])
            z = np.subtract(z[None], shift.reshape(k, d, 1), out=whitened[:, :size].reshape(k, d, size))
        else:
            z = np.matmul(W, Xc, out=whitened[:, :size])      # (k d, B): L_j^{-1}(x_i - c)
            z -= shift                                        #           L_j^{-1}(x_i - mu_j)
            z = z.reshape(k, d, -1)
        for j in far:                                         # the same, without cancellation
            np.subtract(Xt, params.means[j][:, None], out=Xc)
            np.matmul(inverses[j], Xc, out=z[j])
        a = np.einsum("jab,jab->jb", z, z, out=out[:, rows])   # ||z_ij||^2
        a *= -0.5
        a += const
        yield rows


def _diagonal_blocks(data, params, out):
    """log_joint for diagonal covariances Sigma_j = Diag(sigma_j1^2 .. sigma_jd^2), a block of
    points at a time, in O(n k d) operations instead of the O(n k d^2) of a whitening:

    log N(x | mu_j, Sigma_j) = -1/2 [d log 2 pi + sum_r log sigma_jr^2 + q_j(x)],
    q_j(x) = sum_r p_jr (y_r - m_jr)^2 = sum_r p_jr y_r^2 - 2 sum_r p_jr m_jr y_r + sum_r p_jr m_jr^2

    with p_jr = 1 / sigma_jr^2, y = x - c and m_j = mu_j - c (c the data's centre): for a whole
    block, one matrix product of [-p_j / 2, p_j m_j] (k, 2 d) with [y^2; y] (2 d, B).  The
    expansion cancels: its rounding error is about eps (q_j + r_j^2), r_j^2 = sum_r p_jr m_jr^2
    the squared distance of mu_j from c in component j's standard deviations.  A component
    farther than FAR is therefore computed from its own mean, q_j = ||(x - mu_j) / sigma_j||^2
    (as `_whitened_blocks` does); and q_j is never taken below 0, its true minimum.
    """
    k, d = params.k, params.d
    variances = np.diagonal(params.covariances, axis1=1, axis2=2)
    precisions = 1 / variances                                          # p_jr
    m = params.means - data.center.T                                    # mu_j - c
    r2 = np.einsum("jr,jr->j", precisions, m * m)                       # r_j^2
    top = (np.log(params.weights) - 0.5 * (d * LOG_2PI + np.log(variances).sum(axis=1)))[:, None]
    A = np.hstack([-0.5 * precisions, precisions * m])                  # (k, 2 d)
    const = top - 0.5 * r2[:, None]
    far = np.flatnonzero(~(r2 <= FAR**2))
    blocks = data.blocks(max(2 * d, k))
    stacked = np.empty((2 * d, blocks[0].stop))
    for rows in blocks:
        Xt = data.Xt[:, rows]
        size = Xt.shape[1]
        y2, y = stacked[:d, :size], stacked[d:, :size]
        np.subtract(Xt, data.center, out=y)                             # y = x - c
        np.square(y, out=y2)
        a = np.matmul(A, stacked[:, :size], out=out[:, rows])
        a += const
        np.minimum(a, top, out=a)                                       # q_j >= 0
        for j in far:                                                   # without cancellation
            z = np.subtract(Xt, params.means[j][:, None], out=y2)
            z *= np.sqrt(precisions[j])[:, None]
            a[j] = top[j] - 0.5 * np.einsum("rb,rb->b", z, z)
        yield rows


def responsibilities(data, params, out):
    """gamma (k, n) written into out, and the log-likelihood: log_joint, then in each block

    gamma[j, i] = exp(a[j, i] - m_i) / sum_l exp(a[l, i] - m_i),   m_i = max_l a[l, i],
    log p(x_i | theta) = m_i + log sum_l exp(a[l, i] - m_i)                    (log-sum-exp)

    while the block is still in cache.  Every column has an entry exp(0) = 1, so the sum is in
    [1, k]: it never underflows to 0 nor overflows.  Returns (out, log-likelihood); the
    log-likelihood is not finite when some point is too far from every component (the caller
    refuses it).
    """
    loglik = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for rows in _log_joint_blocks(data, params, out):
            gamma = out[:, rows]
            top = gamma.max(axis=0)
            gamma -= top
            np.exp(gamma, out=gamma)
            total = gamma.sum(axis=0)
            gamma /= total
            loglik += np.log(total).sum() + top.sum()
    return out, float(loglik)


def means(data, resp, counts):
    """The k weighted means, (k, d):

    mu_j = (1 / N_j) sum_i gamma[j, i] x_i  =  c + (1 / N_j) sum_i gamma[j, i] (x_i - c)

    summed about the data's centre c, a block at a time: the rounding is then that of the
    deviations from c, not of the x_i themselves (data measured around 1e6 lose nothing).
    resp: gamma (k, n); counts: N_j (k,).
    """
    sums = np.zeros((resp.shape[0], data.d))
    centred = np.empty((data.d, data.blocks(data.d)[0].stop))
    for rows in data.blocks(data.d):
        Xc = np.subtract(data.Xt[:, rows], data.center, out=centred[:, :rows.stop - rows.start])
        sums += resp[:, rows] @ Xc.T
    return data.center.T + sums / counts[:, None]


def scatter(data, resp, means):
    """The k scatter matrices, (k, d, d):

    S_j = sum_i gamma[j, i] (x_i - mu_j)(x_i - mu_j)^T

    one product per component and block, (x_i - mu_j) gamma[j, i] (d, B) times (x_i - mu_j)^T
    (B, d).  The deviations are taken from each component's own mean (a two-pass sum), so
    there is no cancellation such as sum_i gamma x x^T - N mu mu^T would suffer.

    resp: gamma (k, n); means: mu (k, d).  Overflow gives inf or NaN; the caller silences numpy's
    warnings about it and refuses it by name.
    """
    k, d = resp.shape[0], data.d
    S = np.zeros((k, d, d))
    blocks = data.blocks(d)
    deviations, weighted = np.empty((2, d, blocks[0].stop))
    for rows in blocks:
        Xt = data.Xt[:, rows]
        D, G = deviations[:, :Xt.shape[1]], weighted[:, :Xt.shape[1]]
        for j in range(k):
            np.subtract(Xt, means[j][:, None], out=D)             # x_i - mu_j
            np.multiply(D, resp[j, rows], out=G)                  # gamma_ij (x_i - mu_j)
            S[j] += G @ D.T
    return S


def diagonal_scatter(data, resp, counts, means):
    """The diagonals of the k scatter matrices, (k, d), all the diagonal structures need:

    diag(S_j)_r = sum_i gamma[j, i] (x_ir - mu_jr)^2
                = sum_i gamma[j, i] (x_ir - c_r)^2 - N_j (mu_jr - c_r)^2

    the second form with one product per block, gamma (k, B) times the squared deviations from
    the data's centre c, (B, d): O(n k d) operations instead of `scatter`'s O(n k d^2).  It
    cancels: its rounding error is about eps (1 + r_jr^2) relative, r_jr = |mu_jr - c_r| / s_jr
    the distance of component j's mean from c in its own standard deviations s_jr.  A component
    with some r_jr > FAR (a tight cluster far from the bulk), or with a result that is not
    positive, is summed again by the first form, from its own mean, as `scatter` does.

    resp: gamma (k, n); counts: N_j (k,); means: mu (k, d).
    """
    k, d = resp.shape[0], data.d
    second = np.zeros((k, d))
    blocks = data.blocks(d)
    deviations = np.empty((d, blocks[0].stop))
    for rows in blocks:
        D = np.subtract(data.Xt[:, rows], data.center, out=deviations[:, :rows.stop - rows.start])
        np.square(D, out=D)                                        # (x_i - c)^2
        second += resp[:, rows] @ D.T
    shift2 = counts[:, None] * (means - data.center.T) ** 2        # N_j (mu_j - c)^2
    S = second - shift2
    for j in np.flatnonzero(~(S > shift2 / FAR**2).all(axis=1)):    # N_j m^2 / S = r^2 > FAR^2
        S[j] = 0.0
        for rows in blocks:
            D = np.subtract(data.Xt[:, rows], means[j][:, None], out=deviations[:, :rows.stop - rows.start])
            np.square(D, out=D)                                    # (x_i - mu_j)^2
            S[j] += D @ resp[j, rows]
    return S
