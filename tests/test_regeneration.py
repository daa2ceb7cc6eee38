"""Regenerating on another machine writes nothing new: `make figures` and `make student` leave an
unchanged checkout unchanged.

  figures      emlib.figures rounds fitted values before drawing (steady) and numbers the SVG ids;
               that the figures then come out byte for byte the same under another OpenBLAS kernel
               is tests/test_figures.py's (it compares with the figures it generates anyway)
  _unchanged   what emlib._unchanged calls the same picture, and that write() then leaves the
               file alone
  notebooks    tools/run_notebooks.py: widget model ids from the notebook's name, outputs that
               show the same kept as stored, a second run writes nothing, and the kernel does not
               warn about its sockets
"""
import base64
import io
import json

import nbformat
import numpy as np
import pytest
from helpers import LESSONS, STUDENT_LESSONS, ROOT, load_tool
from nbformat.v4 import new_code_cell, new_notebook, new_output
from PIL import Image

from emlib import _unchanged, figures

run_notebooks = load_tool("run_notebooks")


# ----------------------------------------------------------------------------------------
# Fitted values rounded before they are drawn
# ----------------------------------------------------------------------------------------
def test_steady_rounds_a_fit_and_keeps_it_valid():
    X, _, _, theta0 = figures._seed()
    fit = figures.steady(figures.fit(X, theta0, max_iter=3, tol=0, keep_history=True))
    for params in (fit.params, *fit.history):
        for values in (params.means, params.covariances):
            assert np.array_equal(values, np.round(values, figures.DECIMALS))
        assert np.array_equal(params.covariances, params.covariances.transpose(0, 2, 1))
    assert np.array_equal(fit.log_likelihoods, np.round(fit.log_likelihoods, figures.DECIMALS))
    np.testing.assert_allclose(fit.responsibilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------------------
# The same picture
# ----------------------------------------------------------------------------------------
def png(pixels):
    out = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


def gif(frames):
    out = io.BytesIO()
    images = [Image.fromarray(np.asarray(f, dtype=np.uint8)) for f in frames]
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=200)
    return out.getvalue()


PICTURE = np.random.default_rng(0).integers(0, 256, size=(40, 50, 3))


def nudged(levels, count=5):
    """PICTURE with `count` pixels of one channel moved by `levels`."""
    out = PICTURE.copy()
    column = out[:count, 0, 0]
    out[:count, 0, 0] = np.where(column + levels > 255, column - levels, column + levels)
    return out


def test_a_png_nudged_by_a_level_is_the_same_picture():
    assert _unchanged.same_png(png(PICTURE), png(nudged(1)))
    assert _unchanged.same_png(png(PICTURE), png(nudged(_unchanged.PIXEL_LEVELS)))
    assert not _unchanged.same_png(png(PICTURE), png(nudged(_unchanged.PIXEL_LEVELS + 1)))
    assert not _unchanged.same_png(png(PICTURE), png(nudged(40)))
    assert not _unchanged.same_png(png(PICTURE), png(PICTURE[:-1]))
    assert not _unchanged.same_png(png(PICTURE), b"not a picture")


def test_a_gif_is_compared_frame_by_frame_on_average():
    frames = [PICTURE // 2 * 2, PICTURE // 4 * 4]
    assert _unchanged.same_gif(gif(frames), gif(frames))
    assert not _unchanged.same_gif(gif(frames), gif(frames[:1]))
    changed = [frames[0], 255 - frames[1]]
    assert not _unchanged.same_gif(gif(frames), gif(changed))


SVG = ('<svg><defs><clipPath id="p0123456789"><rect x="57.6" y="41.472"/></clipPath></defs>'
       '<path d="M 38.742427 12.5" clip-path="url(#p0123456789)" style="fill: #e69f00"/></svg>')


def test_svg_ids_are_numbered_in_order_of_appearance():
    other = SVG.replace("p0123456789", "pabcdefabcd")
    assert _unchanged.svg_ids(SVG.encode()) == _unchanged.svg_ids(other.encode())
    assert b'id="p1"' in _unchanged.svg_ids(SVG.encode()) and b"url(#p1)" in _unchanged.svg_ids(SVG.encode())


@pytest.mark.parametrize("new, same", [
    (SVG.replace("38.742427", "38.742428"), True),                 # a last digit (the case)
    (SVG.replace("p0123456789", "p9876543210"), True),             # another hashed id
    (SVG.replace("38.742427", "38.752427"), False),                # moved by 0.01 pt
    (SVG.replace("#e69f00", "#e59f00"), False),                    # another colour
    (SVG.replace("<path", "<path stroke-width=\"2\""), False),     # more text
])
def test_an_svg_is_the_same_when_only_last_digits_differ(new, same):
    assert _unchanged.same_svg(SVG.encode(), new.encode()) is same


def test_write_leaves_a_file_that_shows_the_same_untouched(tmp_path):
    path = tmp_path / "figure.png"
    assert _unchanged.write(path, png(PICTURE))
    stamp, stored = path.stat().st_mtime_ns, path.read_bytes()
    assert not _unchanged.write(path, png(nudged(1)))
    assert path.read_bytes() == stored and path.stat().st_mtime_ns == stamp
    assert _unchanged.write(path, png(nudged(40)))
    assert path.read_bytes() == png(nudged(40))
    text = tmp_path / "README.md"
    assert _unchanged.write(text, b"a") and not _unchanged.write(text, b"a") and _unchanged.write(text, b"b")


# ----------------------------------------------------------------------------------------
# Notebooks: tools/run_notebooks.py
# ----------------------------------------------------------------------------------------
def widget_output(model_id):
    return new_output("display_data", data={
        run_notebooks.WIDGET_VIEW: {"model_id": model_id, "version_major": 2, "version_minor": 0},
        "text/plain": "IntSlider(value=0)"})


def image_output(pixels):
    return new_output("display_data", data={"image/png": base64.b64encode(png(pixels)).decode(),
                                            "text/plain": "<Figure>"})


def notebook(*outputs):
    return new_notebook(cells=[new_code_cell(source=f"cell {i}", outputs=[out], id=f"cell-{i}")
                               for i, out in enumerate(outputs)])


def test_widget_ids_come_from_the_notebook_and_the_order():
    first = run_notebooks.steady_widget_ids(notebook(widget_output("a" * 32), widget_output("b" * 32)), "04.ipynb")
    again = run_notebooks.steady_widget_ids(notebook(widget_output("c" * 32), widget_output("d" * 32)), "04.ipynb")
    assert first == again
    ids = [out["data"][run_notebooks.WIDGET_VIEW]["model_id"]
           for cell in json.loads(first)["cells"] for out in cell["outputs"]]
    assert len(set(ids)) == 2 and all(len(i) == 32 and i not in ("a" * 32, "b" * 32) for i in ids)


def test_outputs_that_show_the_same_are_kept_as_stored():
    stored = notebook(image_output(PICTURE), new_output("stream", name="stdout", text="L = -1.5\n"))
    rerun = notebook(image_output(nudged(1)), new_output("stream", name="stdout", text="L = -1.5\n"))
    kept = run_notebooks.keep_unchanged_outputs(stored, rerun)
    assert nbformat.writes(kept) == nbformat.writes(stored)
    changed = notebook(image_output(nudged(40)), new_output("stream", name="stdout", text="L = -1.6\n"))
    fresh = run_notebooks.keep_unchanged_outputs(stored, notebook(*[c.outputs[0] for c in changed.cells]))
    assert [c.outputs for c in fresh.cells] == [c.outputs for c in changed.cells]


def test_a_rerun_writes_nothing_and_the_kernel_does_not_warn(tmp_path, capfd):
    path = tmp_path / "tiny.ipynb"
    cells = [new_code_cell("print(6 * 7)"),
             new_code_cell("import ipywidgets\nipywidgets.IntSlider(value=3)")]
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": run_notebooks.kernelspec()}), path)
    assert run_notebooks.run(path) == (path, True)
    first = path.read_text(encoding="utf-8")
    assert run_notebooks.run(path) == (path, False)            # a new kernel, new widget ids: same file
    assert path.read_text(encoding="utf-8") == first
    outputs = [cell["outputs"] for cell in json.loads(first)["cells"]]
    assert "".join(outputs[0][0]["text"]) == "42\n" and run_notebooks.WIDGET_VIEW in outputs[1][0]["data"]
    assert "without encryption" not in capfd.readouterr().err


def test_lean_drops_the_cell_ids_that_nbformat_4_4_does_not_allow():
    nb = new_notebook(cells=[new_code_cell("1 + 1")])          # new cells get ids (nbformat 4.5)
    nb.nbformat_minor = 4
    assert list(nbformat.validator.iter_validate(json.loads(json.dumps(nb))))   # invalid as it stands
    assert not list(nbformat.validator.iter_validate(json.loads(json.dumps(run_notebooks.lean(nb)))))


@pytest.mark.parametrize("path", LESSONS + STUDENT_LESSONS, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_every_notebook_is_valid_under_its_nbformat_version(path):
    """As stored, not as nbformat.read upgrades it (lesson 09 once stored six cell ids under
    nbformat 4.4: read() passed it, JupyterLab opened it, its schema did not)."""
    errors = [e.message for e in nbformat.validator.iter_validate(json.loads(path.read_text(encoding="utf-8")))]
    assert not errors, f"{path.name}: {errors}: store it with tools/run_notebooks.py (its lean())"


def test_every_notebook_is_stored_with_the_same_nbformat_version_and_metadata():
    """So that one notebook opening unmodified in JupyterLab speaks for the others'
    metadata (tests/test_browser_jupyterlab.py opens a few)."""
    headers = {}
    for path in LESSONS + STUDENT_LESSONS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        header = json.dumps([nb["nbformat"], nb["nbformat_minor"], nb["metadata"]], sort_keys=True)
        headers.setdefault(header, []).append(str(path.relative_to(ROOT / "notebooks")))
    assert len(headers) == 1, f"stored with different headers: {list(headers.values())}: rerun tools/run_notebooks.py"
