"""k-means as hard EM: Lloyd's algorithm against scikit-learn's, its steps against brute force,
results that do not depend on units, and EM with sigma^2 I tending to k-means as sigma -> 0."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from scipy.special import softmax
from sklearn.cluster import KMeans

import emlib
from emlib.kmeans import (
    assign, inertia, kmeans, kmeanspp_probabilities, soft_assign, soft_kmeans_step, update_means,
)


def blobs(n, d, k, seed, spread=1.0):
    """n points around k random centres in [-10, 10]^d (stretched per feature), and k-means++ centres."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(-10, 10, (k, d))
    X = truth[rng.integers(k, size=n)] + spread * rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d)
    return X, emlib.init_kmeanspp(X, k, rng).means


def sklearn_kmeans(X, init_means, **options):
    return KMeans(n_clusters=len(init_means), init=init_means, n_init=1, algorithm="lloyd",
                  **options).fit(X)


def brute_force_labels(X, centres):
    return cdist(X, centres, "sqeuclidean").argmin(axis=1)


# ---------------------------------------------------------------------------------------
# Lloyd's algorithm against scikit-learn
# ---------------------------------------------------------------------------------------
PROBLEMS = [(300, 2, 3, 0), (500, 2, 5, 1), (400, 5, 4, 2), (1000, 1, 3, 3), (600, 8, 8, 4),
            (2000, 3, 6, 5)]


@pytest.mark.parametrize("tol", [0.0, 1e-4, 1e-2])
@pytest.mark.parametrize("n, d, k, seed", PROBLEMS)
def test_kmeans_matches_sklearn(n, d, k, seed, tol):
    X, init = blobs(n, d, k, seed, spread=3.0)          # overlapping: several iterations
    ours = kmeans(X, init, tol=tol)
    sk = sklearn_kmeans(X, init, tol=tol)
    np.testing.assert_array_equal(ours.labels, sk.labels_)
    np.testing.assert_allclose(ours.centres, sk.cluster_centers_, rtol=0, atol=1e-10)
    assert ours.inertia == pytest.approx(sk.inertia_, rel=1e-10)
    assert ours.n_iter == sk.n_iter_
    assert ours.converged


@pytest.mark.parametrize("max_iter", [1, 2, 3])
def test_kmeans_stopped_by_max_iter_matches_sklearn(max_iter):
    X, init = blobs(800, 2, 6, seed=7, spread=4.0)
    assert kmeans(X, init).n_iter > 3                   # so max_iter stops it
    ours = kmeans(X, init, max_iter=max_iter)
    sk = sklearn_kmeans(X, init, max_iter=max_iter)
    assert (ours.n_iter, ours.converged) == (max_iter, False)
    np.testing.assert_array_equal(ours.labels, sk.labels_)   # the labels of the final centres
    np.testing.assert_allclose(ours.centres, sk.cluster_centers_, rtol=0, atol=1e-10)
    assert ours.inertia == pytest.approx(sk.inertia_, rel=1e-10)


def test_kmeans_result_is_a_fixed_point_and_immutable():
    X, init = blobs(300, 2, 3, seed=0)
    result = kmeans(X, init)
    np.testing.assert_array_equal(result.labels, brute_force_labels(X, result.centres))
    for j in range(3):
        np.testing.assert_allclose(result.centres[j], X[result.labels == j].mean(axis=0), rtol=1e-12)
    with pytest.raises(AttributeError):
        result.n_iter = 0
    with pytest.raises(ValueError, match="read-only"):
        result.labels[0] = 1


# ---------------------------------------------------------------------------------------
# Units and far-away data
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale, offset", [(1e-200, 0.0), (1e150, 0.0), (1.0, 1e8), (1e-3, -1e6)])
def test_kmeans_does_not_depend_on_units_or_offset(scale, offset):
    X, init = blobs(500, 3, 4, seed=3, spread=3.0)
    base = sklearn_kmeans(X, init, tol=0)
    moved = kmeans(X * scale + offset, init * scale + offset)
    np.testing.assert_array_equal(moved.labels, base.labels_)
    atol = 1e-12 * scale * np.abs(X).max() + 4 * np.spacing(offset)     # the offset's own rounding
    np.testing.assert_allclose(moved.centres, base.cluster_centers_ * scale + offset, rtol=1e-12, atol=atol)
    assert moved.inertia == pytest.approx(base.inertia_ * scale**2, rel=1e-6 if offset else 1e-12)
    assert moved.n_iter == base.n_iter_


def test_an_inertia_beyond_float64_is_refused_by_name():
    X, init = blobs(50, 2, 2, seed=0)
    with pytest.raises(ValueError, match="the inertia overflows float64.*rescale X"):
        kmeans(X * 1e200, init * 1e200)


def test_nearest_centre_is_exact_for_tight_clusters_far_from_the_origin():
    # Points 1e-4 apart at 1e8 from the origin: ||x||^2 - 2 x.c + ||c||^2 at the origin would
    # cancel 1e16 against 1e16 and lose every digit of a 1e-8 squared distance.
    rng = np.random.default_rng(0)
    X = 1e8 + 1e-4 * rng.standard_normal((200, 2))
    centres = X[:3].copy()
    np.testing.assert_array_equal(assign(X, centres), brute_force_labels(X - 1e8, centres - 1e8))


# ---------------------------------------------------------------------------------------
# The steps against brute force
# ---------------------------------------------------------------------------------------
def test_assign_update_means_and_inertia_against_brute_force():
    X, _ = blobs(400, 3, 5, seed=1, spread=3.0)
    centres = X[[0, 10, 20, 30, 40]]
    labels = assign(X, centres)
    np.testing.assert_array_equal(labels, brute_force_labels(X, centres))
    means = update_means(X, labels, 5)
    np.testing.assert_allclose(means, [X[labels == j].mean(axis=0) for j in range(5)], rtol=1e-13)
    distances = cdist(X, means, "sqeuclidean")[np.arange(len(X)), labels]
    assert inertia(X, means, labels) == pytest.approx(distances.sum(), rel=1e-12)


def test_assign_breaks_ties_towards_the_lower_centre():
    X = np.array([[0.0, 0.0], [2.0, 0.0]])
    np.testing.assert_array_equal(assign(X, [[1.0, 1.0], [1.0, -1.0]]), [0, 0])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(1, 4))
def test_no_lloyd_step_increases_the_inertia(seed, k, d):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, d)) * rng.uniform(0.1, 10, d)
    centres = X[rng.choice(40, k, replace=False)]
    for _ in range(5):
        labels = assign(X, centres)
        before = inertia(X, centres, labels)
        if np.bincount(labels, minlength=k).min() == 0:
            return                                      # an empty cluster: nothing more to check
        centres = update_means(X, labels, k)
        after_m = inertia(X, centres, labels)
        after_e = inertia(X, centres, assign(X, centres))
        assert after_e <= after_m * (1 + 1e-12) and after_m <= before * (1 + 1e-12)


# ---------------------------------------------------------------------------------------
# EM with equal weights and sigma^2 I becomes k-means as sigma -> 0
# ---------------------------------------------------------------------------------------
def test_soft_assign_is_the_softmax_of_scaled_squared_distances():
    X, centres = blobs(100, 2, 3, seed=2, spread=3.0)
    sigma = 4.0
    expected = softmax(-cdist(X, centres, "sqeuclidean") / (2 * sigma**2), axis=1)
    np.testing.assert_allclose(soft_assign(X, centres, sigma), expected, rtol=1e-12, atol=1e-300)


def test_responsibilities_become_hard_assignments_as_sigma_shrinks():
    X, centres = blobs(300, 2, 4, seed=4, spread=3.0)
    one_hot = np.eye(4)[brute_force_labels(X, centres)]
    gaps = [np.abs(soft_assign(X, centres, sigma) - one_hot).max() for sigma in (3.0, 1.0, 0.3, 0.1, 0.01)]
    assert gaps[0] > 0.1, gaps                                    # soft at first,
    assert np.all(np.diff(gaps) < 0) or gaps[-1] == 0, gaps       # harder and harder,
    assert gaps[-1] < 1e-12, gaps                                 # then hard


def test_one_em_iteration_becomes_one_lloyd_iteration_as_sigma_shrinks():
    X, centres = blobs(300, 2, 4, seed=4, spread=3.0)
    labels = brute_force_labels(X, centres)
    lloyd = np.array([X[labels == j].mean(axis=0) for j in range(4)])
    np.testing.assert_allclose(update_means(X, assign(X, centres), 4), lloyd, rtol=1e-13)
    gaps = [np.abs(soft_kmeans_step(X, centres, sigma) - lloyd).max() for sigma in (3.0, 1.0, 0.3, 0.03)]
    assert gaps[0] > 0.1 and gaps[-1] < 1e-12, gaps
    assert np.all(np.diff(gaps) < 0) or gaps[-1] == 0, gaps


def test_soft_kmeans_step_is_em_for_the_means_with_sigma_fixed():
    # One emlib EM iteration for the mixture pi_j = 1/k, Sigma_j = sigma^2 I gives the same means.
    X, centres = blobs(200, 2, 3, seed=5, spread=3.0)
    sigma = 2.0
    gamma, _ = emlib.e_step(X, emlib.GMM(np.full(3, 1 / 3), centres, np.broadcast_to(sigma**2 * np.eye(2), (3, 2, 2))))
    np.testing.assert_allclose(soft_kmeans_step(X, centres, sigma), emlib.m_step(X, gamma).means, rtol=1e-12)


# ---------------------------------------------------------------------------------------
# Empty clusters and bad input
# ---------------------------------------------------------------------------------------
def test_an_empty_cluster_is_named_with_its_iteration():
    X, init = blobs(200, 2, 3, seed=0)
    far = np.vstack([init, [[1e6, 1e6]]])                   # no point is nearest to centre 3
    with pytest.raises(emlib.CollapseError, match=r"iteration 1: cluster 3 is empty") as err:
        kmeans(X, far)
    assert (err.value.component, err.value.iteration) == (3, 1)
    with pytest.raises(emlib.CollapseError, match=r"cluster 1 is empty"):
        kmeans(X, init[[0, 0, 2]])                           # a duplicate centre gets no point
    with pytest.raises(emlib.CollapseError, match=r"cluster 2 is empty"):
        update_means(X, np.arange(200) % 2, 3)


X0 = np.random.default_rng(0).standard_normal((20, 2))
C0 = X0[:3]


@pytest.mark.parametrize("call, error, match", [
    (lambda: kmeans(np.where(np.eye(20, 2, dtype=bool), np.nan, X0), C0), ValueError, r"X contains NaN"),
    (lambda: kmeans(X0[:, 0], C0), ValueError, r"X must be 2-D"),
    (lambda: kmeans(X0.astype(str), C0), TypeError, r"X must hold real numbers"),
    (lambda: kmeans(X0, C0[:, 0]), ValueError, r"init_means must have shape \(k, d\)"),
    (lambda: kmeans(X0, np.zeros((0, 2))), ValueError, r"init_means must have shape \(k, d\) with k >= 1"),
    (lambda: kmeans(X0, np.hstack([C0, C0])), ValueError, r"X has d=2 .* init_means has d=4"),
    (lambda: kmeans(X0, [[0.0, np.inf], [1.0, 1.0]]), ValueError, r"init_means contains NaN or infinite"),
    (lambda: kmeans(X0, [["a", "b"]]), TypeError, r"init_means must hold real numbers"),
    (lambda: kmeans(X0[:2], C0), ValueError, r"X has 2 points, fewer than the k=3"),
    (lambda: kmeans(X0, C0, max_iter=0), ValueError, r"max_iter must be >= 1"),
    (lambda: kmeans(X0, C0, max_iter=2.5), TypeError, r"max_iter must be an integer"),
    (lambda: kmeans(X0, C0, tol=-1e-3), ValueError, r"tol must be >= 0"),
    (lambda: kmeans(X0, C0, tol="0"), TypeError, r"tol must be a real number"),
    (lambda: assign(X0, C0[:, :1]), ValueError, r"X has d=2 .* centres has d=1"),
    (lambda: update_means(X0, np.zeros(20), 3), TypeError, r"labels must be integers"),
    (lambda: update_means(X0, np.zeros(19, dtype=int), 3), ValueError, r"labels must have shape \(n,\) = \(20,\)"),
    (lambda: update_means(X0, np.arange(20) % 4, 3), ValueError, r"labels must lie in 0 .. k-1 = 0 .. 2; labels\[3\] = 3"),
    (lambda: update_means(X0, -(np.arange(20) % 2), 3), ValueError, r"labels\[1\] = -1"),
    (lambda: update_means(X0, np.zeros(20, dtype=int), 0), ValueError, r"k must be >= 1"),
    (lambda: inertia(X0, C0, np.full(20, 3)), ValueError, r"labels must lie in 0 .. k-1"),
    (lambda: soft_assign(X0, C0, 0.0), ValueError, r"sigma must be > 0"),
    (lambda: soft_assign(X0, C0, np.nan), ValueError, r"sigma must be finite"),
    (lambda: soft_assign(X0, C0, True), TypeError, r"sigma must be a real number"),
    (lambda: soft_assign(X0, C0, 1e-200), ValueError, r"sigma must lie between 1e-150 and 1e150"),
    (lambda: soft_kmeans_step(X0, C0, -1.0), ValueError, r"sigma must be > 0"),
])
def test_bad_input_is_refused_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_kmeans_is_exported():
    assert emlib.kmeans is kmeans


# ---------------------------------------------------------------------------------------
# k-means++: the D^2 distributions the centres are drawn from
# ---------------------------------------------------------------------------------------
def test_kmeanspp_probabilities_are_the_normalised_squared_distances_to_the_nearest_centre():
    X, _ = blobs(150, 3, 4, seed=6, spread=2.0)
    centres = X[[5, 40, 90, 120]]
    P = kmeanspp_probabilities(X, centres)
    D2 = cdist(X, centres, "sqeuclidean")
    expected = [np.full(150, 1 / 150)] + [D2[:, :t].min(axis=1) / D2[:, :t].min(axis=1).sum() for t in (1, 2, 3)]
    np.testing.assert_allclose(P, expected, rtol=1e-12, atol=0)
    assert np.all(P[1:, [5, 40, 90]][np.tril_indices(3)] == 0)     # a centre already drawn is never drawn again


@pytest.mark.parametrize("seed", range(5))
def test_kmeanspp_probabilities_repeat_the_draws_of_init_kmeanspp(seed):
    # Drawing from P with the same generator gives init_kmeanspp's centres: they are its distributions.
    X, _ = blobs(200, 2, 5, seed=seed, spread=3.0)
    centres = emlib.init_kmeanspp(X, 5, np.random.default_rng(seed)).means
    P = kmeanspp_probabilities(X, centres)
    rng = np.random.default_rng(seed)
    drawn = [rng.integers(len(X))] + [rng.choice(len(X), p=p) for p in P[1:]]
    np.testing.assert_array_equal(X[drawn], centres)


def test_kmeanspp_probabilities_are_uniform_when_every_point_is_a_centre():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(kmeanspp_probabilities(X, X[[0, 2, 1]])[2], np.full(3, 1 / 3))


def test_kmeanspp_probabilities_refuse_centres_of_another_dimension():
    with pytest.raises(ValueError, match=r"X has d=2 .* centres has d=3"):
        kmeanspp_probabilities(X0, np.zeros((2, 3)))


# ---------------------------------------------------------------------------------------
# The picture: each centre's cell is where assign gives its label
# ---------------------------------------------------------------------------------------
def test_plot_kmeans_shades_each_pixel_in_the_colour_of_its_nearest_centre():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb
    from emlib import plotting

    X, _ = blobs(120, 2, 3, seed=7, spread=2.0)
    centres = X[[0, 50, 100]] + 0.5
    labels = np.arange(120) % 3                                 # not the nearest: drawn as given
    artists = plotting.plot_kmeans(X, centres, labels, pixels=40)
    try:
        image = artists.cells.get_array()
        x0, x1, y0, y1 = artists.cells.get_extent()
        xs = x0 + (np.arange(40) + 0.5) * (x1 - x0) / 40
        ys = y0 + (np.arange(40) + 0.5) * (y1 - y0) / 40
        pixels = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        nearest = cdist(pixels, centres, "sqeuclidean").argmin(axis=1)
        palette = np.array([to_rgb(c) for c in plotting.PALETTE[:3]])
        np.testing.assert_allclose(image.reshape(-1, 3), 0.78 + 0.22 * palette[nearest], rtol=1e-12)
        assert x0 <= X[:, 0].min() and x1 >= X[:, 0].max() and y0 <= X[:, 1].min() and y1 >= X[:, 1].max()
        np.testing.assert_allclose(artists.points.get_facecolors()[:, :3], palette[labels])
        np.testing.assert_allclose(artists.centres.get_offsets(), centres)
        ax = artists.points.axes
        assert ax.get_title() and ax.get_xlabel() and ax.get_aspect() == 1.0
        assert plotting.plot_kmeans(X, centres, cells=False).cells is None
    finally:
        plt.close("all")
