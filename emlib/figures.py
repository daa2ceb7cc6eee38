"""Every figure of the series, regenerated from code.

    python -m emlib.figures [OUTDIR]                 (or: make figures)
    python -m emlib.figures [OUTDIR] --only NAME ... (just those: figure names or em_animation)

writes into OUTDIR (default: the repository's figures/ folder) every figure of FIGURES as a PNG
(150 dpi, for slides) and an SVG (for print), the animated GIF em_animation.gif (EM converging
on the seed data), the same at slide size, em_animation_large.gif, and README.md, the index of
them all.

    FIGURES                    the registry: name -> draw(fig), each with .figsize, .shows, .notebooks
    render(name)               the matplotlib Figure of one registry figure
    save_figure(name, outdir)  its PNG and SVG; returns the two paths
    save_animation(outdir)     em_animation.gif (name=ANIMATION_LARGE_NAME, dpi=ANIMATION_LARGE_DPI:
                               em_animation_large.gif)
    generate(outdir)           everything above, and README.md
    expected_files()           the names of every file generate() writes

Reproducible: the same code on the same machine writes byte-identical files.  Every figure is
drawn under one fixed style (matplotlib's defaults plus FIXED_RC, whatever the user's
matplotlibrc or style says) on a Figure that pyplot does not manage, rendered by Agg; the PNG
carries no software version, the SVG no date, no creator and ids numbered in order; the GIF
(Pillow) holds no timestamp.

Across machines: a fit's last digits depend on the BLAS kernel and thread count (another CPU),
so every fitted value is rounded to DECIMALS decimals before it is drawn (steady), far below a
pixel; the files then come out byte-identical under every OpenBLAS kernel we could try.  What is
left (another zlib in Pillow, a last digit that still flips) the writing absorbs: a file whose
new content is the same picture (emlib._unchanged: every pixel within a few levels, every SVG
coordinate within 0.001 pt) is left untouched.  Another matplotlib version lays text out
differently and does rewrite the files.
"""
import argparse
import dataclasses
import functools
import io
import tempfile
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath

from . import _unchanged, course, data, plotting
from .em import e_step, fit, m_step
from .geometry import ellipse_mass
from .gmm import GMM

__all__ = [
    "FIGURES", "FIXED_RC", "DEFAULT_OUTDIR", "ANIMATION_STEM", "ANIMATION_NAME", "ANIMATION_LARGE_NAME",
    "ANIMATION_ITERATIONS", "DECIMALS", "steady",
    "fixed_style", "render", "save_figure", "save_animation", "generate", "expected_files",
    "readme_text", "main",
]

#: Where `python -m emlib.figures` writes by default: the repository's figures/ folder.
DEFAULT_OUTDIR = Path(__file__).resolve().parents[1] / "figures"
#: Resolution of the PNGs (the SVGs are vector graphics).
PNG_DPI = 150
#: The style every figure is drawn in, on top of matplotlib's defaults: the lessons' type sizes
#: (plotting.LESSON_STYLE, which read on a projected slide), and what makes the files reproducible.
FIXED_RC = {
    **plotting.LESSON_STYLE,
    "font.family": "DejaVu Sans",          # shipped with matplotlib: the same glyphs everywhere
    "mathtext.fontset": "dejavusans",
    "savefig.dpi": PNG_DPI,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "path",                # text as paths: no font needed to print the SVG
    "svg.hashsalt": "emlib-figures",       # ids from a fixed salt (then numbered: _unchanged.svg_ids)
}
PNG_METADATA = {"Software": None}                      # no matplotlib version in the file
SVG_METADATA = {"Date": None, "Creator": None}         # no date, no version
#: The animation: EM from the seed's start, ANIMATION_ITERATIONS iterations (tol=0), fps frames/s.
ANIMATION_STEM = "em_animation"
ANIMATION_NAME = ANIMATION_STEM + ".gif"
ANIMATION_ITERATIONS = 20
ANIMATION_FPS = 3
ANIMATION_DPI = 96                                     # 576 x 518 pixels, about 0.5 MB
#: The same animation for full-screen slides (a 1280 x 720 canvas, under a heading): 720 x 648.
ANIMATION_LARGE_NAME = ANIMATION_STEM + "_large.gif"
ANIMATION_LARGE_DPI = 120
#: How the index names the repository's own README.md (which shows the animation).
REPO_README = "the repository's README"
#: How the index names the instructor's guide, INSTRUCTORS.md (which shows the course map).
INSTRUCTORS_GUIDE = "the instructor's guide, INSTRUCTORS.md"
#: The documents (not notebooks) that a figure's .notebooks may name.
DOCUMENTS = (REPO_README, INSTRUCTORS_GUIDE)
#: Fitted values are rounded to this many decimals before they are drawn: 1e-6 is about 1e-4
#: of a pixel here, and far above the ~1e-12 by which BLAS kernels make a fit differ.
DECIMALS = 6


@contextmanager
def fixed_style():
    """Draw under matplotlib's defaults plus FIXED_RC; the caller's settings come back afterwards."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()            # drops the user's matplotlibrc and style (not the backend)
        matplotlib.rcParams.update(FIXED_RC)
        yield


# ----------------------------------------------------------------------------------------
# The data and fits the figures show (computed once per process), rounded before drawing
# ----------------------------------------------------------------------------------------
def steady(value):
    """value, rounded to DECIMALS decimals so that its picture does not depend on the BLAS kernel
    that computed it: a GMM (weights renormalised, covariances kept symmetric), responsibilities
    (rows renormalised), a FitResult (all of these, and its log-likelihoods), or an array."""
    if isinstance(value, GMM):
        weights = np.round(value.weights, DECIMALS)
        covariances = np.round(value.covariances, DECIMALS)
        return GMM(weights / weights.sum(), np.round(value.means, DECIMALS),
                   (covariances + covariances.transpose(0, 2, 1)) / 2)
    if dataclasses.is_dataclass(value):                  # a FitResult
        history = value.history and tuple(map(steady, value.history))
        return dataclasses.replace(value, params=steady(value.params), history=history,
                                   log_likelihoods=np.round(value.log_likelihoods, DECIMALS),
                                   responsibilities=_steady_rows(value.responsibilities))
    return np.round(value, DECIMALS)


def _steady_rows(resp):
    """Responsibilities rounded (steady), each row renormalised to sum to 1."""
    resp = steady(resp)
    return resp / resp.sum(axis=1, keepdims=True)


def _steady_resp(X, params):
    """The responsibilities under params, rounded (steady)."""
    return _steady_rows(e_step(X, params)[0])


@functools.lru_cache(maxsize=None)
def _seed():
    """X, labels, the true mixture and the seed's start theta_0."""
    X, labels = data.seed_data()
    return X, labels, data.seed_true_params(), data.seed_initial_params()


@functools.lru_cache(maxsize=None)
def _seed_run():
    """EM from the seed's start for exactly 30 iterations (tol=0), with its history."""
    X, _, _, theta0 = _seed()
    return steady(fit(X, theta0, max_iter=30, tol=0, keep_history=True))


@functools.lru_cache(maxsize=None)
def _seed_converged():
    """EM from the seed's start with the default stopping rule (as the notebooks run it)."""
    X, _, _, theta0 = _seed()
    return steady(fit(X, theta0))


# ----------------------------------------------------------------------------------------
# The registry
# ----------------------------------------------------------------------------------------
#: name -> draw(fig): draws the figure into an empty matplotlib Figure.  Each function also
#: carries .figsize (inches), .shows (one line for the index), .notebooks (the lessons that show
#: it) and .calls (what a lesson's code cell holds when it draws it: see _figure).
FIGURES = {}


def _figure(name, *, figsize, shows, notebooks, calls):
    """Register draw(fig) as figure `name`.  notebooks: the lessons that show it, each in a code cell
    that holds every fragment of `calls` (its plotting calls, e.g. "plot_snapshots(", and the
    arguments that make it this picture): tests/test_figures.py checks it."""
    def register(draw):
        draw.figure_name, draw.figsize, draw.shows = name, figsize, shows
        draw.notebooks, draw.calls = notebooks, calls
        FIGURES[name] = draw
        return draw
    return register


def _component_legend(ax, params, title, **legend_kwargs):
    """A legend naming each component by its colour and mean."""
    handles = [
        Line2D(xdata=[], ydata=[], linestyle="none", marker="o", markersize=7,
               markerfacecolor=color, markeredgecolor="white",
               label=f"component {j}: mean ({params.means[j, 0]:g}, {params.means[j, 1]:g})")
        for j, color in enumerate(plotting.component_colors(params.k))
    ]
    return ax.legend(handles=handles, title=title, **legend_kwargs)


def _title(fig, text):
    """The figure's title, centred over the whole figure (its legend included) and wrapped to its
    width, so that no line runs past an edge."""
    return fig.suptitle(t=text, wrap=True)


@_figure("seed_data_true_components", figsize=(10.0, 5.6), notebooks=("01_data_generation",),
         calls=("plot_data(X, labels=labels", "plot_ellipses(true_params"),
         shows="the seed's 300 points coloured by the component that drew them, with the true "
               "components' 1σ and 2σ ellipses")
def seed_data_true_components(fig):
    X, labels, true, _ = _seed()
    ax = fig.add_subplot()
    plotting.plot_data(X, labels=labels, ax=ax, title="")
    plotting.plot_ellipses(true, ax=ax, n_std=(1, 2), linestyle="--", title="")
    _component_legend(ax, true, title="true components (Σ = I)", loc="upper left",
                      bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False)
    _title(fig, "The seed's data: 100 points from each of three Gaussians, coloured by the "
                "component that drew them; the true 1σ and 2σ ellipses dashed")


@_figure("seed_fit_vs_truth", figsize=(10.0, 5.6), notebooks=("00_the_seed_script",),
         calls=("plot_true_vs_fitted(",),
         shows="the true mixture (dashed) against the mixture EM fits from the seed's start (solid)")
def seed_fit_vs_truth(fig):
    X, labels, true, _ = _seed()
    ax = fig.add_subplot()
    plotting.plot_true_vs_fitted(X, true, _seed_converged().params, ax=ax, labels=labels, title="")
    _title(fig, "EM from the seed's start (solid) recovers the true components (dashed)")


@_figure("e_step_responsibilities", figsize=(11.8, 5.4), notebooks=("02_e_step",),
         calls=("theta0", "plot_responsibilities(", "plot_ellipses(params"),
         shows="soft assignments as colour mixes, at the seed's start θ₀ and after EM converged")
def e_step_responsibilities(fig):
    X, _, _, theta0 = _seed()
    axes = fig.subplots(ncols=2)
    for ax, params, when in zip(axes, [theta0, _seed_converged().params],
                                [r"at the seed's start $\theta_0$", "after EM converged"]):
        resp = _steady_resp(X, params)
        plotting.plot_responsibilities(X, resp, ax=ax, title=f"Responsibilities {when}")
        plotting.plot_ellipses(params, ax=ax, n_std=(1, 2))
    _title(fig, "The E-step: each point coloured by its responsibilities "
                r"$\gamma_{ij}$ (a mix of the component colours); 1σ and 2σ ellipses")


@_figure("m_step_one_iteration", figsize=(10.0, 5.6), notebooks=("03_m_step",),
         calls=("plot_responsibilities(", "plot_ellipses(theta0", "plot_ellipses(theta1"),
         shows="one M-step: the components move from θ₀ (dashed) to θ₁ (solid), over the "
               "responsibilities under θ₀")
def m_step_one_iteration(fig):
    X, _, _, theta0 = _seed()
    resp = _steady_resp(X, theta0)
    theta1 = steady(m_step(X, resp))
    ax = fig.add_subplot()
    plotting.plot_responsibilities(X, resp, ax=ax, title="")
    plotting.plot_ellipses(theta0, ax=ax, n_std=(1,), linestyle="--", linewidth=1.6, mean_marker="P",
                           title="")
    plotting.plot_ellipses(theta1, ax=ax, n_std=(1, 2), title="")
    for old, new, color in zip(theta0.means, theta1.means, plotting.component_colors(theta0.k)):
        ax.annotate(text="", xy=tuple(new), xytext=tuple(old), zorder=5,
                    arrowprops={"arrowstyle": "->", "color": color, "linewidth": 1.8,
                                "shrinkA": 6, "shrinkB": 6})
    handles = [
        Line2D(xdata=[], ydata=[], color="0.3", linestyle="--", linewidth=1.6, marker="P",
               markersize=9, markerfacecolor="0.7", markeredgecolor="black",
               label=r"$\theta_0$: before the M-step"),
        Line2D(xdata=[], ydata=[], color="0.3", linestyle="-", linewidth=2.0, marker="X",
               markersize=9, markerfacecolor="0.7", markeredgecolor="black",
               label=r"$\theta_1$: after the M-step"),
        Line2D(xdata=[], ydata=[], color="0.3", linestyle="none", marker=r"$\rightarrow$",
               markersize=14, label="each mean's move"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
              frameon=False)
    _title(fig, r"One EM iteration: the M-step moves $\theta_0$ (dashed, 1σ) to $\theta_1$ (solid, "
                r"1σ and 2σ) using the responsibilities under $\theta_0$ (colour)")


@_figure("lower_bound", figsize=(11.8, 4.8), notebooks=("04_convergence",),
         calls=("plot_lower_bound(X, theta1, theta2",),
         shows="the lower bound B(q, θ) under the log-likelihood along the path from θ₁ to θ₂: "
               "why EM never goes down, and why its step is conservative")
def lower_bound(fig):
    X = _seed()[0]
    history = _seed_run().history
    ax = fig.add_subplot()
    plotting.plot_lower_bound(X, history[1], history[2], ax=ax, title="")
    _title(fig, r"One EM step on the seed data, $\theta_1$ to $\theta_2$: the bound touches the "
                "log-likelihood at s\u00a0=\u00a00 and peaks at s\u00a0=\u00a01; the log-likelihood "
                "rises further")


#: Gaps to the end below this are not drawn: the log-likelihoods are rounded to DECIMALS decimals.
GAP_FLOOR = 1e-4


@_figure("log_likelihood_curve", figsize=(11.8, 4.8), notebooks=("04_convergence",),
         calls=("plot_log_likelihood(", '"gap"'),
         shows="the log-likelihood after each of 30 EM iterations from the seed's start, from t = 1, "
               "and its distance to the end on a log axis (the plateau, then linear convergence)")
def log_likelihood_curve(fig):
    log_likelihoods = _seed_run().log_likelihoods
    left, right = fig.subplots(ncols=2)
    plotting.plot_log_likelihood(log_likelihoods, ax=left, start=1,
                                 title=r"$\ell_t$ from t = 1 ($\ell_0$ = " f"{log_likelihoods[0]:.0f})")
    plotting.plot_log_likelihood(log_likelihoods, ax=right, start=1, kind="gap", floor=GAP_FLOOR,
                                 title=r"$\ell_{30} - \ell_t$ on a log axis")
    _title(fig, "EM on the seed data from the seed's start: the log-likelihood never decreases; "
                "after a slow stretch its distance to the end falls about fifty-fold per iteration")


SNAPSHOT_ITERATIONS = (0, 1, 5, 8, 12, 30)


@_figure("snapshots", figsize=(11.8, 5.6), notebooks=("04_convergence",),
         calls=("plot_snapshots(X, run.history",),
         shows="EM at iterations 0, 1, 5, 8, 12 and 30 from the seed's start (responsibilities and "
               "ellipses), beside the log-likelihood curve with those iterations marked")
def snapshots(fig):
    X = _seed()[0]
    run = _seed_run()
    grid_fig, curve_fig = fig.subfigures(ncols=2, width_ratios=(7.4, 4.4))
    grid = grid_fig.subplots(nrows=2, ncols=3, sharex=True, sharey=True)
    axes = plotting.plot_snapshots(X, run.history, list(SNAPSHOT_ITERATIONS), axes=grid)
    for ax in axes:
        ax.label_outer()
    curve = curve_fig.add_subplot()
    plotting.plot_log_likelihood(run.log_likelihoods, ax=curve, start=1,
                                 title=r"log-likelihood $\ell$, the panels marked")
    shown = [t for t in SNAPSHOT_ITERATIONS if t >= 1]
    curve.scatter(x=shown, y=run.log_likelihoods[shown], s=90, color=plotting.PALETTE[5],
                  edgecolors="black", zorder=4)
    _title(fig, "EM on the seed data from the seed's start: responsibilities as colour mixes, "
                "1σ and 2σ ellipses")


#: The Gaussian of ellipse_sigma_levels: component 0 of notebook 01's rotated example.
SIGMA_GAUSSIAN = GMM([1.0], [[0.0, 0.0]], [[[2.0, 1.2], [1.2, 1.0]]])


@_figure("ellipse_sigma_levels", figsize=(11.8, 5.6), notebooks=(),
         calls=("plot_ellipses(", "n_std=(1, 2, 3)"),
         shows="one rotated Gaussian with its 1σ, 2σ and 3σ ellipses and the probability mass "
               "inside each (39.3%, 86.5%, 98.9% in 2-D)")
def ellipse_sigma_levels(fig):
    g = SIGMA_GAUSSIAN
    points, _ = data.sample(g, n=2000, rng=np.random.default_rng(1))
    z = np.linalg.solve(g.cholesky[0], (points - g.means[0]).T)   # L^{-1}(x - mu)
    d2 = (z ** 2).sum(axis=0)                                       # squared Mahalanobis distance
    ax = fig.add_subplot()
    plotting.plot_data(points, ax=ax, s=7, alpha=0.45, title="")
    for r, linestyle in zip((1, 2, 3), ("-", "--", ":")):
        plotting.plot_ellipses(
            g, ax=ax, n_std=(r,), linestyle=linestyle, linewidth=2.0, title="",
            label=f"{r}σ: {100 * ellipse_mass(r):.1f}% of the mass\n"
                  f"({100 * np.mean(d2 <= r ** 2):.1f}% of these {len(points)} points)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False,
              title="$\\mathcal{N}(\\mu, \\Sigma)$, $\\mu$ = (0, 0),\n$\\Sigma$ = [[2, 1.2], [1.2, 1]]")
    _title(fig, f"One Gaussian (with {len(points)} points drawn from it) and its 1σ, 2σ and 3σ "
                "ellipses: in 2-D they hold 39.3%, 86.5% and 98.9% of its mass (not the 68-95-99.7% of 1-D)")


#: The 1-D mixture of density_1d, and the sample EM is fitted to.
DENSITY_1D_TRUE = GMM([0.35, 0.65], [[-1.5], [2.0]], [[[0.6]], [[1.4]]])


@_figure("density_1d", figsize=(11.0, 4.8), notebooks=(),
         calls=("plot_density_1d(",),
         shows="a 1-D two-component mixture fitted by EM to 400 sampled points: histogram, "
               "fitted density and its weighted components")
def density_1d(fig):
    x, _ = data.sample(DENSITY_1D_TRUE, n=400, rng=np.random.default_rng(3))
    result = steady(fit(x, 2, rng=0))
    ax = fig.add_subplot()
    plotting.plot_density_1d(x, result.params, ax=ax, resp=result.responsibilities, title="")
    _title(fig, f"A 1-D mixture fitted by EM (k = 2) to {len(x)} points: histogram, fitted density "
                "and its weighted components; rug: each point coloured by its responsibilities")


#: The course map's layout, in data units: one row per lesson (by its number, top to bottom),
#: one column per part of the course; a part starts below the last lesson of the part before.
COURSE_COLUMN = 3.9            # distance between the columns of two parts
COURSE_BOX = (3.0, 0.64)       # width, height of a lesson's box (rows are 1 apart)
COURSE_LANE = 0.14             # distance between two arrows' vertical lanes


def _course_box(ax, item, column, color):
    """Draw one lesson's box on the course map; returns its centre."""
    width, height = COURSE_BOX
    x, y = column * COURSE_COLUMN, -int(item.number)
    face = 0.25 * np.array(matplotlib.colors.to_rgb(color)) + 0.75       # the part's colour, light
    ax.add_patch(FancyBboxPatch(xy=(x - width / 2, y - height / 2), width=width, height=height,
                                boxstyle="round,pad=0,rounding_size=0.12", facecolor=face,
                                edgecolor=color, linewidth=2.0, zorder=2))
    ax.text(x, y, f"{item.number} · {item.title}", ha="center", va="center",
            fontsize=plotting.LESSON_STYLE["legend.fontsize"], zorder=3)
    return x, y


def _course_arrow(ax, start, end, lane):
    """The arrow "end builds on start" between two boxes' centres: straight down to the next
    lesson of the same part; from another part, out of the start's right side, down a vertical
    lane left of the end's column (lane 0 nearest it: one lane per lesson, so that two arrows
    never share one) and into the end's left side; from further up the same part, the same on
    the column's right.  A part's lessons all come after those of the parts to its left, so no
    arrow crosses a box; where two arrows cross, a white edge shows which line goes on."""
    width, height = COURSE_BOX
    (x0, y0), (x1, y1) = start, end
    if x0 == x1 and y0 - y1 == 1:
        vertices, edge = [(x0, y0 - height / 2), (x1, y1 + height / 2)], None
    else:
        side = -1 if x1 > x0 else 1                  # enter on the left from another part
        into = x1 + side * width / 2
        lane_x = into + side * COURSE_LANE * (lane + 1)
        vertices = [(x0 + width / 2, y0), (lane_x, y0), (lane_x, y1), (into, y1)]
        edge = [patheffects.withStroke(linewidth=4.5, foreground="white")]
    ax.add_patch(FancyArrowPatch(path=MplPath(vertices), arrowstyle="-|>", mutation_scale=14,
                                 color="0.3", linewidth=1.3, shrinkA=0, shrinkB=0, zorder=1,
                                 path_effects=edge))


@_figure("course_map", figsize=(11.8, 5.6), notebooks=(INSTRUCTORS_GUIDE,), calls=("figures/course_map.png",),
         shows="the course map: one box per lesson of emlib.course.LESSONS, a column per part of the "
               "course, an arrow from each lesson to each lesson that builds on it")
def course_map(fig):
    ax = fig.add_subplot()
    colors = dict(zip(course.PARTS, plotting.PALETTE))
    column = {part: c for c, part in enumerate(course.PARTS)}
    centres = {item.number: _course_box(ax, item, column[item.part], colors[item.part])
               for item in course.LESSONS}
    for item in course.LESSONS:
        part = [other.number for other in course.LESSONS if other.part == item.part]
        lane = len(part) - 1 - part.index(item.number)      # the last lesson's lane nearest
        for earlier in item.builds_on:
            _course_arrow(ax, centres[earlier], centres[item.number], lane)
    for part in course.PARTS:                    # each part's name at the top of its column
        ax.text(column[part] * COURSE_COLUMN, 1.0, part, ha="center", va="center",
                fontsize=plotting.LESSON_STYLE["legend.fontsize"], fontweight="bold",
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": colors[part],
                      "linewidth": 2.0})
    rows = [-int(n) for n in centres]
    ax.set_xlim(-COURSE_COLUMN / 2, (len(course.PARTS) - 0.45) * COURSE_COLUMN)
    ax.set_ylim(min(rows) - 0.5, 1.5)
    ax.set_axis_off()
    arrow = Line2D(xdata=[], ydata=[], color="0.3", linewidth=1.3, marker=">", markersize=7,
                   label="A → B: lesson B builds on lesson A")
    ax.legend(handles=[arrow], loc="lower left", frameon=False,
              fontsize=plotting.LESSON_STYLE["legend.fontsize"])
    fig.suptitle(t="The course map: the lessons, numbered as their notebooks, and what each builds on",
                 fontsize=plotting.LESSON_STYLE["axes.titlesize"])


#: What em_animation.gif shows, for the index.
ANIMATION_SHOWS = (f"EM converging on the seed data from the seed's start: one frame per iteration, "
                   f"t = 0 .. {ANIMATION_ITERATIONS}")
ANIMATION_NOTEBOOKS = (REPO_README,)


# ----------------------------------------------------------------------------------------
# Writing the files
# ----------------------------------------------------------------------------------------
def render(name):
    """The matplotlib Figure of registry figure `name` (drawn under the fixed style).

    The Figure is not managed by pyplot: it never shows up in plt.show() and needs no closing.
    """
    if name not in FIGURES:
        raise KeyError(f"no figure named {name!r}; the figures are: {', '.join(FIGURES)}")
    draw = FIGURES[name]
    with fixed_style():
        fig = Figure(figsize=draw.figsize, layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig)
    return fig


def save_figure(name, outdir):
    """Write figure `name` as OUTDIR/name.png (150 dpi) and OUTDIR/name.svg, each only if it
    shows something new (see _unchanged.write).  Returns both paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    fig = render(name)
    png, svg = io.BytesIO(), io.BytesIO()
    with fixed_style():
        fig.savefig(png, format="png", dpi=PNG_DPI, metadata=PNG_METADATA)
        fig.savefig(svg, format="svg", metadata=SVG_METADATA)
    paths = outdir / f"{name}.png", outdir / f"{name}.svg"
    _unchanged.write(paths[0], png.getvalue())
    _unchanged.write(paths[1], _unchanged.svg_ids(svg.getvalue()))
    return paths


def save_animation(outdir, iterations=ANIMATION_ITERATIONS, name=ANIMATION_NAME, dpi=ANIMATION_DPI):
    """Write the animated GIF of EM on the seed data: plotting.animate_fit of
    fit(X, seed_initial_params(), max_iter=iterations, tol=0, keep_history=True) (steady), one
    frame per iteration (iterations + 1 frames), at dpi (its size: 6.0 x 5.4 inches), only if it
    shows something new.  Returns the path."""
    X, _, _, theta0 = _seed()
    result = steady(fit(X, theta0, max_iter=iterations, tol=0, keep_history=True))
    with tempfile.TemporaryDirectory() as tmp, fixed_style():
        drawn = plotting.animate_fit(X, result.history, Path(tmp) / name, fps=ANIMATION_FPS, dpi=dpi)
        path = Path(outdir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _unchanged.write(path, drawn.read_bytes())
    return path


def expected_files():
    """The names of every file generate() writes (README.md included), sorted."""
    names = [f"{name}.{ext}" for name in FIGURES for ext in ("png", "svg")]
    return sorted(names + [ANIMATION_NAME, ANIMATION_LARGE_NAME, "README.md"])


#: The line of figures/README.md that records which matplotlib drew the committed figures.
MADE_WITH = "Made with matplotlib"


def made_with(readme_text):
    """The matplotlib version a figures/README.md text records (None if it records none)."""
    for line in readme_text.splitlines():
        if line.startswith(MADE_WITH + " "):
            return line[len(MADE_WITH) + 1:].split(". ")[0].rstrip(".")
    return None


def readme_text():
    """figures/README.md: the index of the figures (generated, like the figures)."""
    def files(*names):
        return ", ".join(f"[`{n}`]({n})" for n in names)

    def where(notebooks):
        return ", ".join(n if n in DOCUMENTS else f"`{n}`" for n in notebooks) or "no lesson shows it yet"

    def command(name):
        return f"`python -m emlib.figures figures --only {name}`"

    rows = [
        f"| `{name}` | {draw.shows} | {where(draw.notebooks)} | {files(name + '.png', name + '.svg')} "
        f"| {command(name)} |"
        for name, draw in FIGURES.items()
    ]
    rows.append(f"| `{ANIMATION_STEM}` | {ANIMATION_SHOWS}; `{ANIMATION_LARGE_NAME}` is the same at slide size "
                f"| {where(ANIMATION_NOTEBOOKS)}; the large one is for full-screen slides (no lesson shows it yet) "
                f"| {files(ANIMATION_NAME, ANIMATION_LARGE_NAME)} | {command(ANIMATION_STEM)} |")
    return "\n".join([
        "# Figures",
        "",
        "Every figure of the series, made from code by `emlib/figures.py`. Do not edit these files",
        "by hand (nor this index, which is generated too): change the code and regenerate them all with",
        "",
        "```bash",
        "make figures                 # = python -m emlib.figures figures",
        "```",
        "",
        "or one of them with the command in its row. Each figure comes as a PNG",
        f"({PNG_DPI} dpi, for slides) and an SVG (for print); the animation is a GIF, in two sizes.",
        "",
        "Byte-identical: with the same versions of matplotlib and Pillow, running the command again",
        "rewrites nothing, on this machine or another: fitted values are rounded before they are drawn",
        "and SVG ids are numbered, so that the BLAS kernel (another CPU) and the number of threads do",
        "not show (`tests/test_figures.py` checks it under another OpenBLAS kernel). Beyond that, a",
        "file that would show the same picture (pixels within a few levels, SVG coordinates within",
        "0.001 pt) is left untouched rather than rewritten. The same tests check that the files here",
        "are what the code makes.",
        "",
        f"{MADE_WITH} {matplotlib.__version__}. Another matplotlib version lays out text slightly",
        "differently, so the pixel comparison runs only under this one (elsewhere it is skipped, saying why).",
        "",
        "A lesson named under \"shown in\" draws the same picture itself, in a code cell that makes the",
        "figure's plotting calls (each figure's `calls` in `emlib/figures.py`; `tests/test_figures.py`",
        "checks every lesson against this table).",
        "",
        "| figure | what it shows | shown in | files | made alone by |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ])


def generate(outdir=DEFAULT_OUTDIR, names=None, *, animation=True, readme=True, verbose=False):
    """Write every figure (or those in `names`) into outdir, the GIF and README.md, each only if
    it shows something new (a file that would show the same is left untouched).  Returns the paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    before = {p: p.stat().st_mtime_ns for p in outdir.iterdir() if p.is_file()}
    paths = []
    for name in (FIGURES if names is None else names):
        paths.extend(save_figure(name, outdir))
    if animation:
        paths.append(save_animation(outdir))
        paths.append(save_animation(outdir, name=ANIMATION_LARGE_NAME, dpi=ANIMATION_LARGE_DPI))
    if readme:
        paths.append(outdir / "README.md")
        _unchanged.write(paths[-1], readme_text().encode("utf-8"))
    if verbose:
        for path in paths:
            kept = before.get(path) == path.stat().st_mtime_ns
            print(f"{path}  ({path.stat().st_size / 1024:.0f} kB{', unchanged' if kept else ''})")
    return paths


def main(argv=None):
    """The command line: python -m emlib.figures [OUTDIR] [--only NAME ...]."""
    parser = argparse.ArgumentParser(prog="python -m emlib.figures", description=__doc__.split("\n")[0])
    parser.add_argument("outdir", nargs="?", default=str(DEFAULT_OUTDIR),
                        help=f"folder to write into (default: {DEFAULT_OUTDIR})")
    choices = [*FIGURES, ANIMATION_STEM]
    parser.add_argument("--only", nargs="+", choices=choices, metavar="NAME",
                        help="write only these (no README); NAME is one of: " + ", ".join(choices))
    args = parser.parse_args(argv)
    matplotlib.use("Agg")                  # a script: never open a window
    if args.only:
        names = [name for name in args.only if name != ANIMATION_STEM]
        generate(args.outdir, names, animation=ANIMATION_STEM in args.only, readme=False, verbose=True)
    else:
        generate(args.outdir, verbose=True)


if __name__ == "__main__":
    main()
