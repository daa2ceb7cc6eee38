"""Interactive controls for the notebooks: step through an EM fit with a slider.

    explorer(X, k=3, seed=0)       an EMExplorer: slider over t = 0 .. T, picture, status line,
                                   seed / k controls and a refit button
    explorer(X, ..., static=True)  the static fallback: a grid of snapshots, a matplotlib Figure
    snapshot_iterations(T)         the iterations the static fallback shows

The widgets only wire controls to `emlib.plotting`; every picture is drawn there.

The explorer's picture at iteration t has two panels:
  left   the data coloured by the responsibilities under theta_t (the E-step of theta_t) and
         theta_t's 1- and 2-sigma ellipses, with the same view at every t, so only EM moves;
  right  the log-likelihood L_t = log p(X | theta_t) for t = 0 .. T, with t marked.
The status line reads "iteration t of T: log-likelihood L_t · " and how the fit ended (see
EMExplorer.ending): it converged at iteration T under the stopping rule, or stopped at max_iter.

Static fallback.  Where ipywidgets cannot be imported, or with static=True (e.g. to put the
picture on a static page, or in a script), `explorer` runs the same fit and returns a
matplotlib Figure of `plotting.plot_snapshots` at the iterations `snapshot_iterations(T)`:
0, T and a few in between, closer together early on, when EM moves most.  The figure is
detached from pyplot (so a notebook shows it once, as the cell's value); save it with
fig.savefig(...).

State.  Nothing is global: every EMExplorer owns its controls, its fit and its figure, so two
explorers on one page never show each other's state.

How the picture reaches the page.  Each redraw renders a matplotlib Figure that pyplot does
not manage to PNG and puts it into the Output widget's `outputs` (a synced widget property).
It does not `display` inside `with output:` nor call plt.show(): those send ordinary display
messages, which nbval counts as outputs of the cell (so a notebook stored by nbclient, which
routes them into the widget, would fail nbval), and plt.show() shows -- and, inline, closes --
every open pyplot figure, including other explorers' ones.  Replaced figures are simply
dropped: pyplot holds no reference to them, so memory does not grow while sliding.
"""
import base64
import html
import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import plotting
from ._checks import check_data, check_number
from .em import e_step, fit

try:
    import ipywidgets
except ImportError:  # pragma: no cover - ipywidgets is a dependency; the fallback is for bare installs
    ipywidgets = None

__all__ = ["explorer", "EMExplorer", "snapshot_iterations", "MAX_K"]

#: The largest number of components the explorer offers (the palette has 8 colours).
MAX_K = 8
#: Size (inches) and resolution of the explorer's picture: 1100 x 460 pixels.
FIGSIZE = (11.0, 4.6)
DPI = 100


def snapshot_iterations(T, n_panels=6):
    """The iterations the static fallback shows: 0, T and a few between, denser early on.

    t = round(geomspace(1, T + 1, n_panels)) - 1, duplicates dropped (so fewer than n_panels
    panels when T is small): EM changes most in its first iterations.

    T: the number of iterations of the fit (>= 0).  Returns a sorted list of ints in 0 .. T.
    """
    check_number(T, "T", minimum=0, integer=True)
    check_number(n_panels, "n_panels", minimum=2, integer=True)
    ts = np.floor(np.geomspace(1, T + 1, num=n_panels) + 0.5).astype(int) - 1
    return sorted({0, int(T), *ts.tolist()})


def explorer(X, k=3, seed=0, *, init_method="kmeans++", max_iter=50, tol=1e-6, reg_covar=0.0,
             static=False):
    """Step through an EM fit of a k-component mixture to 2-D data, with a slider.

    Fits theta_0 .. theta_T = emlib.fit(X, k, rng=seed, init_method=init_method,
    max_iter=max_iter, tol=tol, reg_covar=reg_covar, keep_history=True).history and returns an EMExplorer showing
    theta_t for the t the slider selects (see the module docstring), with controls to change
    the seed and k and refit.

    With static=True, or where ipywidgets is not installed, returns instead a matplotlib
    Figure: plotting.plot_snapshots of the same fit at snapshot_iterations(T).

    X: (n, 2) data; k: 1 .. MAX_K components; seed: an integer, the seed of the initialisation.
    Raises ValueError/TypeError for bad arguments and CollapseError if this first fit collapses
    (later refits report errors in the status line instead).
    """
    if static or ipywidgets is None:
        X, k, seed = _check_arguments(X, k, seed)
        result = fit(X, k, rng=seed, init_method=init_method, max_iter=max_iter, tol=tol,
                     reg_covar=reg_covar, keep_history=True)
        ts = snapshot_iterations(result.n_iter)
        axes = plotting.plot_snapshots(
            X, result.history, ts,
            title=f"EM with k = {k} components (initialisation seed {seed}) at iterations "
                  + ", ".join(map(str, ts)),
        )
        fig = axes[0].figure
        plt.close(fig)      # detached from pyplot: a notebook shows it once, as the cell's value
        return fig
    return EMExplorer(X, k, seed, init_method=init_method, max_iter=max_iter, tol=tol,
                      reg_covar=reg_covar)


def _check_arguments(X, k, seed):
    X = check_data(X)
    if X.shape[1] != 2:
        raise ValueError(f"X must have d=2 columns to be drawn in the plane, but has d={X.shape[1]}")
    check_number(k, "k", minimum=1, integer=True)
    if k > MAX_K:
        raise ValueError(f"k must be at most {MAX_K} (one colour per component), got {k}")
    check_number(seed, "seed", minimum=0, integer=True)
    return X, int(k), int(seed)


class EMExplorer:
    """Step through an EM fit: a slider over the iterations t = 0 .. T of one fit.

    Shows theta_t: the data coloured by gamma[i, j] = p(z_i = j | x_i, theta_t) with theta_t's
    1- and 2-sigma ellipses, beside the curve L_t = log p(X | theta_t), t marked.

    Controls (ipywidgets), exposed so that code and tests can drive the explorer:
      slider         IntSlider over t = 0 .. T (redraws on release: continuous_update=False)
      status         HTML: "iteration t of T: log-likelihood L_t · <ending>", or the error of
                     a refit
      seed, k        IntText (the initialisation seed) and BoundedIntText (1 .. MAX_K components)
      refit_button   Button: refit(), i.e. fit again with seed.value and k.value
    State: result (the FitResult shown, with its history), figure (the matplotlib Figure last
    drawn), widget (the VBox holding everything; put it in your own layouts).

    Displaying an EMExplorer shows its widget; its text form is EMExplorer(k=.., seed=.., iterations=0..T).
    """

    def __init__(self, X, k=3, seed=0, *, init_method="kmeans++", max_iter=50, tol=1e-6, reg_covar=0.0):
        if ipywidgets is None:
            raise ImportError("EMExplorer needs ipywidgets (pip install ipywidgets); "
                              "explorer(..., static=True) draws a static picture instead")
        self.X, k, seed = _check_arguments(X, k, seed)
        self._fit_options = {"init_method": init_method, "max_iter": max_iter, "tol": tol,
                             "reg_covar": reg_covar}
        self.result = self._fit(k, seed)            # a bad first fit raises: the arguments are wrong
        self._k, self._seed = k, seed               # what self.result was fitted with
        self.figure = None
        self._places = None                         # where the current fit's panels go
        self._resetting = False

        self.slider = ipywidgets.IntSlider(
            value=0, min=0, max=self.result.n_iter, step=1, description="iteration t",
            continuous_update=False, style={"description_width": "initial"},
            layout=ipywidgets.Layout(width="520px"),
        )
        self.status = ipywidgets.HTML(value="")
        self.seed = ipywidgets.IntText(value=seed, description="seed", layout=ipywidgets.Layout(width="160px"),
                                       style={"description_width": "initial"})
        self.k = ipywidgets.BoundedIntText(value=k, min=1, max=MAX_K, description="components k",
                                           layout=ipywidgets.Layout(width="180px"),
                                           style={"description_width": "initial"})
        self.refit_button = ipywidgets.Button(description="refit", icon="refresh",
                                              tooltip="fit again with this seed and k")
        self._out = ipywidgets.Output()
        self.widget = ipywidgets.VBox(children=[
            self.slider, self.status, self._out,
            ipywidgets.HBox(children=[self.seed, self.k, self.refit_button]),
        ])
        self.slider.observe(self._on_slider, names="value")
        self.refit_button.on_click(self._on_click)
        self._draw(0)

    # ------------------------------------------------------------------------------------
    def _fit(self, k, seed):
        return fit(self.X, k, rng=seed, keep_history=True, **self._fit_options)

    def refit(self):
        """Fit again with the seed and k in the controls; show t = 0 of the new fit.

        Returns the new FitResult, or None when the fit failed (e.g. a component collapsed):
        the error is then shown in the status line and the previous fit stays on screen.
        """
        k, seed = self.k.value, self.seed.value
        try:
            _check_arguments(self.X, k, seed)
            result = self._fit(k, seed)
        except (ValueError, TypeError) as err:      # emlib.CollapseError is a ValueError
            self.status.value = html.escape(
                f"refit with k = {k}, seed = {seed} failed: {type(err).__name__}: {err}", quote=False)
            return None
        self.result, self._k, self._seed, self._places = result, k, seed, None
        self._resetting = True                      # one redraw, not one per slider change
        try:
            self.slider.value = 0
            self.slider.max = result.n_iter
        finally:
            self._resetting = False
        self._draw(0)
        return result

    def ending(self):
        """How the fit shown ended, in the stopping rule's words (fit's docstring):

            "the fit converged at iteration T (|L_T - L_{T-1}| / n fell below tol = 1e-06)"
            "the fit stopped at max_iter = 50 without converging (tol = 1e-06)"
        """
        result, tol = self.result, self._fit_options["tol"]
        if result.converged:
            return (f"the fit converged at iteration {result.n_iter} "
                    f"(|L_{result.n_iter} - L_{result.n_iter - 1}| / n fell below tol = {tol:g})")
        return (f"the fit stopped at max_iter = {self._fit_options['max_iter']} without converging "
                f"(tol = {tol:g})")

    def _on_click(self, _button):
        self.refit()

    def _on_slider(self, change):
        if not self._resetting:
            self._draw(change["new"])

    # ------------------------------------------------------------------------------------
    def _draw(self, t):
        """Redraw the picture and the status line for iteration t of the current fit.

        The fit's first picture is laid out by constrained layout; the others keep its panels'
        places: laying out took half of a redraw, and the panels do not move from one iteration
        to the next (the same view, the same curve), so the picture comes out the same."""
        fig, png = self._picture(t, self._places)
        if self._places is None:
            self._places = [ax.get_position(original=True) for ax in fig.axes]
        self.figure = fig
        T = self.result.n_iter
        self._out.outputs = ({
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(png).decode("ascii"),
                     "text/plain": f"<EM fit at iteration {t} of {T}>"},
            "metadata": {},
        },)
        self.status.value = (f"iteration {t} of {T}: log-likelihood {self.result.log_likelihoods[t]:.4f} · "
                             + self.ending())

    def _picture(self, t, places=None):
        """(Figure, its PNG bytes) of iteration t: laid out by constrained layout, or with its
        axes at `places` (their original positions, figure fractions) when given."""
        result = self.result
        params = result.history[t]
        fig = Figure(figsize=FIGSIZE, layout=None if places else "constrained")   # not pyplot's: nothing to close
        left, right = fig.subplots(ncols=2)
        resp, _ = e_step(self.X, params)
        plotting.plot_responsibilities(
            self.X, resp, ax=left, s=14,
            title=f"t = {t}: responsibilities under $\\theta_{{{t}}}$ (colour),\n"
                  "its 1σ and 2σ ellipses and means")
        plotting.plot_ellipses(params, ax=left, n_std=(1, 2), linewidth=1.6)
        xlim, ylim = plotting.view_limits(self.X, result.history)   # the same view at every t
        left.set_xlim(xlim)
        left.set_ylim(ylim)
        left.set_aspect(aspect="equal", adjustable="box")
        plotting.plot_log_likelihood(result.log_likelihoods, ax=right, mark=t)
        if places:
            for ax, place in zip(fig.axes, places, strict=True):
                ax.set_position(place)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        return fig, buffer.getvalue()

    # ------------------------------------------------------------------------------------
    def __repr__(self):
        return f"EMExplorer(k={self._k}, seed={self._seed}, iterations=0..{self.result.n_iter})"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """Jupyter shows the widget; the text form (what nbval compares) is repr(self)."""
        bundle = getattr(self.widget, "_repr_mimebundle_", None)      # None once the widget is closed
        data = dict(bundle(**kwargs)) if callable(bundle) else {}
        data["text/plain"] = repr(self)
        return data

    def close(self):
        """Close the widgets (they disappear from the page)."""
        controls = self.widget.children[-1]
        for w in (self.slider, self.status, self._out, self.seed, self.k, self.refit_button,
                  controls, self.widget):
            w.close()
