"""Data for the series: the seed script's data set and initial parameters, and sampling from a mixture."""
import numpy as np

from ._checks import check_number, check_params
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
    eigendecomposition may flip signs from one build to another).

    params: GMM; n: number of points; rng: Generator or seed.  Returns X (n, d) and z (n,).
    """
    params = check_params(params)
    check_number(n, "n", minimum=1, integer=True)
    rng = as_generator(rng)
    z = rng.choice(params.k, size=n, p=params.weights)
    e = rng.standard_normal((n, params.d))
    X = params.means[z] + np.einsum("nab,nb->na", params.cholesky[z], e)
    return X, z
