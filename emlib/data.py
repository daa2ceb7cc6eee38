"""Data for the series: the seed script's data set and initial parameters, sampling from a mixture,
the Old Faithful geyser data, and standardising."""
from importlib.resources import files

import numpy as np

from ._checks import as_float_array, check_data, check_finite, check_number, check_params, memory_for
from .gmm import GMM
from .init import as_generator

#: The seed's three components: means and (identity) covariances, 100 points each.
SEED_MEANS = np.array([[5.0, 5.0], [0.0, 0.0], [8.0, 1.0]])
SEED_N_PER_COMPONENT = 100
SEED = 42


def seed_true_params():
    """The mixture the seed's data were drawn from: equal weights, identity covariances."""
    k, d = SEED_MEANS.shape
    return GMM(np.full(k, 1 / k), SEED_MEANS, np.broadcast_to(np.eye(d), (k, d, d)))


def _seed_stream():
    """The seed's draws, in order, from the legacy generator that np.random.seed(42) sets up.

    With an identity covariance, np.random.multivariate_normal(mean, I, 100) returns
    mean + z for z = standard_normal((100, 2)) (it takes its square root by an SVD, which is
    exact for the identity), so we draw z directly: the same numbers, with no LAPACK call.
    """
    state = np.random.RandomState(SEED)
    blocks = [mean + state.standard_normal((SEED_N_PER_COMPONENT, 2)) for mean in SEED_MEANS]
    return state, blocks


def seed_data():
    """The seed's 300 points, point for point, with the component each was drawn from.

    Returns X (300, 2) and labels (300,): 0 for mean (5, 5), 1 for (0, 0), 2 for (8, 1),
    in the seed's order (data1, data2, data3 stacked).
    """
    _, blocks = _seed_stream()
    labels = np.repeat(np.arange(len(blocks)), SEED_N_PER_COMPONENT)
    return np.vstack(blocks), labels


def seed_initial_params():
    """The seed's starting point: weights 1/3, means = np.random.rand(3, 2) * 10 drawn right
    after the data, identity covariances."""
    state, _ = _seed_stream()
    k, d = SEED_MEANS.shape
    return GMM(np.full(k, 1 / k), state.rand(k, d) * 10, np.broadcast_to(np.eye(d), (k, d, d)))


def sample(params, n, rng):
    """Draw n points from a mixture, by the generative story.

    z_i ~ Categorical(pi),   x_i = mu_{z_i} + L_{z_i} e_i  with e_i ~ N(0, I)   (Sigma_j = L_j L_j^T)

    The Cholesky factor is unique, so the draws do not depend on the LAPACK build (an SVD or
    eigendecomposition may flip signs from one build to another).  The points are transformed
    component by component, so memory stays a few (n, d) arrays.

    params: GMM; n: number of points; rng: Generator or seed.  Returns X (n, d) and z (n,).
    """
    params = check_params(params)
    n = check_number(n, "n", minimum=1, integer=True)
    rng = as_generator(rng)
    with memory_for("n", n, f"that many points in d={params.d} dimensions"):
        z = rng.choice(params.k, size=n, p=params.weights)
        X = rng.standard_normal((n, params.d))          # e_i, transformed in place below
    for j, (mu, L) in enumerate(zip(params.means, params.cholesky)):
        members = np.flatnonzero(z == j)
        X[members] = mu + np.einsum("ab,nb->na", L, X[members])
    return X, z


# ----------------------------------------------------------------------------------------
# Old Faithful, and standardising data
# ----------------------------------------------------------------------------------------


#: What the two columns of `old_faithful()` measure, for axis labels.
OLD_FAITHFUL_COLUMNS = ("eruption duration (min)", "waiting time (min)")


def old_faithful():
    """Old Faithful's 272 eruptions: how long each lasted and how long until the next one.

    x_i = (eruption duration, waiting time to the next eruption), both in minutes

    R's ``faithful`` data set (Härdle 1991; see emlib/datasets/README.md for its provenance),
    read from the copy shipped inside emlib: no network and no pandas.

    Returns X (272, 2), float, rows in R's order, columns as in OLD_FAITHFUL_COLUMNS.
    """
    with (files("emlib") / "datasets" / "old_faithful.csv").open("r", encoding="ascii") as f:
        return np.loadtxt(f, delimiter=",", skiprows=1, ndmin=2)


def standardize(X):
    """Rescale each feature to mean 0 and standard deviation 1.

    z_i = D^{-1} (x_i - c),   c = (1/n) sum_i x_i,   D = diag(s),
    s_f = sqrt( (1/n) sum_i (x_if - c_f)^2 )          (the population standard deviation)

    Fit on Z when the features have very different scales (Old Faithful: minutes of eruption
    against tens of minutes of waiting); `unstandardize` brings the fit back to X's units.

    Computed on each feature divided by a power of two m_f near its largest magnitude (exact:
    the same numbers as without it), so that every sum stays in range: c_f = m_f mean(x_f / m_f),
    s_f = m_f std(x_f / m_f).  Data near 1e308 or 1e-300 are standardised as well as data near 1.

    X: (n, d) data with no constant feature.  Returns Z (n, d), center c (d,), scale s (d,).
    """
    X = check_data(X)
    _, exponent = np.frexp(np.abs(X).max(axis=0))    # max_i |x_if| = m 2^e with m in [1/2, 1)
    unit = np.ldexp(X, -exponent)                     # x_if / 2^e_f, exactly: in (-1, 1)
    unit_center = unit.mean(axis=0)
    unit_scale = unit.std(axis=0)
    # A constant feature has s = 0 or, after rounding in the mean, s of a few eps (in units of 2^e_f).
    for f in np.flatnonzero(unit_scale <= 64 * np.finfo(float).eps):
        raise ValueError(
            f"X[:, {f}] is constant (every point has {X[0, f]:.6g}), so it cannot be scaled to "
            "standard deviation 1; drop that feature"
        )
    return (unit - unit_center) / unit_scale, np.ldexp(unit_center, exponent), np.ldexp(unit_scale, exponent)


def unstandardize(params, center, scale):
    """Map a mixture fitted to standardised data back to the original units.

    With x = c + D z, D = diag(s), component N(z | mu_j, Sigma_j) on z is N(x | m_j, S_j) on x:

    pi_j -> pi_j,   mu_j -> m_j = c + D mu_j,   Sigma_j -> S_j = D Sigma_j D
    (entrywise S_j[a, b] = s_a s_b Sigma_j[a, b]).

    The densities differ by the Jacobian |D| = prod_f s_f, so for n points
    log p(X | unstandardize(theta)) = log p(Z | theta) - n sum_f log s_f.

    The structure is kept: D Sigma D is full, tied or diagonal when Sigma is, so the result has
    params.covariance_type (and `selection.bic` counts its parameters), except that a spherical
    sigma_j^2 I becomes diag(sigma_j^2 s_f^2), a "diag" covariance, unless all the s_f are equal.

    params: GMM fitted on Z = standardize(X)[0]; center c (d,), scale s (d,): the other two
    outputs of standardize.  Returns a GMM in the units of X.  A scale so large (small) that
    the means or covariances in X's units overflow (underflow) float64 is refused by name.
    """
    params = check_params(params)
    center = _check_vector(center, "center", params.d)
    scale = _check_vector(scale, "scale", params.d)
    if np.any(scale <= 0):
        f = int(np.argmin(scale))
        raise ValueError(f"scale must be positive (standard deviations); scale[{f}] = {scale[f]:.6g}")
    with np.errstate(over="ignore", under="ignore"):
        outer = scale[:, None] * scale[None, :]      # s_a s_b: exactly symmetric
        means = center + scale * params.means
        covariances = params.covariances * outer
        variances = np.diagonal(covariances, axis1=1, axis2=2)
    for f in np.flatnonzero(~np.all(np.isfinite(means), axis=0)):
        raise ValueError(f"center[{f}] = {center[f]:.3g} and scale[{f}] = {scale[f]:.3g} put the means "
                         "in X's units beyond the float64 range (1.8e308)")
    for f in np.flatnonzero(~np.all(np.isfinite(covariances), axis=(0, 1))):
        raise ValueError(f"scale[{f}] = {scale[f]:.3g} is so large that the covariances in X's units "
                         "overflow float64 (beyond 1.8e308)")
    for f in np.flatnonzero(np.any(variances < np.finfo(float).tiny, axis=0)):
        raise ValueError(f"scale[{f}] = {scale[f]:.3g} is so small that the variances in X's units "
                         "underflow float64 (below 2.2e-308)")
    covariance_type = params.covariance_type
    if covariance_type == "spherical" and np.any(scale != scale[0]):
        covariance_type = "diag"
    return GMM(params.weights, means, covariances, covariance_type=covariance_type)


def _check_vector(value, name, d):
    arr = as_float_array(value, name)
    if arr.shape != (d,):
        raise ValueError(f"{name} must have shape (d,) = ({d},) to match params, but has shape {arr.shape}")
    check_finite(arr, name)
    return arr
