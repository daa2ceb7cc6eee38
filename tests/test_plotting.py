"""Tests for emlib.plotting and emlib.geometry.

Expected numbers come from independent computations: ellipses from a covariance built out of a
known rotation and known standard deviations, masses from the chi-squared closed form and from
sampling, densities and log-likelihoods from scipy.stats, responsibilities from
scipy.stats.multivariate_normal.
"""
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.integrate import trapezoid  # noqa: E402  (np.trapezoid needs numpy 2)
import pytest  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.container import Container  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402
from scipy.special import erf  # noqa: E402
from scipy.stats import chi2, multivariate_normal  # noqa: E402

import emlib  # noqa: E402
from emlib import GMM  # noqa: E402
from emlib import plotting as P  # noqa: E402
from emlib.data import seed_data, seed_initial_params, seed_true_params  # noqa: E402
from emlib.geometry import (  # noqa: E402
    ellipse_geometry, ellipse_mass, interpolate_params, params_path,
)

OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def seed():
    X, labels = seed_data()
    result = emlib.fit(X, seed_initial_params(), keep_history=True)
    return X, labels, result


def rotated_cov(angle_deg, sd1, sd2):
    """Sigma = R diag(sd1^2, sd2^2) R^T: standard deviation sd1 along angle_deg, sd2 across it."""
    a = np.radians(angle_deg)
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return R @ np.diag([sd1**2, sd2**2]) @ R.T


def scipy_loglik(X, params):
    dens = sum(w * multivariate_normal(mean=m, cov=c).pdf(X)
               for w, m, c in zip(params.weights, params.means, params.covariances))
    return np.log(dens).sum()


def scipy_resp(X, params):
    joint = np.column_stack([w * multivariate_normal(mean=m, cov=c).pdf(X)
                             for w, m, c in zip(params.weights, params.means, params.covariances)])
    return joint / joint.sum(axis=1, keepdims=True)


def angle_gap(a, b):
    """Distance between two axis directions in degrees (a direction and its opposite agree)."""
    d = abs(a - b) % 180.0
    return min(d, 180.0 - d)


# ----------------------------------------------------------------------------------------
# Geometry
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0, 120.0, 179.0, -45.0])
@pytest.mark.parametrize("n_std", [1, 2, 2.5])
def test_ellipse_geometry_recovers_known_rotation_and_standard_deviations(angle, n_std):
    width, height, got_angle = ellipse_geometry(rotated_cov(angle, 3.0, 0.5), n_std)
    assert width == pytest.approx(2 * n_std * 3.0, rel=1e-12)     # standard deviations...
    assert height == pytest.approx(2 * n_std * 0.5, rel=1e-12)    # ...not variances (9, 0.25)
    assert 0.0 <= got_angle < 180.0
    assert angle_gap(got_angle, angle) < 1e-9
    assert got_angle == pytest.approx(angle % 180.0, abs=1e-9)


def test_ellipse_geometry_of_an_isotropic_covariance_is_a_circle():
    width, height, _ = ellipse_geometry(4.0 * np.eye(2), 1)
    assert width == pytest.approx(4.0) and height == pytest.approx(4.0)


@pytest.mark.parametrize("cov, n_std", [
    (np.eye(3), 1),                          # not 2x2
    (np.array([[1.0, 2.0], [2.0, 1.0]]), 1),  # indefinite
    (np.array([[1.0, 0.5], [0.0, 1.0]]), 1),  # not symmetric
    (np.eye(2), 0),                          # n_std must be positive
])
def test_ellipse_geometry_refuses_bad_input(cov, n_std):
    with pytest.raises(ValueError):
        ellipse_geometry(cov, n_std)


def test_ellipse_mass_matches_closed_forms():
    r = np.array([0.5, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(ellipse_mass(r, d=2), 1 - np.exp(-r**2 / 2), rtol=1e-12)
    np.testing.assert_allclose(ellipse_mass(r, d=1), erf(r / np.sqrt(2)), rtol=1e-12)
    np.testing.assert_allclose(ellipse_mass(r, d=5), chi2.cdf(r**2, df=5), rtol=1e-12)
    assert ellipse_mass(1) == pytest.approx(0.3935, abs=1e-4)
    assert ellipse_mass(2) == pytest.approx(0.8647, abs=1e-4)
    assert P.ellipse_mass is ellipse_mass and P.ellipse_geometry is ellipse_geometry


def test_drawn_ellipses_hold_the_chi2_mass_of_a_stretched_rotated_gaussian():
    mean, cov = np.array([1.0, -2.0]), rotated_cov(35.0, 3.0, 0.5)
    params = GMM([1.0], [mean], [cov])
    drawn = P.plot_ellipses(params, n_std=(1, 2))
    rng = np.random.default_rng(20240611)
    points = mean + rng.standard_normal((200_000, 2)) @ np.linalg.cholesky(cov).T
    diff = points - mean
    mahalanobis2 = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    for patch, r in zip(drawn.ellipses, (1, 2)):
        assert isinstance(patch, Ellipse)
        # the patch is the unit circle under its patch transform (scale, rotate, translate):
        # map the points back and test |u| <= 1 (exact, unlike the Bezier outline)
        u = patch.get_patch_transform().inverted().transform(points)
        inside = np.hypot(u[:, 0], u[:, 1]) <= 1
        assert inside.mean() == pytest.approx(chi2.cdf(r**2, df=2), abs=0.005)
        # point by point it is the ellipse (x - mu)^T Sigma^-1 (x - mu) <= r^2
        np.testing.assert_array_equal(inside, mahalanobis2 <= r**2)
    # matplotlib's own test, on the drawn outline in display coordinates, agrees on a subsample
    # (it approximates the outline's Bezier curves, hence not exactly)
    patch = drawn.ellipses[0]
    sub = points[:2000]
    via_display = np.array([patch.contains_point(p, radius=0)
                            for p in patch.axes.transData.transform(sub)])
    assert (via_display == (mahalanobis2[:2000] <= 1)).mean() > 0.99


def test_interpolate_params_is_the_straight_line_and_params_path_skips_invalid_points():
    old = GMM([0.9, 0.1], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), 2 * np.eye(2)])
    new = GMM([0.5, 0.5], [[2.0, 0.0], [1.0, 3.0]], [3 * np.eye(2), np.eye(2)])
    mid = interpolate_params(old, new, 0.5)
    np.testing.assert_allclose(mid.weights, [0.7, 0.3])
    np.testing.assert_allclose(mid.means, [[1.0, 0.0], [1.0, 2.0]])
    np.testing.assert_allclose(mid.covariances, [2 * np.eye(2), 1.5 * np.eye(2)])
    # weight 1 is 0.1 + 0.4 s > 0 only for s > -0.25; covariance 1 is 2 - s > 0 for s < 2
    s_valid, path = params_path(old, new, [-0.5, -0.25, -0.2, 0.0, 1.0, 1.9, 2.0, 2.5])
    np.testing.assert_array_equal(s_valid, [-0.2, 0.0, 1.0, 1.9])
    assert len(path) == 4


# ----------------------------------------------------------------------------------------
# Colours
# ----------------------------------------------------------------------------------------
def test_palette_is_okabe_ito_and_component_colors_cycle():
    assert set(P.PALETTE) == OKABE_ITO and len(P.PALETTE) == 8
    assert P.component_colors(3) == list(P.PALETTE[:3])
    assert P.component_colors(10)[8:] == list(P.PALETTE[:2])


def test_responsibility_colours_mix_the_palette():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0]])
    resp = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    points = P.plot_responsibilities(X, resp)
    rgb = points.get_facecolors()[:, :3]
    c = [np.array(to_rgb(h)) for h in P.PALETTE[:3]]
    np.testing.assert_array_equal(rgb[0], c[0])
    np.testing.assert_allclose(rgb[1], (c[0] + c[1]) / 2, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(rgb[2], c[2])
    np.testing.assert_allclose(rgb[3], 0.2 * c[0] + 0.3 * c[1] + 0.5 * c[2], rtol=0, atol=1e-15)


def test_responsibilities_can_mark_their_centres_in_the_component_colours():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    resp = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    centres = np.array([[0.2, 0.1], [1.8, 0.3]])
    ax = plt.figure().add_subplot()
    points = P.plot_responsibilities(X, resp, ax=ax, centres=centres)
    marks = [c for c in ax.collections if c is not points]
    assert len(marks) == 1
    np.testing.assert_array_equal(marks[0].get_offsets(), centres)
    np.testing.assert_array_equal(marks[0].get_facecolors()[:, :3], [to_rgb(h) for h in P.PALETTE[:2]])
    assert len(P.plot_responsibilities(X, resp, ax=plt.figure().add_subplot()).axes.collections) == 1
    with pytest.raises(ValueError, match=r"centres must have shape \(k, 2\) = \(2, 2\)"):
        P.plot_responsibilities(X, resp, centres=centres[:1])
    plt.close("all")


def test_point_size_grows_with_certainty():
    X = np.zeros((3, 2))
    resp = np.array([[1 / 3, 1 / 3, 1 / 3], [0.6, 0.2, 0.2], [0.0, 1.0, 0.0]])
    sizes = P.plot_responsibilities(X, resp, size_by_certainty=True, s=20).get_sizes()
    np.testing.assert_allclose(sizes, [0.2 * 20, 20 * (0.2 + 1.8 * 0.4), 2 * 20])


def test_plot_data_colours_by_label_and_grey_without(seed):
    X, labels, _ = seed
    coloured = P.plot_data(X, labels).get_facecolors()[:, :3]
    for j in range(3):
        expected = np.tile(to_rgb(P.PALETTE[j]), ((labels == j).sum(), 1))
        np.testing.assert_array_equal(coloured[labels == j], expected)
    grey = P.plot_data(X).get_facecolors()[:, :3]
    np.testing.assert_array_equal(grey, [to_rgb(P.DATA_GREY)])


# ----------------------------------------------------------------------------------------
# Every function: artists, labels, titles
# ----------------------------------------------------------------------------------------
def _density_1d():
    x = np.array([-2.1, -1.5, -0.3, 0.2, 2.4, 3.1, 2.9])
    params = GMM([0.6, 0.4], [[-1.0], [2.5]], [[[1.0]], [[0.5]]])
    return P.plot_density_1d(x, params, resp=emlib.e_step(x[:, None], params)[0])


BUILDERS = {
    "plot_data": lambda X, y, r: P.plot_data(X, y),
    "plot_responsibilities": lambda X, y, r: P.plot_responsibilities(X, r.responsibilities),
    "plot_ellipses": lambda X, y, r: P.plot_ellipses(r.params),
    "plot_true_vs_fitted": lambda X, y, r: P.plot_true_vs_fitted(X, seed_true_params(), r.params,
                                                                 labels=y),
    "plot_log_likelihood": lambda X, y, r: P.plot_log_likelihood(r.log_likelihoods, mark=2),
    "plot_snapshots": lambda X, y, r: P.plot_snapshots(X, r.history, [0, 1]),
    "plot_lower_bound": lambda X, y, r: P.plot_lower_bound(X, r.history[1], r.history[2],
                                                           s=np.linspace(-0.5, 1.5, 9)),
    "plot_density_1d": lambda X, y, r: _density_1d(),
}


def _artists_and_axes(result):
    """The artists a function returned and the Axes they live in."""
    if isinstance(result, plt.Axes):
        return [result], [result]
    if isinstance(result, np.ndarray):
        return list(result), list(result)
    items = [result] if isinstance(result, Artist) else [
        a for item in result if item is not None
        for a in (list(item) if isinstance(item, (list, Container)) else [item])]
    return items, list({id(a.axes): a.axes for a in items}.values())


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_plot_returns_artists_with_axis_labels_and_a_title(seed, name):
    X, labels, result = seed
    artists, axes = _artists_and_axes(BUILDERS[name](X, labels, result))
    assert artists and all(isinstance(a, (Artist, plt.Axes)) for a in artists)
    for ax in axes:
        assert ax.get_title().strip(), f"{name}: no title"
    labelled = [ax for ax in axes if ax.get_xlabel().strip() and ax.get_ylabel().strip()]
    assert labelled, f"{name}: no axis labels"


def test_title_override_and_layering_keep_the_first_title(seed):
    X, labels, result = seed
    points = P.plot_data(X, labels, title="My data")
    P.plot_ellipses(result.params, ax=points.axes)
    assert points.axes.get_title() == "My data"
    P.plot_ellipses(result.params, ax=points.axes, title="Now with ellipses")
    assert points.axes.get_title() == "Now with ellipses"


def test_two_dimensional_pictures_have_equal_aspect(seed):
    X, labels, result = seed
    assert P.plot_data(X, labels).axes.get_aspect() == 1.0
    assert P.plot_ellipses(result.params).means.axes.get_aspect() == 1.0


def test_plots_refuse_data_of_the_wrong_dimension(seed):
    X, _, result = seed
    with pytest.raises(ValueError, match="d=2"):
        P.plot_data(np.column_stack([X, X[:, 0]]))
    with pytest.raises(ValueError, match="d=2"):
        P.plot_ellipses(GMM([1.0], [[0.0]], [[[1.0]]]))
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, 1\)"):
        P.plot_density_1d(X, GMM([1.0], [[0.0]], [[[1.0]]]))
    with pytest.raises(ValueError, match="d=1"):
        P.plot_density_1d(X[:, 0], result.params)


# ----------------------------------------------------------------------------------------
# Curves
# ----------------------------------------------------------------------------------------
def test_log_likelihood_curve_shows_the_given_values(seed):
    _, _, result = seed
    values = result.log_likelihoods
    drawn = P.plot_log_likelihood(values, mark=3)
    np.testing.assert_array_equal(drawn.line.get_ydata(), values)
    np.testing.assert_array_equal(drawn.line.get_xdata(), np.arange(values.size))
    np.testing.assert_array_equal(drawn.mark_point.get_offsets(), [[3, values[3]]])
    assert drawn.mark_line.get_xdata()[0] == 3
    assert drawn.line.axes.get_xlabel() == "iteration $t$"
    assert "log p(X" in drawn.line.axes.get_ylabel()

    per_point = P.plot_log_likelihood(values, per_point_n=300, start=1)
    np.testing.assert_allclose(per_point.line.get_ydata(), values[1:] / 300, rtol=1e-15)
    np.testing.assert_array_equal(per_point.line.get_xdata(), np.arange(1, values.size))
    assert per_point.mark_line is None
    with pytest.raises(ValueError):
        P.plot_log_likelihood(values, mark=values.size)
    # it draws what it is given, even a curve that goes down (a bug elsewhere to be seen)
    bumpy = np.array([-10.0, -5.0, -7.0, -3.5])
    np.testing.assert_array_equal(P.plot_log_likelihood(bumpy).line.get_ydata(), bumpy)


def test_log_likelihood_gap_and_change_on_a_log_axis():
    # by hand: L = -10 - 2^-t (t = 0 .. 6) and a last value equal to the one before
    values = np.array([-10 - 2.0 ** -t for t in range(7)] + [-10 - 2.0 ** -6])
    gap = P.plot_log_likelihood(values, kind="gap")
    np.testing.assert_array_equal(gap.line.get_xdata(), np.arange(6))      # the last gap is 0: left out
    np.testing.assert_allclose(gap.line.get_ydata(), 2.0 ** -np.arange(6) - 2.0 ** -6, rtol=1e-12)
    assert gap.line.axes.get_yscale() == "log"
    change = P.plot_log_likelihood(values, kind="change", per_point_n=4, start=2, tols=[0.01, 1e-3, 1e-9])
    np.testing.assert_array_equal(change.line.get_xdata(), np.arange(2, 7))   # t = 7 changed by 0
    np.testing.assert_allclose(change.line.get_ydata(), 2.0 ** -np.arange(2, 7) / 4, rtol=1e-12)
    # each tol's first t with |L_t - L_{t-1}| / n < tol: 2^-t / 4 < 0.01 from t = 5; 1e-3 and 1e-9
    # only at t = 7, which changed by 0
    labels = [line.get_label() for line in change.levels]
    assert labels == ["tol 1e-2: stops at t = 5", "tol 1e-3: stops at t = 7", "tol 1e-9: stops at t = 7"]
    assert [line.get_ydata()[0] for line in change.levels] == [0.01, 1e-3, 1e-9]
    floored = P.plot_log_likelihood(values, kind="change", floor=0.1)
    np.testing.assert_array_equal(floored.line.get_xdata(), [1, 2, 3])      # 2^-t > 0.1
    with pytest.raises(ValueError, match="mark"):
        P.plot_log_likelihood(values, kind="gap", mark=2)
    with pytest.raises(ValueError, match="tols"):
        P.plot_log_likelihood(values, tols=[1e-3])
    with pytest.raises(ValueError, match="kind"):
        P.plot_log_likelihood(values, kind="log")
    with pytest.raises(ValueError, match="floor"):
        P.plot_log_likelihood(values, kind="gap", floor=1.0)


def test_lower_bound_touches_at_zero_stays_below_and_peaks_at_the_m_step(seed):
    X, _, result = seed
    old, new = result.history[2], result.history[3]
    drawn = P.plot_lower_bound(X, old, new, s=np.linspace(-0.5, 1.5, 21))   # 21: keep it fast
    s, L = drawn.log_likelihood.get_xdata(), drawn.log_likelihood.get_ydata()
    np.testing.assert_array_equal(drawn.bound.get_xdata(), s)
    B = drawn.bound.get_ydata()
    i0, i1 = np.flatnonzero(s == 0.0)[0], np.flatnonzero(s == 1.0)[0]
    assert s.min() < 0 and s.max() > 1
    # independent values: scipy's densities at theta_old, theta_new and halfway
    assert L[i0] == pytest.approx(scipy_loglik(X, old), rel=1e-10)
    assert L[i1] == pytest.approx(scipy_loglik(X, new), rel=1e-10)
    half = GMM((old.weights + new.weights) / 2, (old.means + new.means) / 2,
               (old.covariances + new.covariances) / 2)
    i_half = np.flatnonzero(np.isclose(s, 0.5, rtol=0, atol=1e-12))[0]
    assert L[i_half] == pytest.approx(scipy_loglik(X, half), rel=1e-10)
    # the bound at theta_new by hand: sum q (log pi + log N) - sum q log q, q from theta_old
    q = scipy_resp(X, old)
    log_joint = np.column_stack([np.log(w) + multivariate_normal(mean=m, cov=c).logpdf(X)
                                 for w, m, c in zip(new.weights, new.means, new.covariances)])
    assert B[i1] == pytest.approx(np.sum(q * log_joint) - np.sum(q * np.log(q)), rel=1e-9)

    assert abs(L[i0] - B[i0]) <= 1e-9                 # they touch at s = 0
    assert np.all(B <= L + 1e-9)                      # the bound is below everywhere
    assert np.argmax(B) == i1                         # the M-step maximises the bound
    assert L[i1] >= B[i1] >= L[i0]
    assert B[i1] > L[i0] + 1                          # a real step, not a flat line


def test_lower_bound_adds_zero_and_one_and_skips_invalid_mixtures():
    X = np.array([[0.0, 0.0], [0.3, -0.2], [1.0, 1.2], [1.1, 0.8], [-0.4, 0.1]])
    old = GMM([0.9, 0.1], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), 2 * np.eye(2)])
    new = emlib.m_step(X, emlib.e_step(X, old)[0])
    grid = np.linspace(-0.5, 1.5, 10)                # holds neither 0 nor 1

    def valid(s):                                    # by hand: weights > 0, covariances PD
        weights = (1 - s) * old.weights + s * new.weights
        covs = (1 - s) * old.covariances + s * new.covariances
        return weights.min() > 0 and np.linalg.eigvalsh(covs).min() > 0

    expected = [s for s in sorted([*grid, 0.0, 1.0]) if valid(s)]
    assert len(expected) < len(grid) + 2             # this path does leave the valid mixtures
    drawn = P.plot_lower_bound(X, old, new, s=grid)
    s = drawn.log_likelihood.get_xdata()
    np.testing.assert_array_equal(s, expected)
    B, L = drawn.bound.get_ydata(), drawn.log_likelihood.get_ydata()
    assert np.all(B <= L + 1e-9)


def test_density_1d_curves_integrate_to_their_weights_and_match_scipy():
    x = np.array([-2.0, -1.2, -0.8, 0.1, 2.2, 2.9, 3.4, 2.6])
    w, mu, sd = np.array([0.3, 0.5, 0.2]), np.array([-1.0, 0.5, 3.0]), np.array([0.7, 1.5, 0.4])
    params = GMM(w, mu[:, None], (sd**2)[:, None, None])
    for xs in (x, x[:, None]):
        drawn = P.plot_density_1d(xs, params)
        grid, mixture = drawn.mixture.get_xdata(), drawn.mixture.get_ydata()
        assert trapezoid(mixture, grid) == pytest.approx(1.0, abs=1e-4)
        by_hand = w[:, None] * np.exp(-(grid - mu[:, None])**2 / (2 * sd[:, None]**2)) / (
            np.sqrt(2 * np.pi) * sd[:, None])
        np.testing.assert_allclose(mixture, by_hand.sum(axis=0), rtol=1e-12, atol=1e-300)
        for j, line in enumerate(drawn.components):
            np.testing.assert_allclose(line.get_ydata(), by_hand[j], rtol=1e-12, atol=1e-300)
            assert trapezoid(line.get_ydata(), line.get_xdata()) == pytest.approx(w[j], abs=1e-4)
            assert to_rgb(line.get_color()) == to_rgb(P.PALETTE[j])
        heights = np.array([b.get_height() for b in drawn.hist])
        widths = np.array([b.get_width() for b in drawn.hist])
        assert np.sum(heights * widths) == pytest.approx(1.0)       # density=True
        assert drawn.rug is None


def test_density_1d_rug_is_coloured_by_responsibilities():
    x = np.array([-2.0, 0.0, 2.0])
    params = GMM([0.5, 0.5], [[-2.0], [2.0]], [[[1.0]], [[1.0]]])
    resp = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    rug = P.plot_density_1d(x, params, resp=resp).rug
    c0, c1 = np.array(to_rgb(P.PALETTE[0])), np.array(to_rgb(P.PALETTE[1]))
    np.testing.assert_allclose(rug.get_edgecolors()[:, :3], [c0, (c0 + c1) / 2, c1], atol=1e-15)


# ----------------------------------------------------------------------------------------
# EM over time
# ----------------------------------------------------------------------------------------
def test_view_limits_cover_data_and_ellipses_but_not_a_wild_component():
    X = np.array([[0.0, 0.0], [10.0, 5.0], [4.0, 1.0]])      # extent 10 x 5
    # 2-sigma box of N((5, 2.5), diag(1, 4)): x in [3, 7] (inside the data), y in [-1.5, 6.5]
    near = GMM([1.0], [[5.0, 2.5]], [np.diag([1.0, 4.0])])
    # 2-sigma box of N((50, 2.5), I): x up to 52, far beyond 10 + 0.3 * 10 = 13
    wild = GMM([1.0], [[50.0, 2.5]], [np.eye(2)])
    pad_x, pad_y = 0.05 * 10, 0.05 * 5

    def check(got, x_range, y_range):
        np.testing.assert_allclose(got, [[x_range[0] - pad_x, x_range[1] + pad_x],
                                         [y_range[0] - pad_y, y_range[1] + pad_y]], rtol=1e-12)

    check(P.view_limits(X), (0, 10), (0, 5))
    check(P.view_limits(X, [near]), (0, 10), (-1.5, 6.5))
    check(P.view_limits(X, [near, wild]), (0, 13), (-1.5, 6.5))   # the wild one cut at 13
    check(P.view_limits(X, [near], n_std=1.5), (0, 10), (-0.5, 5.5))   # y: 2.5 +- 3
    with pytest.raises(ValueError, match="d=2"):
        P.view_limits(X, [GMM([1.0], [[0.0]], [[[1.0]]])])


def test_snapshots_draw_one_panel_per_iteration_with_its_responsibilities(seed):
    X, _, result = seed
    T = len(result.history) - 1
    axes = P.plot_snapshots(X, result.history, [0, 1, 4, -1], ncols=3)
    assert len(axes) == 4
    assert len(axes[0].figure.axes) == 4                  # the spare grid slots are removed
    assert axes[0].figure._suptitle.get_text()        # Figure.get_suptitle needs matplotlib 3.8
    width, height = axes[0].figure.get_size_inches()
    assert width <= P.SLIDE_FIGSIZE[0] and height <= P.SLIDE_FIGSIZE[1]     # drawn for a slide
    for ax, t in zip(axes, [0, 1, 4, T]):
        assert ax.get_title() == f"t = {t}: " + r"$\ell$" + f" = {scipy_loglik(X, result.history[t]):.1f}"
        points = ax.collections[0]
        expected = scipy_resp(X, result.history[t]) @ np.array([to_rgb(c) for c in P.PALETTE[:3]])
        np.testing.assert_allclose(points.get_facecolors()[:, :3], expected, atol=1e-9)
        assert len(ax.patches) == 3 * 2                     # 1- and 2-sigma ellipse per component
    # a FitResult works as the history, and given axes are used
    fig, given = plt.subplots(ncols=2)
    drawn = P.plot_snapshots(X, result, [2, 3], axes=given)
    assert list(drawn) == list(given)
    assert given[1].get_title().startswith("t = 3")
    # a grid of six fits a slide whatever its shape; a given figsize is used
    six = P.plot_snapshots(X, result, [0, 1, 2, 3, 4, 5])
    assert np.all(six[0].figure.get_size_inches() <= P.SLIDE_FIGSIZE)
    assert tuple(P.plot_snapshots(X, result, [0, 1, 2], figsize=(11.8, 4.2))[0].figure.get_size_inches()) == (11.8, 4.2)


def test_animation_writes_one_gif_frame_per_iteration(seed, tmp_path):
    from PIL import Image

    X, _, _ = seed
    result = emlib.fit(X, seed_initial_params(), max_iter=4, tol=0, keep_history=True)
    assert len(result.history) == 5
    path = P.animate_fit(X, result.history, tmp_path / "em.gif", fps=5, dpi=40)
    assert path == tmp_path / "em.gif"
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 5
        assert gif.info["duration"] == pytest.approx(200, abs=10)
    assert plt.get_fignums() == []                         # its figure was closed


def test_maths_modules_do_not_import_matplotlib():
    code = ("import sys, emlib, emlib.geometry, emlib.data, emlib.em, emlib.gmm, emlib.init; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def criterion_scan(bic):
    """A Selection over two covariance types (tied, spherical) and k = 1, 2, 3, with the given BIC."""
    from emlib.selection import Selection

    return Selection(covariance_types=("tied",) * 3 + ("spherical",) * 3, ks=np.array([1, 2, 3] * 2),
                     fits=(None,) * 6, bic=np.asarray(bic, dtype=float), aic=np.zeros(6),
                     collapsed=np.zeros(6, int), criterion="bic", best_k=2, best_covariance_type="spherical")


def test_plot_criterion_bars_groups_the_types_by_k_and_stars_the_smallest():
    bic = [500.0, 120.0, 118.0, 900.0, 110.0, 125.0]     # the smallest: spherical, k = 2
    artists = P.plot_criterion_bars(criterion_scan(bic))
    tied, spherical = artists.bars["tied"], artists.bars["spherical"]
    np.testing.assert_array_equal([b.get_height() for b in tied], bic[:3])
    np.testing.assert_array_equal([b.get_height() for b in spherical], bic[3:])
    # each k a group: the two types side by side, centred on k, each type in its own colour
    centres = lambda bars: np.array([b.get_x() + b.get_width() / 2 for b in bars])
    np.testing.assert_allclose((centres(tied) + centres(spherical)) / 2, [1, 2, 3])
    assert np.all(centres(tied) < centres(spherical))
    assert {to_rgb(b.get_facecolor()[:3]) for b in tied} == {to_rgb(P.PALETTE[0])}
    assert {to_rgb(b.get_facecolor()[:3]) for b in spherical} == {to_rgb(P.PALETTE[1])}
    (x, y), = artists.best.get_offsets()
    assert x == pytest.approx(centres(spherical)[1]) and 110.0 < y < 118.0
    # the view: from just below the smallest to best + 4 (median - best) = 110 + 4 * 12 = 158;
    # the two bars above it (500 and 900) are labelled with their values
    ax = artists.best.axes
    bottom, top = ax.get_ylim()
    assert 100.0 < bottom < 110.0 and 158.0 < top < 165.0
    assert sorted(t.get_text() for t in artists.clipped) == ["500 \u2191", "900 \u2191"]
    labels = ax.get_legend_handles_labels()[1]
    assert "tied (EEE)" in labels and "spherical (VII)" in labels and any("spherical, k = 2" in t for t in labels)
    assert ax.get_xlabel() and "smaller is better" in ax.get_ylabel() and ax.get_title()


def test_plot_criterion_bars_draws_other_values_and_refuses_the_wrong_number():
    scan = criterion_scan([10.0, 8.0, 9.0, 12.0, 11.0, 9.5])
    artists = P.plot_criterion_bars(scan, values=[5.0, 4.0, 3.0, 6.0, 7.0, 4.5], name="ICL")
    np.testing.assert_array_equal([b.get_height() for b in artists.bars["tied"]], [5.0, 4.0, 3.0])
    assert artists.clipped == []                                # every value within the view
    assert artists.best.axes.get_ylabel() == "ICL (smaller is better)"
    with pytest.raises(ValueError, match=r"values must have one number per row of selection, shape \(6,\)"):
        P.plot_criterion_bars(scan, values=[1.0, 2.0])


def test_plot_criteria_draws_both_curves_and_marks_the_chosen_k():
    from emlib.selection import Selection

    ks = np.array([1, 2, 3, 4])
    bic, aic = np.array([10.0, 6.0, 4.0, 5.0]), np.array([9.0, 5.0, 3.5, 3.0])
    selection = Selection(covariance_types=("full",) * 4, ks=ks, fits=(None,) * 4, bic=bic, aic=aic,
                          collapsed=np.zeros(4, int), criterion="bic", best_k=3, best_covariance_type="full")
    line_bic, line_aic, mark = P.plot_criteria(selection)
    np.testing.assert_array_equal(line_bic.get_ydata(), bic)
    np.testing.assert_array_equal(line_aic.get_ydata(), aic)
    np.testing.assert_array_equal(mark.get_offsets(), [[3, 4.0]])
    ax = line_bic.axes
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


@pytest.mark.parametrize("criterion", ["bic", "aic"])
def test_plot_criteria_draws_one_line_per_covariance_type(criterion):
    """A scan over several covariance types: the criterion that chose, one line per type (never
    one line zigzagging through all the rows), labelled with both names; the chosen model marked."""
    from emlib.selection import Selection

    types = ("full",) * 3 + ("tied",) * 3
    ks = np.array([1, 2, 3, 1, 2, 3])
    bic = np.array([10.0, 6.0, 7.0, 10.0, 6.5, 5.0])
    aic = np.array([9.0, 5.0, 4.0, 9.0, 6.0, 4.5])
    best = {"bic": ("tied", 3), "aic": ("full", 3)}[criterion]
    selection = Selection(covariance_types=types, ks=ks, fits=(None,) * 6, bic=bic, aic=aic,
                          collapsed=np.zeros(6, int), criterion=criterion, best_k=best[1],
                          best_covariance_type=best[0])
    drawn = P.plot_criteria(selection)
    lines, other = (drawn.bic, drawn.aic) if criterion == "bic" else (drawn.aic, drawn.bic)
    values = bic if criterion == "bic" else aic
    assert other is None and len(lines) == 2
    for line, rows, label in zip(lines, [slice(0, 3), slice(3, 6)], ["full (VVV)", "tied (EEE)"]):
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(line.get_ydata(), values[rows])
        assert line.get_label() == f"{criterion.upper()}, {label}"
    expected = values[[i for i in range(6) if (types[i], ks[i]) == best]]
    np.testing.assert_array_equal(drawn.best.get_offsets(), [[best[1], expected[0]]])
    assert f"{best[0]}, k = {best[1]}" in drawn.best.get_label()
    np.testing.assert_array_equal(lines[0].axes.get_xticks(), [1, 2, 3])


def test_plot_images_draws_each_row_as_its_picture_in_a_grid():
    rng = np.random.default_rng(0)
    images = rng.random((7, 12))                                  # 7 pictures of 3 x 4 pixels
    titles = [f"picture {i}\nsecond line" for i in range(7)]
    axes = P.plot_images(images, (3, 4), titles, ncols=3, colorbar_label="P(pixel on)")
    fig = axes[0].figure
    assert len(axes) == 7 and len(fig.axes) == 7 + 1              # spare grid cells removed; one colour bar
    for i, ax in enumerate(axes):
        drawn = ax.images[0]
        # row-major: pixel d of row i at row d // 4, column d % 4 of its picture
        for d in range(12):
            assert drawn.get_array()[d // 4, d % 4] == images[i, d]
        assert drawn.get_clim() == (0.0, 1.0) and drawn.get_cmap().name == "gray_r"
        assert ax.get_title() == titles[i] and not ax.get_xticks().size and not ax.get_yticks().size
    rows = sorted({round(ax.get_position().y0, 3) for ax in axes})
    assert len(rows) == 3                                          # 3 + 3 + 1
    assert fig.axes[-1].get_ylabel() == "P(pixel on)"
    assert fig._suptitle.get_text() == "7 images of 3 x 4 pixels"
    width, height = fig.get_size_inches()
    assert width <= 11.8 and height <= 8


def test_plot_images_fits_a_slide_for_ten_components_and_shows_ink_dark():
    axes = P.plot_images(np.eye(10, 64), (8, 8), [f"{j}\n{j}" for j in range(10)],
                         colorbar_label="p", title="ten")
    width, height = axes[0].figure.get_size_inches()
    assert width <= 11.8 and height <= 5.6
    white, black = (axes[0].images[0].to_rgba(v)[:3] for v in (0.0, 1.0))
    assert white == (1.0, 1.0, 1.0) and black == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((np.zeros(64), (8, 8)), {}, ValueError, r"images must have shape \(m, h \* w\)"),
    ((np.zeros((2, 64)), (8, 7)), {}, ValueError, r"shape=\(8, 7\) has 56 pixels but each row of images has 64"),
    ((np.zeros((2, 64)), 8), {}, TypeError, r"shape must be a pair \(h, w\)"),
    ((np.zeros((2, 64)), (8, 8), ["one"]), {}, ValueError, r"titles has 1 entries but there are 2 images"),
    ((np.full((2, 4), np.nan), (2, 2)), {}, ValueError, r"images contains NaN"),
    ((np.zeros((2, 4)), (2, 2)), {"ncols": 0}, ValueError, r"ncols must be >= 1"),
])
def test_plot_images_refuses_bad_input_by_name(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        P.plot_images(*args, **kwargs)
