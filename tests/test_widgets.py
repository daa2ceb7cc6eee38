"""Tests for emlib.widgets, driven without a browser: set a control's value (or click), then read
the status line, the result and the picture.

The expected status comes from an independent emlib.fit with the same arguments, not from the
explorer's own result, so a status that shows another iteration, another fit or a stale value
fails.
"""
import base64

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib._pylab_helpers import Gcf  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import emlib  # noqa: E402
from emlib import data, widgets  # noqa: E402

pytest.importorskip("ipywidgets")

FIT_DEFAULTS = {"init_method": "kmeans++", "max_iter": 50, "tol": 1e-6}


@pytest.fixture(scope="module")
def X():
    return data.seed_data()[0]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def reference_fit(X, k, seed):
    return emlib.fit(X, k, rng=seed, keep_history=True, **FIT_DEFAULTS)


def status_for(result, t, n=300, tol=1e-6, max_iter=50):
    """The status line for iteration t of `result`, its ending decided here from the numbers: the
    fit converged at T when T < max_iter or the last change per point is below tol."""
    T, L = result.n_iter, result.log_likelihoods
    if T >= 1 and abs(L[T] - L[T - 1]) / n < tol:
        ending = f"the fit converged at iteration {T} (|L_{T} - L_{T - 1}| / n fell below tol = {tol:g})"
    else:
        assert T == max_iter
        ending = f"the fit stopped at max_iter = {max_iter} without converging (tol = {tol:g})"
    return f"iteration {t} of {T}: log-likelihood {L[t]:.4f} · {ending}"


def shown_png(explorer):
    """The PNG bytes the explorer's Output widget holds (exactly one image)."""
    outputs = explorer._out.outputs
    assert len(outputs) == 1
    return base64.b64decode(outputs[0]["data"]["image/png"])


# ----------------------------------------------------------------------------------------
# The explorer follows its slider
# ----------------------------------------------------------------------------------------
def test_explorer_shows_the_fit_emlib_makes(X):
    explorer = widgets.explorer(X, k=3, seed=1)
    expected = reference_fit(X, 3, 1)
    assert isinstance(explorer, widgets.EMExplorer)
    np.testing.assert_array_equal(explorer.result.log_likelihoods, expected.log_likelihoods)
    assert len(explorer.result.history) == expected.n_iter + 1
    assert (explorer.slider.min, explorer.slider.max, explorer.slider.value) == (0, expected.n_iter, 0)
    assert explorer.slider.continuous_update is False
    assert explorer.status.value == status_for(expected, 0)
    assert shown_png(explorer).startswith(b"\x89PNG")


def test_status_and_picture_follow_the_slider(X):
    explorer = widgets.explorer(X, k=3, seed=1)
    expected = reference_fit(X, 3, 1)
    view = explorer.figure.axes[0].get_xlim(), explorer.figure.axes[0].get_ylim()
    for t in [5, 0, 7, 2, 5, 1]:                # forward, back to the start, forward, back and forth
        before = shown_png(explorer)
        explorer.slider.value = t
        assert explorer.status.value == status_for(expected, t)
        left, right = explorer.figure.axes[:2]
        assert left.get_title().startswith(f"t = {t}:")
        assert (left.get_xlim(), left.get_ylim()) == view, "the view moved with the slider"
        assert any(f"t = {t}" == text.get_label() for text in right.collections), "curve not marked at t"
        assert shown_png(explorer) != before, "the picture did not change with the slider"


def test_a_picture_laid_out_once_is_the_picture_laid_out_afresh(X):
    """The explorer lays out a fit's first picture and keeps its panels' places for the others."""
    explorer = widgets.explorer(X, k=3, seed=1)
    for t in [1, explorer.result.n_iter]:            # a title of one digit, then of two
        explorer.slider.value = t
        afresh = explorer._picture(t)[1]
        assert shown_png(explorer) == afresh, f"t = {t}: the kept layout draws another picture"
    explorer.k.value = 5                             # a refit lays its own first picture out
    explorer.refit()
    assert shown_png(explorer) == explorer._picture(0)[1]


def test_the_slider_end_shows_the_last_iteration(X):
    explorer = widgets.explorer(X, k=3, seed=3)
    expected = reference_fit(X, 3, 3)
    explorer.slider.value = explorer.slider.max
    assert explorer.status.value == status_for(expected, expected.n_iter)


def test_sliding_does_not_accumulate_figures(X):
    explorer = widgets.explorer(X, k=2, seed=0, max_iter=2)
    open_before = plt.get_fignums()
    for t in [1, 2, 0]:
        explorer.slider.value = t
    assert plt.get_fignums() == open_before          # pyplot holds none of the explorer's figures
    assert len(explorer._out.outputs) == 1           # the picture is replaced, not appended


def test_the_status_says_whether_the_fit_converged_or_stopped_at_max_iter(X):
    converged = widgets.explorer(X, k=3, seed=1)
    T = converged.result.n_iter
    assert T < 50 and converged.status.value.endswith(
        f"the fit converged at iteration {T} (|L_{T} - L_{T - 1}| / n fell below tol = 1e-06)")
    converged.slider.value = 2                  # the ending is the fit's, at every t
    assert converged.status.value == status_for(reference_fit(X, 3, 1), 2)

    stopped = widgets.explorer(X, k=3, seed=1, max_iter=3)
    L = stopped.result.log_likelihoods
    assert stopped.result.n_iter == 3 and abs(L[3] - L[2]) / len(X) >= 1e-6   # not converged by 3
    assert stopped.status.value == status_for(stopped.result, 0, max_iter=3)
    assert stopped.status.value.endswith("the fit stopped at max_iter = 3 without converging (tol = 1e-06)")

    stopped.k.value = 2                         # a refit says how its own fit ended
    stopped.refit()
    refitted = emlib.fit(X, 2, rng=1, keep_history=True, **{**FIT_DEFAULTS, "max_iter": 3})
    assert stopped.status.value == status_for(refitted, 0, max_iter=3)


@pytest.mark.parametrize("options", [{"seed": 1}, {"seed": 0, "max_iter": 50, "tol": 0}],
                         ids=["converged", "50-iterations"])
def test_the_curve_label_stays_inside_its_panel(X, options):
    """The label "t = ...: L_t" on the log-likelihood panel neither covers the x tick labels
    (at t = 0, the lowest point) nor runs past the panel's right edge (at the last iteration).
    Measured in the layout of the picture the explorer drew (its savefig at the figure's dpi)."""
    explorer = widgets.explorer(X, k=3, **options)
    T = explorer.result.n_iter
    assert explorer.result.converged == (T < 50)
    for t in (T, 0):
        explorer.slider.value = t
        fig = explorer.figure
        assert fig.dpi == widgets.DPI           # so the drawn layout is the one measured here
        renderer = FigureCanvasAgg(fig).get_renderer()
        right = fig.axes[1]
        label = next(text for text in right.texts if text.get_text().startswith(f"t = {t}: "))
        box, panel = label.get_window_extent(renderer), right.get_window_extent(renderer)
        ticks = [tick.get_window_extent(renderer) for tick in right.get_xticklabels() if tick.get_text()]
        assert panel.x0 <= box.x0 and box.x1 <= panel.x1 and panel.y0 <= box.y0 and box.y1 <= panel.y1, \
            f"t = {t} of {T}: the label {box} leaves its panel {panel}"
        assert not any(box.overlaps(tick) for tick in ticks), f"t = {t}: the label covers an x tick label"


# ----------------------------------------------------------------------------------------
# No shared state
# ----------------------------------------------------------------------------------------
def test_two_explorers_are_independent(X):
    first = widgets.explorer(X, k=3, seed=1)
    second = widgets.explorer(X, k=3, seed=2)
    fit1, fit2 = reference_fit(X, 3, 1), reference_fit(X, 3, 2)
    second_png = shown_png(second)

    first.slider.value = 4
    assert first.status.value == status_for(fit1, 4)
    assert second.slider.value == 0
    assert second.status.value == status_for(fit2, 0)
    assert shown_png(second) == second_png

    second.slider.value = 6
    assert second.status.value == status_for(fit2, 6)
    assert first.status.value == status_for(fit1, 4)

    second.k.value = 2
    second.refit()
    assert second.result.params.k == 2
    assert first.result.params.k == 3 and first.k.value == 3
    assert first.status.value == status_for(fit1, 4)
    assert first.slider.max == fit1.n_iter


# ----------------------------------------------------------------------------------------
# Refitting
# ----------------------------------------------------------------------------------------
def test_refit_button_refits_with_the_new_k_and_seed(X):
    explorer = widgets.explorer(X, k=3, seed=1)
    explorer.slider.value = 5
    explorer.k.value, explorer.seed.value = 4, 7
    explorer.refit_button.click()
    expected = reference_fit(X, 4, 7)
    assert explorer.result.params.k == 4
    np.testing.assert_array_equal(explorer.result.log_likelihoods, expected.log_likelihoods)
    assert explorer.slider.max == explorer.result.n_iter == expected.n_iter
    assert explorer.slider.value == 0
    assert explorer.status.value == status_for(expected, 0)
    assert repr(explorer) == f"EMExplorer(k=4, seed=7, iterations=0..{expected.n_iter})"
    explorer.slider.value = expected.n_iter
    assert explorer.status.value == status_for(expected, expected.n_iter)


def test_refit_method_returns_the_new_result(X):
    explorer = widgets.explorer(X, k=2, seed=0)
    explorer.k.value = 1
    result = explorer.refit()
    assert result is explorer.result and result.params.k == 1
    assert explorer.slider.max == result.n_iter


def test_refit_error_is_shown_not_raised():
    # three points, each repeated: any k >= 2 ends with a component on one point (singular covariance)
    X = np.repeat([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]], 20, axis=0)
    explorer = widgets.explorer(X, k=1, seed=0)
    before, before_status = explorer.result, explorer.status.value
    explorer.k.value = 3
    explorer.refit_button.click()                    # must not raise
    assert "CollapseError" in explorer.status.value and "collapsed" in explorer.status.value
    assert "k = 3" in explorer.status.value
    assert explorer.result is before                 # the last good fit stays
    assert repr(explorer).startswith("EMExplorer(k=1, seed=0,")
    explorer.slider.value = explorer.slider.max      # and still works
    assert explorer.status.value != before_status
    assert explorer.status.value == status_for(before, before.n_iter)


def test_refit_with_a_bad_seed_is_shown_not_raised(X):
    explorer = widgets.explorer(X, k=2, seed=0)
    explorer.seed.value = -1
    assert explorer.refit() is None
    assert "seed" in explorer.status.value and "ValueError" in explorer.status.value


# ----------------------------------------------------------------------------------------
# What Jupyter and nbval see
# ----------------------------------------------------------------------------------------
def test_repr_is_short_and_deterministic(X):
    explorer = widgets.explorer(X, k=3, seed=0)
    text = repr(explorer)
    assert text == f"EMExplorer(k=3, seed=0, iterations=0..{reference_fit(X, 3, 0).n_iter})"
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == text
    assert "application/vnd.jupyter.widget-view+json" in bundle   # Jupyter renders the widget
    assert repr(widgets.explorer(X, k=3, seed=0)) == text


def test_bad_arguments_are_refused(X):
    with pytest.raises(ValueError, match="k must be at most 8"):
        widgets.explorer(X, k=9)
    with pytest.raises(ValueError, match="d=2"):
        widgets.explorer(np.hstack([X, X[:, :1]]), k=2)
    with pytest.raises(TypeError, match="seed"):
        widgets.explorer(X, k=2, seed=1.5)


# ----------------------------------------------------------------------------------------
# The static fallback
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("T, expected", [(0, [0]), (1, [0, 1]), (3, [0, 1, 2, 3]), (30, [0, 1, 3, 7, 15, 30])])
def test_snapshot_iterations(T, expected):
    assert widgets.snapshot_iterations(T) == expected


def check_static_figure(fig, X, k, seed):
    expected = reference_fit(X, k, seed)
    ts = widgets.snapshot_iterations(expected.n_iter)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == len(ts)
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == [f"t = {t}" for t in ts]
    assert all(manager.canvas.figure is not fig for manager in Gcf.get_all_fig_managers()), \
        "the figure should be detached from pyplot (shown once in a notebook)"


def test_static_fallback_draws_the_snapshots(X):
    fig = widgets.explorer(X, k=3, seed=1, static=True)
    check_static_figure(fig, X, 3, 1)


def test_fallback_without_ipywidgets(X, monkeypatch):
    monkeypatch.setattr(widgets, "ipywidgets", None)
    fig = widgets.explorer(X, k=2, seed=4)
    check_static_figure(fig, X, 2, 4)
    with pytest.raises(ImportError, match="ipywidgets"):
        widgets.EMExplorer(X, k=2, seed=4)
