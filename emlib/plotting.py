"""Pictures of the EM algorithm: data, soft assignments, covariance ellipses, the log-likelihood
curve, the lower bound, 1-D densities and an animation of a fit.

    plot_data(X, labels)                        the points, grey or coloured by a label
    plot_responsibilities(X, resp)              soft assignment as a colour mix
    plot_ellipses(params)                       1- and 2-sigma ellipses and the means
    plot_kmeans(X, centres)                     k-means: the clusters, the centres and their cells
    plot_true_vs_fitted(X, true, fitted)        true mixture dashed, fitted mixture solid
    plot_log_likelihood(log_likelihoods)        log p(X | theta_t) over the iterations t
    plot_snapshots(X, history, iterations)      a grid of panels, one per iteration
    plot_lower_bound(X, params_old, params_new) the bound B(q, theta) under log p(X | theta)
    plot_criteria(selection)                    BIC and AIC against k (per covariance type), the choice marked
    plot_criterion_bars(selection)              BIC (or any criterion) as bars over covariance type x k
    plot_density_1d(x, params)                  histogram, mixture density and its components
    plot_images(images, shape)                  vectors as small pictures (binary data, p_j)
    plot_log_density(params, limits=...)        log p(x | theta) over the plane, a threshold's contour
    animate_fit(X, history, path)               an animated GIF of the fit
    view_limits(X, params_list)                 one fixed view for pictures of several fits

Conventions, the same for every function:
  * ax=None makes a new figure (plt.subplots, constrained layout); otherwise it draws into ax.
  * It returns the artists it drew (a matplotlib artist, or a small named tuple of them), so
    that a widget can update them in place; composite figures return their Axes.
  * Axis labels are set when the Axes has none yet.  The default title is set when the Axes
    has no title yet, so that layering (plot_data, then plot_ellipses) keeps the first one;
    title="..." always sets it.
  * Component j is drawn in PALETTE[j], the Okabe-Ito palette, which stays distinguishable
    under the common kinds of colour blindness.
  * 2-D pictures have equal aspect, so that an ellipse is not distorted.
  * Matplotlib is called with keyword arguments (positional ones have changed meaning across
    versions, e.g. Ellipse's angle); only the single subject of add_patch/set_xlabel-style
    calls is passed by position.  Nothing here calls plt.show().
"""
import math
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse
from matplotlib.ticker import MaxNLocator

from ._checks import (
    as_float_array, check_data, check_finite, check_number, check_params, check_responsibilities,
)
from .compare import align
from .covariance import MCLUST_NAMES
from .density import score_samples
from .em import e_step, log_densities, log_likelihood, lower_bound
from .geometry import ellipse_geometry, ellipse_mass, params_path
from .kmeans import assign

__all__ = [
    "PALETTE", "DATA_GREY", "FIGSIZE", "SLIDE_FIGSIZE", "LESSON_STYLE", "component_colors",
    "responsibility_colors", "ellipse_geometry", "ellipse_mass", "plot_data", "plot_ellipses", "plot_kmeans",
    "plot_responsibilities", "plot_true_vs_fitted", "plot_log_likelihood", "plot_snapshots", "plot_lower_bound",
    "plot_criteria", "plot_criterion_bars", "plot_density_1d", "plot_images", "plot_log_density", "animate_fit",
    "view_limits", "CriteriaArtists", "CriterionBarArtists", "EllipseArtists", "KMeansArtists",
    "LogLikelihoodArtists", "LowerBoundArtists", "Density1DArtists", "LogDensityArtists",
]

#: The Okabe-Ito colour-blind-safe palette, in the order given to components 0, 1, 2, ...
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Points that belong to no component yet.
DATA_GREY = "#999999"
#: Size of a single 2-D picture, in inches.
FIGSIZE = (6.4, 5.4)
#: The largest figure that fits under a heading on a 1280 x 720 slide, in inches at 100 dpi
#: (1180 x 560 pixels): composite figures (the snapshot grid) are drawn to fit it.
SLIDE_FIGSIZE = (11.8, 5.6)
#: Type sizes that read on a projected slide as well as on a laptop: the lessons start with
#: plt.style.use(plotting.LESSON_STYLE), and emlib.figures draws every figure under it.  At 100 dpi
#: 14 pt is about 19 px; a slide shows a figure at 80% of its size or more (tests/browsing.py),
#: so the smallest text (ticks, 12 pt) stays above 13 px on a 1280 x 720 projector.
LESSON_STYLE = {
    "font.size": 14.0,
    "axes.titlesize": 16.0,
    "axes.labelsize": 14.0,
    "xtick.labelsize": 12.0,
    "ytick.labelsize": 12.0,
    "legend.fontsize": 12.0,
    "legend.title_fontsize": 12.0,
    "figure.titlesize": 17.0,
    "figure.dpi": 100.0,
    "lines.linewidth": 2.0,
}


class EllipseArtists(NamedTuple):
    """What plot_ellipses drew: the Ellipse patches (component by component, in the order of
    n_std within each) and the PathCollection of the means."""

    ellipses: list
    means: object


class KMeansArtists(NamedTuple):
    """What plot_kmeans drew: the cells (an AxesImage, or None without them), the points and the
    centres (PathCollections)."""

    cells: object
    points: object
    centres: object


class CriteriaArtists(NamedTuple):
    """What plot_criteria drew: the BIC and the AIC line (Line2D), or, from a scan over several
    covariance types, a list of lines (one per type) for the criterion that chose and None for
    the other; and the marker of the chosen model (PathCollection)."""

    bic: object
    aic: object
    best: object


class LogLikelihoodArtists(NamedTuple):
    """What plot_log_likelihood drew: the curve (Line2D); with mark=t, the vertical line and
    the highlighted point (None without mark); with tols, their horizontal lines (levels)."""

    line: object
    mark_line: object = None
    mark_point: object = None
    levels: list = []


class LowerBoundArtists(NamedTuple):
    """What plot_lower_bound drew: the log-likelihood curve and the bound curve (Line2D, x-data
    s, y-data L and B), and the marks at s = 0 and s = 1 (a list of artists)."""

    log_likelihood: object
    bound: object
    marks: list


class CriterionBarArtists(NamedTuple):
    """What plot_criterion_bars drew: the bars of each covariance type (a dict type ->
    BarContainer, bar i for the i-th k of that type), the star marking the best model
    (PathCollection), and the texts giving the values of bars cut off at the top (list of Text)."""

    bars: dict
    best: object
    clipped: list


class Density1DArtists(NamedTuple):
    """What plot_density_1d drew: the histogram (BarContainer), the mixture curve (Line2D), the
    component curves (list of Line2D) and the rug (PathCollection, or None without resp)."""

    hist: object
    mixture: object
    components: list
    rug: object = None


# ----------------------------------------------------------------------------------------
# Colours
# ----------------------------------------------------------------------------------------
def component_colors(k):
    """The colours of components 0 .. k-1: the Okabe-Ito PALETTE in order (repeating after 8).

    Returns a list of k hex strings.
    """
    check_number(k, "k", minimum=1, integer=True)
    return [PALETTE[j % len(PALETTE)] for j in range(k)]


def responsibility_colors(resp, colors=None):
    """Each point's colour as the mix of the component colours, weighted by its responsibilities.

    rgb_i = sum_j gamma[i, j] rgb_j

    so a point that component 0 explains fully gets colour 0, and a point shared half-half
    between components 0 and 1 gets the average of their colours.

    resp: gamma, (n, k) rows summing to 1; colors: k matplotlib colours (default
    component_colors(k)).  Returns (n, 3) RGB values in [0, 1].
    """
    resp = as_float_array(resp, "resp")
    if resp.ndim != 2:
        raise ValueError(f"resp must be 2-D with shape (n, k), but has shape {resp.shape}")
    resp = check_responsibilities(resp, resp.shape[0])
    rgb = _rgb(colors, resp.shape[1])
    return np.clip(resp @ rgb, 0.0, 1.0)          # clip: rounding may step 1e-16 outside


def _rgb(colors, k):
    colors = component_colors(k) if colors is None else list(colors)
    if len(colors) < k:
        raise ValueError(f"colors has {len(colors)} colours but there are k={k} components")
    return np.array([to_rgb(c) for c in colors[:k]])


# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------
def _new_axes(ax, figsize=FIGSIZE):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _finish(ax, xlabel, ylabel, title, default_title):
    """Label the axes (unless already labelled) and set the title (see the module docstring)."""
    if not ax.get_xlabel():
        ax.set_xlabel(xlabel)
    if not ax.get_ylabel():
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    elif not ax.get_title():
        ax.set_title(default_title)


def _finish_2d(ax, title, default_title):
    both_shared = all(len(group.get_siblings(ax)) > 1
                      for group in (ax.get_shared_x_axes(), ax.get_shared_y_axes()))
    # equal aspect by widening the limits, unless both axes are shared (then matplotlib
    # refuses that, and the box is resized instead)
    ax.set_aspect(aspect="equal", adjustable="box" if both_shared else "datalim")
    _finish(ax, "$x_1$", "$x_2$", title, default_title)


def _points_2d(X):
    X = check_data(X)
    if X.shape[1] != 2:
        raise ValueError(
            f"X must have d=2 columns to be drawn in the plane, but has d={X.shape[1]}"
            + ("; for 1-D data use plot_density_1d" if X.shape[1] == 1 else "")
        )
    return X


def _params_2d(params, name="params"):
    params = check_params(params, name)
    if params.d != 2:
        raise ValueError(
            f"{name} must be a 2-D mixture (d=2) to draw its ellipses, but has d={params.d}"
        )
    return params


def _resp_for(X, resp, k=None):
    resp = check_responsibilities(resp, X.shape[0])
    if k is not None and resp.shape[1] != k:
        raise ValueError(f"resp has {resp.shape[1]} columns but params has k={k} components")
    return resp


def _n_stds(n_std):
    values = tuple(float(r) for r in np.atleast_1d(n_std))
    if not values or any(not np.isfinite(r) or r <= 0 for r in values):
        raise ValueError(f"n_std must be one or more positive numbers, got {n_std!r}")
    return values


def _sigma_text(n_stds):
    return " and ".join(f"{r:g}σ" for r in n_stds)


def _line(ax, x, y, **props):
    """Add a Line2D with keyword-only properties (ax.plot takes its data positionally)."""
    line = ax.add_line(Line2D(xdata=np.asarray(x), ydata=np.asarray(y), **props))
    ax.autoscale_view()
    return line


def _history(history):
    """A FitResult (fitted with keep_history=True) or a sequence of GMMs -> a tuple of GMMs."""
    if hasattr(history, "log_likelihoods"):
        if history.history is None:
            raise ValueError("this FitResult has no history: fit with fit(..., keep_history=True)")
        history = history.history
    history = tuple(history)
    if not history:
        raise ValueError("history is empty: it must hold theta_0 .. theta_T")
    for t, params in enumerate(history):
        check_params(params, f"history[{t}]")
    return history


def _iteration(t, history, name="iteration"):
    n = len(history)
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not -n <= t < n:
        raise ValueError(
            f"{name} must be an integer in 0..{n - 1} "
            f"(history holds theta_0 .. theta_{n - 1}), got {t!r}"
        )
    return int(t) % n


def view_limits(X, params_list=(), n_std=2.0, pad=0.05, reach=0.3):
    """Fixed axis limits for a sequence of 2-D pictures (the panels of plot_snapshots, the frames
    of animate_fit, the explorer's slider): the data, and the ellipses as far as `reach` times
    the data's extent beyond it (so a wild early component cannot shrink the data), plus a
    margin of `pad` times the extent.

    The n_std ellipse of N(mu, Sigma) spans mu_a +- n_std sqrt(Sigma_aa) along axis a.
    X: (n, 2); params_list: GMMs with d = 2 (e.g. a fit's history).  Returns (xlim, ylim).
    """
    X = _points_2d(X)
    params_list = [_params_2d(params, f"params_list[{i}]") for i, params in enumerate(params_list)]
    data_lo, data_hi = X.min(axis=0), X.max(axis=0)
    extent = np.maximum(data_hi - data_lo, 1e-12)
    lo, hi = data_lo.copy(), data_hi.copy()
    for params in params_list:
        half = n_std * np.sqrt(np.diagonal(params.covariances, axis1=1, axis2=2))   # (k, 2)
        lo = np.minimum(lo, (params.means - half).min(axis=0))
        hi = np.maximum(hi, (params.means + half).max(axis=0))
    lo = np.maximum(lo, data_lo - reach * extent) - pad * extent
    hi = np.minimum(hi, data_hi + reach * extent) + pad * extent
    return (lo[0], hi[0]), (lo[1], hi[1])


# ----------------------------------------------------------------------------------------
# 2-D pictures
# ----------------------------------------------------------------------------------------
def plot_data(X, labels=None, ax=None, *, colors=None, s=18, alpha=0.8, title=None):
    """Scatter plot of 2-D data, grey, or coloured by an integer label per point.

    X: (n, 2) points; labels: None or (n,) integers 0 .. k-1 (e.g. the true components),
    point i drawn in colors[labels[i]] (default PALETTE).  s: marker area.
    Returns the PathCollection of the points.
    """
    X = _points_2d(X)
    ax = _new_axes(ax)
    if labels is None:
        c, default_title = DATA_GREY, f"The data: n = {X.shape[0]} points"
    else:
        labels = np.asarray(labels)
        if labels.shape != (X.shape[0],) or labels.dtype.kind not in "iub" or labels.min() < 0:
            raise ValueError(
                f"labels must be (n,) = ({X.shape[0]},) non-negative integers, "
                f"got shape {labels.shape}, dtype {labels.dtype}"
            )
        c = _rgb(colors, int(labels.max()) + 1)[labels]
        default_title = f"The data: n = {X.shape[0]} points, coloured by component"
    points = ax.scatter(x=X[:, 0], y=X[:, 1], s=s, c=c, alpha=alpha, edgecolors="white",
                        linewidths=0.4, zorder=2)
    _finish_2d(ax, title, default_title)
    return points


def plot_responsibilities(X, resp, ax=None, *, colors=None, size_by_certainty=False, s=18,
                          alpha=0.9, title=None, centres=None):
    """Scatter plot of 2-D data showing the soft assignment of every point as a colour mix.

    colour_i = sum_j gamma[i, j] colour_j        (see responsibility_colors)

    A point deep inside component j has colour j; a point between two components has a colour
    between theirs.  With size_by_certainty, the marker area grows with max_j gamma[i, j],
    from 0.2 s (all k components equally responsible) to 2 s (one component certain).
    centres: (k, 2), e.g. the means the responsibilities were computed from, drawn as crosses
    in the component colours (as plot_kmeans draws its centres).

    X: (n, 2); resp: gamma, (n, k).  Returns the PathCollection of the points.
    """
    X = _points_2d(X)
    resp = _resp_for(X, resp)
    if centres is not None:
        centres = as_float_array(centres, "centres")
        if centres.shape != (resp.shape[1], 2):
            raise ValueError(f"centres must have shape (k, 2) = ({resp.shape[1]}, 2), one per column of resp, "
                             f"but has shape {centres.shape}")
        check_finite(centres, "centres")
    ax = _new_axes(ax)
    rgb = responsibility_colors(resp, colors)
    sizes = s
    if size_by_certainty:
        k = resp.shape[1]
        certainty = (resp.max(axis=1) - 1 / k) / (1 - 1 / k) if k > 1 else np.ones(len(resp))
        sizes = s * (0.2 + 1.8 * certainty)
    points = ax.scatter(x=X[:, 0], y=X[:, 1], s=sizes, c=rgb, alpha=alpha, edgecolors="white",
                        linewidths=0.3, zorder=2)
    if centres is not None:
        _centre_marks(ax, centres, _rgb(colors, len(centres)))
    _finish_2d(ax, title, "Soft assignments: each point's colour mixes the\n"
                          r"component colours by its responsibilities $\gamma_{ij}$")
    return points


def plot_ellipses(params, ax=None, n_std=(1, 2), colors=None, linestyle="-", label=None, *,
                  linewidth=2.0, mean_marker="X", title=None):
    """The n_std-sigma ellipses of every component of a 2-D mixture, and a marker at each mean.

    Component j's ellipse {x : (x - mu_j)^T Sigma_j^{-1} (x - mu_j) = r^2} for each r in n_std
    (axes 2 r sqrt(eigenvalues of Sigma_j): standard deviations, not variances; see
    ellipse_geometry).  In 2-D the 1-sigma ellipse holds 39.3% of the component's mass and the
    2-sigma one 86.5% (ellipse_mass).  The smallest n_std is drawn thickest.

    params: a GMM with d = 2; n_std: one number or several; colors: k colours (default
    PALETTE); label: a legend label for the whole set (attached to the first ellipse).
    Returns EllipseArtists(ellipses, means): the Ellipse patches, component by component and
    in the order of n_std within each, and the PathCollection of the means.
    """
    params = _params_2d(params)
    n_stds = _n_stds(n_std)
    ax = _new_axes(ax)
    colors = [tuple(c) for c in _rgb(colors, params.k)]
    rank = {r: i for i, r in enumerate(sorted(set(n_stds)))}
    ellipses = []
    for j in range(params.k):
        for r in n_stds:
            width, height, angle = ellipse_geometry(params.covariances[j], r)
            extra = {"label": label} if (label is not None and not ellipses) else {}
            patch = Ellipse(xy=tuple(params.means[j]), width=width, height=height, angle=angle,
                            fill=False, edgecolor=colors[j], linestyle=linestyle,
                            linewidth=linewidth * (1.0 if rank[r] == 0 else 0.6), zorder=3, **extra)
            ellipses.append(ax.add_patch(patch))
    means = ax.scatter(x=params.means[:, 0], y=params.means[:, 1], s=110, c=np.array(colors),
                       marker=mean_marker, edgecolors="black", linewidths=1.0, zorder=4)
    ax.autoscale_view()
    masses = " and ".join(f"{100 * ellipse_mass(r):.0f}%" for r in n_stds)
    _finish_2d(ax, title, f"Mixture components: {_sigma_text(n_stds)} ellipses\n"
                          f"(holding {masses} of each component's mass) and means")
    return EllipseArtists(ellipses, means)


def plot_kmeans(X, centres, labels=None, ax=None, *, cells=True, colors=None, s=18, pixels=300,
                title=None):
    """k-means' picture: the points coloured by cluster, the centres, and each centre's cell.

    cell_j = {x : ||x - c_j||^2 <= ||x - c_l||^2 for every l}    (where assign gives label j)

    The cells (the Voronoi regions of the centres) are shaded lightly in the cluster colours,
    over the data's extent and the centres' plus a margin, on a grid of pixels x pixels: their
    borders are the straight lines halfway between two centres, which is all k-means can draw.

    X: (n, 2); centres: (k, 2); labels: (n,) cluster numbers 0 .. k-1 (default assign(X,
    centres), each point's nearest centre; pass others to show an assignment that is not).
    Returns KMeansArtists(cells, points, centres); cells is None with cells=False.
    """
    X = _points_2d(X)
    centres = as_float_array(centres, "centres")
    if centres.ndim != 2 or centres.shape[1] != 2 or len(centres) == 0:
        raise ValueError(f"centres must have shape (k, 2) with k >= 1, but has shape {centres.shape}")
    check_finite(centres, "centres")
    check_number(pixels, "pixels", minimum=2, integer=True)
    k = len(centres)
    labels = assign(X, centres) if labels is None else np.asarray(labels)
    ax = _new_axes(ax)
    rgb = _rgb(colors, k)
    image = None
    if cells:
        both = np.vstack([X, centres])
        lo, hi = both.min(axis=0), both.max(axis=0)
        lo, hi = lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)
        edges = [np.linspace(lo[a], hi[a], pixels + 1) for a in range(2)]
        middles = [0.5 * (e[1:] + e[:-1]) for e in edges]
        grid = np.stack(np.meshgrid(*middles), axis=-1).reshape(-1, 2)       # row-major: y, then x
        nearest = assign(grid, centres).reshape(pixels, pixels)
        image = ax.imshow(0.78 + 0.22 * rgb[nearest], extent=(lo[0], hi[0], lo[1], hi[1]), origin="lower",
                          interpolation="nearest", zorder=0)
        ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    points = plot_data(X, labels, ax=ax, colors=[tuple(c) for c in rgb], s=s, title="")
    marks = _centre_marks(ax, centres, rgb)
    _finish_2d(ax, title, f"k-means: {k} clusters, their centres (X)\nand each centre's cell")
    if cells:
        ax.set_aspect(aspect="equal", adjustable="box")   # the cells fill the axes exactly
    return KMeansArtists(image, points, marks)


def _centre_marks(ax, centres, rgb):
    """The centres as crosses with a black edge, in the colours rgb (k, 3), above the points."""
    return ax.scatter(x=centres[:, 0], y=centres[:, 1], s=160, c=rgb, marker="X", edgecolors="black",
                      linewidths=1.2, zorder=4)


def plot_true_vs_fitted(X, true_params, fitted_params, ax=None, labels=None, *, match=True,
                        n_std=(1, 2), title=None):
    """The data with the true mixture's ellipses dashed and the fitted mixture's solid.

    With match=True the fitted components are first reordered to line up with the true ones
    (compare.align: EM's component numbering is arbitrary), so that component j has the same
    colour in both.  The legend sits outside the axes, to the right, so as not to hide data.

    X: (n, 2); true_params, fitted_params: GMMs with d = 2; labels: None (grey points) or (n,)
    true component of each point (coloured like the true components).
    Returns the Axes (a composite picture).
    """
    X = _points_2d(X)
    true_params = _params_2d(true_params, "true_params")
    fitted_params = _params_2d(fitted_params, "fitted_params")
    if match and fitted_params.k == true_params.k:
        fitted_params = align(fitted_params, true_params)
    ax = _new_axes(ax, figsize=(8.2, 5.4))
    plot_data(X, labels=labels, ax=ax, alpha=0.6, title="")
    plot_ellipses(true_params, ax=ax, n_std=n_std, linestyle="--", linewidth=1.6,
                  mean_marker="P", title="")
    plot_ellipses(fitted_params, ax=ax, n_std=n_std, linestyle="-", linewidth=2.0, title="")
    data_colour = PALETTE[0] if labels is not None else DATA_GREY
    handles = [
        Line2D(xdata=[], ydata=[], linestyle="none", marker="o", markersize=5,
               markerfacecolor=data_colour, markeredgecolor="white", alpha=0.6,
               label="data" + (" (colour: true component)" if labels is not None else "")),
        Line2D(xdata=[], ydata=[], color="0.25", linestyle="--", linewidth=1.6, marker="P",
               markersize=9, markerfacecolor="0.6", markeredgecolor="black", label="true mixture"),
        Line2D(xdata=[], ydata=[], color="0.25", linestyle="-", linewidth=2.0, marker="X",
               markersize=9, markerfacecolor="0.6", markeredgecolor="black", label="fitted by EM"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
              frameon=False, title=f"ellipses: {_sigma_text(_n_stds(n_std))}")
    ax.set_title(title if title is not None else
                 "The true mixture (dashed) and the mixture fitted by EM (solid)")
    return ax


class LogDensityArtists(NamedTuple):
    """What plot_log_density drew: the filled contours of log p(x | theta) (a QuadContourSet),
    its colour bar, and the threshold's contour line (None without a threshold)."""

    filled: object
    colorbar: object
    threshold: object = None


def plot_log_density(params, ax=None, *, limits, threshold=None, span=12.0, n_grid=200, title=None):
    """The mixture's log density over a window of the plane, and a threshold's contour.

    log p(x | theta) = logsumexp_j [log pi_j + log N(x | mu_j, Sigma_j)]   (emlib.score_samples)

    Filled contours, darker where the density is higher, every 2 nats from the largest value on
    the grid (rounded up) down to `span` below it (lower values share the lightest colour); with a threshold, the
    contour log p(x | theta) = threshold drawn as a thick black line: inside it the points a
    detector keeps, outside it those it flags.

    params: a GMM with d = 2; limits: ((x_min, x_max), (y_min, y_max)), e.g. view_limits(X);
    threshold: None or a log density.  Returns LogDensityArtists(filled, colorbar, threshold).
    """
    params = _params_2d(params)
    (x0, x1), (y0, y1) = limits
    check_number(span, "span", minimum=0, strict=True)
    n_grid = check_number(n_grid, "n_grid", minimum=2, integer=True)
    if threshold is not None:
        threshold = check_number(threshold, "threshold", minimum=-np.inf)
    ax = _new_axes(ax)
    xx, yy = np.meshgrid(np.linspace(x0, x1, n_grid), np.linspace(y0, y1, n_grid))
    log_p = score_samples(np.column_stack([xx.ravel(), yy.ravel()]), params).reshape(xx.shape)
    top = np.ceil(log_p.max())
    filled = ax.contourf(xx, yy, log_p, levels=np.arange(top - span, top + 1, 2.0), cmap="Blues",
                         extend="min", zorder=0)
    colorbar = ax.figure.colorbar(filled, ax=ax, label=r"$\log p(x \mid \theta)$", shrink=0.85)
    line = None
    if threshold is not None:
        line = ax.contour(xx, yy, log_p, levels=[threshold], colors="black", linewidths=2.0,
                          linestyles="solid", zorder=1)
    ax.set_xlim(left=x0, right=x1)
    ax.set_ylim(bottom=y0, top=y1)
    ax.set_aspect(aspect="equal", adjustable="box")            # the window as given, undistorted
    _finish(ax, "$x_1$", "$x_2$", title, "The mixture's log density" + ("" if threshold is None else
                                                                        f" and the contour log p = {threshold:.2f}"))
    return LogDensityArtists(filled, colorbar, line)


# ----------------------------------------------------------------------------------------
# Curves
# ----------------------------------------------------------------------------------------
def plot_log_likelihood(log_likelihoods, ax=None, mark=None, per_point_n=None, *, start=0,
                        kind="value", tols=(), floor=None, title=None):
    """The log-likelihood after each EM iteration, t = 0 (the initial parameters) .. T.

    L_t = log p(X | theta_t) = sum_i log sum_j pi_j N(x_i | mu_j, Sigma_j)   (never decreases)

    kind="value"   L_t against t.
    kind="gap"     L_T - L_t on a log axis, t = start .. T - 1: how far each iteration is from
                   where the run ended (for a run that has converged, L_T stands in for the
                   limit L*).  Linear convergence, L* - L_t ~ c r^t, is a straight line of slope
                   log r: the gap shrinks by the same factor r every iteration.
    kind="change"  |L_t - L_{t-1}| on a log axis, t = max(start, 1) .. T: what a stopping rule
                   compares with its tolerance.  tols: tolerances drawn as horizontal lines, each
                   labelled with the first t whose change falls below it (where fit(tol=...)
                   stops, with per_point_n = n).
    On a log axis, a gap or change at or below `floor` is left out (a log axis cannot show 0,
    and below a few units in the last digit of L it is rounding): floor defaults to
    1e-10 max_t |L_t|.

    log_likelihoods: (T + 1,), e.g. FitResult.log_likelihoods.  mark: an iteration t to
    highlight (a vertical line and a point; kind="value" only).  per_point_n: the number of
    points n, to plot the average L_t / n instead (comparable across data sets of different
    sizes; fit's tol is on this scale).  start: the first t drawn (from a poor start, L_0 can be
    so low that it flattens the rest of the curve).
    Returns LogLikelihoodArtists(line, mark_line, mark_point, levels); the line's x-data are the
    iterations t drawn and its y-data the values plotted; levels: the tolerance lines.
    """
    values = as_float_array(log_likelihoods, "log_likelihoods")
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"log_likelihoods must have shape (T + 1,), but has shape {values.shape}")
    check_finite(values, "log_likelihoods")
    if kind not in ("value", "gap", "change"):
        raise ValueError(f'kind must be "value", "gap" or "change", got {kind!r}')
    if kind != "value" and mark is not None:
        raise ValueError(f'mark is drawn on the curve of values: use kind="value", not {kind!r}')
    tols = np.atleast_1d(as_float_array(tols, "tols")).ravel()
    if tols.size and (kind != "change" or np.any(~np.isfinite(tols)) or np.any(tols <= 0)):
        raise ValueError('tols are positive tolerances drawn on the curve of changes (kind="change"), '
                         f"got tols={tols.tolist()} with kind={kind!r}")
    def scaled(term):                               # "l_T - l_t", or "(l_T - l_t) / n" per point
        if per_point_n is None:
            return term
        return f"{term} / n" if term.startswith("|") else f"({term}) / n"
    if per_point_n is not None:
        check_number(per_point_n, "per_point_n", minimum=1, integer=True)
        values = values / per_point_n
    T = values.size - 1
    start = _iteration(start, values, "start")
    t = np.arange(start, T + 1)
    if kind == "value":
        shown = values[start:]
        ylabel = (r"log-likelihood $\log p(X \mid \theta_t)$" if per_point_n is None else
                  r"average log-likelihood $\frac{1}{n}\log p(X \mid \theta_t)$")
    else:
        if floor is None:
            floor = 1e-10 * np.abs(values).max()
        floor = check_number(floor, "floor", minimum=0)
        if kind == "gap":
            t, shown = t[t < T], values[T] - values[t[t < T]]
            ylabel = "gap to the end $" + scaled(r"\ell_T - \ell_t") + "$ (log scale)"
        else:
            t = t[t >= 1]
            shown = np.abs(values[t] - values[t - 1])
            ylabel = "change $" + scaled(r"|\ell_t - \ell_{t-1}|") + "$ (log scale)"
        keep = shown > floor
        t, shown = t[keep], shown[keep]
        if not t.size:
            raise ValueError(f"every {kind} is at or below floor={floor:.3g}: nothing to draw on a log axis")
    ax = _new_axes(ax, figsize=(6.4, 4.2))
    line = _line(ax, t, shown, color=PALETTE[0], linewidth=1.8, marker="o", markersize=4.5,
                 label=ylabel)
    if kind != "value":
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))          # whole iterations only
    ax.grid(visible=True, alpha=0.3)
    mark_line = mark_point = None
    if mark is not None:
        m = _iteration(mark, values, "mark")
        if m < start:
            raise ValueError(f"mark={mark} is before start={start}: it would not be drawn")
        mark_line = ax.axvline(x=m, color=PALETTE[5], linestyle=":", linewidth=1.5, zorder=1)
        mark_point = ax.scatter(x=[m], y=[values[m]], s=90, color=PALETTE[5], edgecolors="black",
                                zorder=4, label=f"t = {m}")
        # the label where there is room: above a point in the lower half of the curve (not
        # over the x tick labels), to the left of a point in the right half (not past the edge)
        low = values[m] - shown.min() < (shown.max() - shown.min()) / 2
        late = m - start > (T - start) / 2
        ax.annotate(text=f"t = {m}: {values[m]:.2f}", xy=(m, values[m]),
                    xytext=(-10 if late else 10, 10 if low else -10), textcoords="offset points",
                    ha="right" if late else "left", va="bottom" if low else "top",
                    color=PALETTE[5], fontsize="medium")
    levels = []
    changes = np.abs(np.diff(values))
    for tol, color in zip(sorted(tols, reverse=True), PALETTE[1:]):
        below = np.flatnonzero(changes < tol)
        where = f"t = {below[0] + 1}" if below.size else f"not by t = {T}"
        name = np.format_float_scientific(tol, trim="-", exp_digits=1)
        level = ax.axhline(y=tol, color=color, linestyle="--", linewidth=1.5, zorder=1,
                           label=f"tol {name}: stops at {where}")
        # named at the right edge, outside the curve: the tolerance and where it stops
        ax.annotate(text=f"{name}: {where}", xy=(1.0, tol), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", va="center", color=color,
                    fontsize="medium", annotation_clip=False)
        levels.append(level)
    default = {"value": "Log-likelihood after each EM iteration\n"
                        + ("(t = 0: the initial parameters)" if start == 0 else f"(from t = {start} to T = {T})"),
               "gap": f"Distance to the end, t = {T}",
               "change": "Change in each iteration"}[kind]
    _finish(ax, "iteration $t$", ylabel, title, default)
    return LogLikelihoodArtists(line, mark_line, mark_point, levels)


def plot_criteria(selection, ax=None, *, title=None):
    """BIC and AIC against the number of components, the chosen model marked (smaller is better).

    BIC(k) = -2 log p(X | theta_k) + p(k, d) log n,   AIC(k) = -2 log p(X | theta_k) + 2 p(k, d)

    selection: what emlib.selection.choose_k returns (its ks, bic, aic, criterion, best_k and,
    from a scan over several covariance structures, covariance_types and best_covariance_type).
    One covariance type: the BIC line and the AIC line.  Several: the criterion that chose
    (selection.criterion) only, one line per type against k, labelled with scikit-learn's and
    mclust's names ("tied (EEE)"), in the order the scan fitted them.
    Returns CriteriaArtists(bic, aic, best): with one type the BIC and the AIC Line2D; with
    several, the criterion's field is a list of Line2D (one per type) and the other is None;
    best is the marker of the chosen model.
    """
    types = tuple(getattr(selection, "covariance_types", ()) or ("full",) * len(selection.ks))
    if len(types) != len(selection.ks):
        raise ValueError(f"selection has {len(selection.ks)} ks but {len(types)} covariance_types")
    kinds = tuple(dict.fromkeys(types))                                  # in the order fitted
    chosen_type = getattr(selection, "best_covariance_type", kinds[0])
    rows = np.array(types) == chosen_type
    chosen = getattr(selection, selection.criterion)[rows & (np.asarray(selection.ks) == selection.best_k)]
    ax = _new_axes(ax)
    if len(kinds) == 1:
        lines = {
            "bic": _line(ax, selection.ks, selection.bic, color=PALETTE[0], linewidth=1.8, marker="o",
                         label="BIC"),
            "aic": _line(ax, selection.ks, selection.aic, color=PALETTE[1], linewidth=1.8, marker="s",
                         linestyle="--", label="AIC"),
        }
        which = f"k = {selection.best_k}"
    else:
        values = getattr(selection, selection.criterion)
        markers = ("o", "s", "^", "D", "v", "P")
        drawn = []
        for i, kind in enumerate(kinds):
            of_kind = np.array(types) == kind
            drawn.append(_line(ax, np.asarray(selection.ks)[of_kind], values[of_kind],
                               color=PALETTE[i % len(PALETTE)], linewidth=1.8,
                               marker=markers[i % len(markers)],
                               label=f"{selection.criterion.upper()}, {kind} ({MCLUST_NAMES.get(kind, '?')})"))
        lines = {"bic": None, "aic": None, selection.criterion: drawn}
        which = f"{chosen_type}, k = {selection.best_k}"
    best = ax.scatter(x=[selection.best_k], y=chosen, s=160, facecolors="none", edgecolors="black",
                      linewidths=1.5, zorder=4, label=f"chosen by {selection.criterion.upper()}: {which}")
    ax.set_xticks(np.unique(selection.ks))
    ax.legend(loc="best")
    _finish(ax, "number of components k", "criterion (smaller is better)", title,
            "Information criteria against the number of components")
    return CriteriaArtists(lines["bic"], lines["aic"], best)


def plot_criterion_bars(selection, values=None, ax=None, *, name=None, title=None):
    """A criterion for every model of a scan over covariance types and k, as grouped bars
    (smaller is better): one group per k, one bar per covariance type, the smallest starred.

    values[i] belongs to row i of selection (covariance_types[i], ks[i]); by default
    selection's own criterion, e.g. BIC(type, k) = -2 log p(X | theta) + p(k, d, type) log n.
    Any other per-row number, smaller better, can be drawn the same way (ICL, or -2 times a
    held-out log-likelihood), with its name for the axis.  The view starts just below the
    smallest value and stops at best + 4 (median - best), so that the differences near the
    best stay visible; a bar cut off there is labelled with its value.  The type's colour is
    PALETTE[i] for the i-th type of the scan; the legend gives mclust's name beside each.

    selection: what emlib.selection.choose_k returns (covariance_types, ks, criterion);
    values: None or (m,) numbers, one per row; name: what the values are (default "BIC" or
    "AIC").  Returns CriterionBarArtists(bars, best, clipped).
    """
    kinds, ks = tuple(selection.covariance_types), np.asarray(selection.ks)
    values = getattr(selection, selection.criterion) if values is None else as_float_array(values, "values")
    if values.shape != ks.shape:
        raise ValueError(f"values must have one number per row of selection, shape {ks.shape}, "
                         f"but has shape {values.shape}")
    check_finite(values, "values")
    name = selection.criterion.upper() if name is None else name
    types = list(dict.fromkeys(kinds))
    groups = np.unique(ks)
    width = 0.8 / len(types)
    ax = _new_axes(ax, figsize=(11.0, 4.6))
    best = int(np.argmin(values))
    floor, middle = values[best], np.median(values)
    top = values.max() if values.max() <= floor + 4 * (middle - floor) else floor + 4 * (middle - floor)
    margin = 0.08 * max(top - floor, 1e-12 * max(abs(floor), 1.0))
    bars, clipped, centre = {}, [], {}
    for i, kind in enumerate(types):
        rows = np.flatnonzero(np.array(kinds) == kind)
        x = ks[rows] + (i - (len(types) - 1) / 2) * width
        centre.update({int(r): float(xr) for r, xr in zip(rows, x)})
        bars[kind] = ax.bar(x=x, height=values[rows], width=width, color=PALETTE[i % len(PALETTE)],
                            edgecolor="white", linewidth=0.6, label=f"{kind} ({MCLUST_NAMES[kind]})")
        for xr, v in zip(x, values[rows]):
            if v > top + margin:
                clipped.append(ax.text(x=xr, y=top + 0.9 * margin, s=f"{v:.0f} \u2191", rotation=90,
                                       ha="center", va="top", color="white", fontsize="small",
                                       fontweight="bold"))
    star = ax.scatter(x=[centre[best]], y=[floor + 0.35 * margin], marker="*", s=260, color="black",
                      zorder=4, label=f"smallest: {kinds[best]}, k = {ks[best]} ({floor:.2f})")
    ax.set_ylim(bottom=floor - margin, top=top + margin)
    ax.set_xticks(groups)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)
    _finish(ax, "number of components k", f"{name} (smaller is better)", title,
            f"{name} of every covariance structure and number of components")
    return CriterionBarArtists(bars, star, clipped)


def plot_lower_bound(X, params_old, params_new, ax=None, s=np.linspace(-0.5, 1.5, 81), *,
                     title=None):
    """Why EM never goes down: the log-likelihood and the E-step's lower bound along a path.

    On the straight path theta(s) = (1 - s) theta_old + s theta_new (interpolate_params) it
    draws
        L(s) = log p(X | theta(s))                                  (the log-likelihood)
        B(s) = B(q_old, theta(s)),  q_old = gamma under theta_old    (the bound, lower_bound)
    B <= L everywhere; they touch at s = 0 (the E-step makes the bound tight); B is largest at
    s = 1 (the M-step maximises it), so L(theta_new) >= B(q_old, theta_new) >= L(theta_old).
    s = 0 and s = 1 are always included; values of s where theta(s) is no valid mixture (a
    weight <= 0 or a covariance not positive definite, possible only outside [0, 1]) are skipped.
    The y-axis shows the step: curves that plunge far below log p(X | theta_old) are cut off.

    X: (n, d) (any d); params_old = theta_t, params_new = m_step(X, e_step(X, theta_t)[0]);
    s: (m,) values.  Returns LowerBoundArtists(log_likelihood, bound, marks): two Line2D with
    x-data s and y-data L and B, and the list of mark artists.
    """
    X = check_data(X)
    s = as_float_array(s, "s").ravel()
    s = np.union1d(s[(np.abs(s) > 1e-9) & (np.abs(s - 1) > 1e-9)], [0.0, 1.0])   # exactly 0, 1
    q_old, loglik_old = e_step(X, params_old)
    s_valid, L, B = [], [], []
    for s_i, params in zip(*params_path(params_old, params_new, s)):
        try:
            L_i, B_i = log_likelihood(X, params), lower_bound(X, params, q_old)
        except ValueError:             # points too far from every component: skip this s
            continue
        s_valid.append(s_i)
        L.append(L_i)
        B.append(B_i)
    s_valid, L, B = np.array(s_valid), np.array(L), np.array(B)
    ax = _new_axes(ax, figsize=(11.0, 3.9))
    line_L = _line(ax, s_valid, L, color=PALETTE[0], linewidth=2.2,
                   label=r"log-likelihood $\ell(\theta(s))$")
    line_B = _line(ax, s_valid, B, color=PALETTE[1], linewidth=2.2, linestyle="--",
                   label=r"lower bound $\mathcal{B}(q_{old}, \theta(s))$")
    i1 = int(np.flatnonzero(s_valid == 1.0)[0])
    top = int(np.argmax(L))
    marks = [
        ax.axhline(y=loglik_old, color="0.5", linestyle=":", linewidth=1.0, zorder=1,
                   label=r"level of $\ell(\theta_{old})$"),
        ax.scatter(x=[0.0], y=[loglik_old], s=70, color="black", zorder=4,
                   label="s = 0: the bound touches\n(E-step), with the same slope"),
        ax.scatter(x=[1.0, 1.0], y=[B[i1], L[i1]], s=70, color=[PALETTE[1], PALETTE[0]],
                   edgecolors="black", zorder=4,
                   label="s = 1: the bound's maximum\n(M-step)"),
    ]
    if 0 < top < len(s_valid) - 1 and top != i1:     # the log-likelihood's own peak on the path
        marks.append(ax.scatter(x=[s_valid[top]], y=[L[top]], s=110, marker="*", color=PALETTE[0],
                                edgecolors="black", zorder=4,
                                label=f"s = {s_valid[top]:.2f}: the log-likelihood's\nhighest point on this line"))
    # Far outside [0, 1] the bound can plunge by orders of magnitude; keep the step in view.
    rise = max(L[i1] - loglik_old, 1e-9 * abs(loglik_old))
    low, high = min(L.min(), B.min()), max(L.max(), B.max())
    bottom = max(low, loglik_old - 0.6 * rise)
    margin = 0.05 * (high - bottom)
    ax.set_ylim(bottom=bottom - margin, top=high + margin)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False)
    ax.grid(visible=True, alpha=0.3)
    _finish(ax, r"$s$ on the path $\theta(s) = (1-s)\,\theta_{old} + s\,\theta_{new}$",
            "log-likelihood and bound", title,
            "One EM step: the bound touches the log-likelihood at s = 0 (E-step)\n"
            "and is largest at s = 1 (M-step), so the log-likelihood cannot go down")
    return LowerBoundArtists(line_L, line_B, marks)


def plot_density_1d(x, params, ax=None, resp=None, bins=30, *, colors=None, title=None):
    """1-D data as a histogram, with the mixture density and its weighted components on top.

    p(x) = sum_j pi_j N(x | mu_j, sigma_j^2)      (the mixture, black)
    pi_j N(x | mu_j, sigma_j^2)                   (component j, dashed, in colour j)

    The curves are computed on a grid reaching 5 standard deviations past every component, so
    that each integrates to its weight (and the mixture to 1); the view stops at 3.5.  With
    resp, a rug of the points
    below the histogram shows each point's soft assignment as a colour mix.

    x: (n,) or (n, 1); params: a GMM with d = 1; resp: None or gamma (n, k).
    Returns Density1DArtists(hist, mixture, components, rug).
    """
    x = as_float_array(x, "x")
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must have shape (n,) or (n, 1) with n >= 1, but has shape {x.shape}")
    check_finite(x, "x")
    params = check_params(params)
    if params.d != 1:
        raise ValueError(f"params must be a 1-D mixture (d=1), but has d={params.d}")
    if resp is not None:
        resp = _resp_for(x[:, None], resp, params.k)
    mu, sd, w = params.means[:, 0], np.sqrt(params.covariances[:, 0, 0]), params.weights
    grid = np.linspace(min(x.min(), (mu - 5 * sd).min()), max(x.max(), (mu + 5 * sd).max()), 801)
    weighted = (w * np.exp(log_densities(grid[:, None], params))).T                    # (k, m)
    ax = _new_axes(ax, figsize=(8.4, 4.6))
    _, _, hist = ax.hist(x=x, bins=bins, density=True, color="0.85", edgecolor="white",
                         label="data (histogram)", zorder=1)
    rgb = _rgb(colors, params.k)
    mixture = _line(ax, grid, weighted.sum(axis=0), color="black", linewidth=2.4, zorder=2,
                    label=r"mixture $p(x)$")
    components = [
        _line(ax, grid, weighted[j], color=tuple(rgb[j]), linewidth=1.8, linestyle="--",
              zorder=3,
              label=rf"$\pi_{{{j}}}\,\mathcal{{N}}(x \mid \mu_{{{j}}}, \sigma_{{{j}}}^2)$")
        for j in range(params.k)
    ]
    rug = None
    top = max(weighted.sum(axis=0).max(), max(b.get_height() for b in hist))
    if resp is not None:
        rug = ax.scatter(x=x, y=np.full(x.size, -0.06 * top), s=120, marker="|",
                         c=responsibility_colors(resp, colors), linewidths=1.2, zorder=3)
        ax.axhline(y=0.0, color="0.6", linewidth=0.8, zorder=1)
        ax.set_ylim(bottom=-0.12 * top, top=1.05 * top)
    else:
        ax.set_ylim(bottom=0.0, top=1.05 * top)
    view = 3.5 * sd                                   # the curves go on to 5 sd, off-view
    ax.set_xlim(left=min(x.min(), (mu - view).min()), right=max(x.max(), (mu + view).max()))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False)
    _finish(ax, "$x$", "density", title,
            "The data (histogram), the mixture density and its weighted components"
            + ("\nrug: each point coloured by its responsibilities" if resp is not None else ""))
    return Density1DArtists(hist, mixture, components, rug)


# ----------------------------------------------------------------------------------------
# Images: binary data and the components of a Bernoulli mixture
# ----------------------------------------------------------------------------------------
def plot_images(images, shape, titles=None, *, ncols=5, cmap="gray_r", vmin=0.0, vmax=1.0,
                colorbar_label=None, title=None, panel_size=1.8):
    """Vectors drawn as small pictures in a grid: binary images, or each component's p_j.

    Row i of images, (m, h * w), is drawn as an h x w picture, filled row by row (as
    sklearn.datasets.load_digits stores its 8 x 8 images: pixel d at row d // w, column d % w),
    a value v in the shade of cmap at (v - vmin) / (vmax - vmin).  The default, "gray_r" on
    [0, 1], draws 0 white and 1 black, like ink: a greyscale, which no colour blindness changes.
    For a mixture of Bernoullis, images = params.probabilities shows p_jd = P(pixel d on | j).

    shape: (h, w).  titles: m strings, one per picture (a newline makes two lines), or None.
    ncols: pictures per row.  colorbar_label: draw one colour bar for all pictures, with this
    label (e.g. "P(pixel on)"); None: no colour bar.  title: the figure's title (default: how
    many pictures of how many pixels).  panel_size: inches per picture (the defaults give 5
    columns in 11 inches, the width of a slide).
    Returns the array of the m Axes, picture i in axes[i].images[0] (spare grid cells removed).
    """
    images = as_float_array(images, "images")
    if images.ndim != 2 or images.shape[0] == 0:
        raise ValueError(f"images must have shape (m, h * w), one picture per row, but has shape {images.shape}")
    check_finite(images, "images")
    try:
        h, w = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise TypeError(f"shape must be a pair (h, w) of integers, not {shape!r}") from None
    if h < 1 or w < 1 or h * w != images.shape[1]:
        raise ValueError(f"shape={tuple(shape)} has {h * w} pixels but each row of images has "
                         f"{images.shape[1]}: h * w must equal images.shape[1]")
    m = images.shape[0]
    if titles is not None:
        titles = [str(t) for t in titles]
        if len(titles) != m:
            raise ValueError(f"titles has {len(titles)} entries but there are {m} images")
    check_number(ncols, "ncols", minimum=1, integer=True)
    check_number(panel_size, "panel_size", minimum=0, strict=True)
    ncols = min(int(ncols), m)
    nrows = math.ceil(m / ncols)
    title_lines = max((t.count("\n") + 1 for t in titles), default=0) if titles else 0
    panel_w = panel_size * w / max(h, w)
    panel_h = panel_size * h / max(h, w) + 0.28 * title_lines + 0.1
    fig, grid = plt.subplots(nrows=nrows, ncols=ncols, squeeze=False, layout="constrained",
                             figsize=(round(ncols * panel_w + (1.1 if colorbar_label else 0.2), 2),
                                      round(nrows * panel_h + 0.6, 2)))
    for spare in grid.ravel()[m:]:
        spare.remove()
    axes = grid.ravel()[:m]
    for i, ax in enumerate(axes):
        picture = ax.imshow(images[i].reshape(h, w), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles:
            ax.set_title(titles[i], fontsize="medium")
    if colorbar_label:
        fig.colorbar(picture, ax=list(axes), label=colorbar_label, shrink=0.9)
    fig.suptitle(title if title is not None else f"{m} images of {h} x {w} pixels")
    return axes


# ----------------------------------------------------------------------------------------
# EM over time
# ----------------------------------------------------------------------------------------
def _draw_iteration(ax, X, params, n_std, limits, s=14):
    """Responsibilities under params as colours and params' ellipses, in the fixed view
    limits = (xlim, ylim); returns log p(X | params)."""
    resp, loglik = e_step(X, params)
    plot_responsibilities(X, resp, ax=ax, s=s, title="")
    plot_ellipses(params, ax=ax, n_std=n_std, linewidth=1.6, title="")
    (left, right), (bottom, top) = limits
    ax.set_xlim(left=left, right=right)
    ax.set_ylim(bottom=bottom, top=top)
    ax.set_aspect(aspect="equal", adjustable="box")
    return loglik


def _grid_figsize(nrows, ncols, aspect, room=SLIDE_FIGSIZE):
    """The size (inches) of a grid of equal-aspect panels (height / width = aspect) with a
    one-line title each, a shared axis label on each side and a one-line figure title: the
    largest that fits `room` (a slide, under its heading), with panels at most 3.6 inches wide.
    Rounded to 0.1 inch, so that the size is the same on every machine."""
    side, top, title, gap = 0.7, 0.45, 0.35, 0.05       # tick labels and axis label; figure title; panel title
    wide = (room[0] - side - gap * (ncols - 1)) / ncols
    high = ((room[1] - side - top) / nrows - title - gap) / aspect
    panel = min(wide, high, 3.6)
    return (round(min(room[0], ncols * (panel + gap) + side), 1),
            round(min(room[1], nrows * (panel * aspect + title + gap) + side + top), 1))


def plot_snapshots(X, history, iterations, axes=None, ncols=3, *, n_std=(1, 2), figsize=None,
                   title=None):
    """A grid of panels showing EM at chosen iterations (in the spirit of Bishop's Fig. 9.8).

    Panel t: the data coloured by the responsibilities under theta_t (e_step) and theta_t's
    1- and 2-sigma ellipses, titled "t = ..." with the log-likelihood.  All panels share the
    same axis limits (the data's, widened for the ellipses up to 30% of the data's extent).

    X: (n, 2); history: the tuple theta_0 .. theta_T (FitResult.history; a FitResult fitted
    with keep_history=True works too); iterations: the t to show (negative counts from the
    end); axes: None (a new figure, ncols panels per row) or at least len(iterations) Axes.
    Returns the array of the len(iterations) Axes drawn into.
    """
    X = _points_2d(X)
    history = _history(history)
    ts = [_iteration(t, history) for t in np.atleast_1d(iterations).tolist()]
    if not ts:
        raise ValueError("iterations is empty: give at least one t")
    for t in ts:
        _params_2d(history[t], f"history[{t}]")
    n_std = _n_stds(n_std)
    xlim, ylim = view_limits(X, [history[t] for t in ts], max(n_std))
    created = axes is None
    if created:
        check_number(ncols, "ncols", minimum=1, integer=True)
        ncols = min(ncols, len(ts))
        nrows = math.ceil(len(ts) / ncols)
        fig, grid = plt.subplots(nrows=nrows, ncols=ncols,
                                 figsize=figsize or _grid_figsize(nrows, ncols, (ylim[1] - ylim[0]) / (xlim[1] - xlim[0])),
                                 sharex=True, sharey=True, squeeze=False, layout="constrained")
        for spare in grid.ravel()[len(ts):]:
            spare.remove()
        axes = grid.ravel()[: len(ts)]
    else:
        axes = np.asarray(axes, dtype=object).ravel()
        if axes.size < len(ts):
            raise ValueError(f"axes has {axes.size} Axes but {len(ts)} iterations were asked for")
        axes = axes[: len(ts)]
        fig = axes[0].figure
    for ax, t in zip(axes, ts):
        loglik = _draw_iteration(ax, X, history[t], n_std, (xlim, ylim), s=12)
        ax.set_title(f"t = {t}: " + r"$\ell$" + f" = {loglik:.1f}", fontsize="medium")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    if created:
        for ax in axes:
            ax.label_outer()
        for i, ax in enumerate(axes):
            if i // ncols < nrows - 1 and i + ncols >= len(ts):   # empty slot below: show x-axis
                ax.xaxis.set_tick_params(labelbottom=True)
                ax.set_xlabel("$x_1$")
        fig.suptitle(t=title if title is not None else
                     f"EM at iterations t = {', '.join(map(str, ts))}: responsibilities as colour "
                     f"mixes, {_sigma_text(n_std)} ellipses; " + r"$\ell$ = log-likelihood",
                     wrap=True)                                  # a narrow grid: on two lines
    return axes


def animate_fit(X, history, path, fps=4, *, n_std=(1, 2),
                title="EM on the seed data\niteration {t}: log-likelihood {loglik:.2f}",
                figsize=(6.0, 5.4), dpi=80):
    """Write an animated GIF of an EM fit, one frame per iteration t = 0 .. T.

    Frame t: the data coloured by the responsibilities under theta_t and theta_t's ellipses,
    with a fixed view (the data, widened for the ellipses) so that only EM moves.  A file, so
    that static notebook viewers show the animation too.

    X: (n, 2); history: theta_0 .. theta_T (or a FitResult with history); path: the .gif file
    to write (its folder is created); title: a format string with fields {t}, {T} and {loglik}.
    Returns the Path written.
    """
    X = _points_2d(X)
    history = _history(history)
    for t, params in enumerate(history):
        _params_2d(params, f"history[{t}]")
    n_std = _n_stds(n_std)
    check_number(fps, "fps", minimum=0, strict=True)
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must name a .gif file, got {str(path)!r}")
    if not animation.PillowWriter.isAvailable():
        raise RuntimeError(
            "writing a GIF needs Pillow (a matplotlib dependency): pip install pillow"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    T = len(history) - 1
    limits = view_limits(X, history, max(n_std))
    fig, ax = plt.subplots(figsize=figsize)
    # fixed margins, so that frames do not jump; room at the top for the title's lines
    lines = title.count("\n") + 1
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.11,
                        top=1 - (0.15 + 0.3 * lines) / fig.get_size_inches()[1])

    # Each frame is drawn once, by the writer's grab_frame: FuncAnimation.save would also draw
    # every frame on the figure's own canvas first (twice the work, the same file).
    writer = animation.PillowWriter(fps=fps)
    try:
        with writer.saving(fig, str(path), dpi):
            for t, params in enumerate(history):
                ax.clear()
                loglik = _draw_iteration(ax, X, params, n_std, limits)
                ax.set_title(title.format(t=t, T=T, loglik=loglik))
                writer.grab_frame()
    finally:
        plt.close(fig)
    return path
