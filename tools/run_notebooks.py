"""Execute notebooks top to bottom in fresh kernels and store them with lean metadata.

    python tools/run_notebooks.py                      # every notebook in notebooks/ and notebooks/student/
    python tools/run_notebooks.py notebooks/02_e_step.ipynb
    python tools/run_notebooks.py --stored DIR NOTEBOOK ...   # keep the outputs of DIR/<name>

Run this before committing a notebook: execution counts then run 1, 2, 3, ..., and only the
metadata that matters is kept (no timings, no view state), so that a diff shows what changed in
the lesson and nbval compares outputs that are stable.  Notebooks run two at a time (this
machine has two cores).

The notebook's own metadata is exactly what JupyterLab writes when it opens the notebook and
starts its kernel, so that opening a lesson does not mark it modified (the dirty dot, and a
"save your changes?" on close): `kernelspec` as JupyterLab fills it in from the kernel's spec
(name, display_name, language) and `language_info` as the kernel's info reply gives it (name,
version, mimetype, file_extension, pygments_lexer, codemirror_mode, nbconvert_exporter).
JupyterLab compares each of the two with what it would write and marks the notebook modified
if anything differs, including `language_info.version`, the Python version: a notebook stored
here opens unmodified under the same Python version, and marked modified under another one
(nothing stored can avoid that; tests/test_browser_jupyterlab.py checks the rest).  The format version
(nbformat 4.4, cells without ids) JupyterLab leaves as it is, on opening and on saving.

A re-run on another machine must not show up in git as a change: widget model ids (random in
each kernel) are replaced by ids made from the notebook's name and their order, a cell whose
new outputs show the same as its stored ones keeps the stored ones (a picture: every pixel
within emlib._unchanged.PIXEL_LEVELS; anything else: equal), and a notebook is written only when
that leaves something changed.  The stored outputs are the notebook's own, or with --stored DIR
those of DIR/<name> (`make student` saves the student edition there before rewriting it).
"""
import argparse
import base64
import hashlib
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
# The kernels inherit one BLAS thread each (two notebooks run at once on two cores; see
# tests/conftest.py): the outputs do not depend on it, the time does.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from traitlets.config import Config

from emlib import _unchanged

ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "python3"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Encrypted kernel sockets where jupyter_client can (8.10 and later): ipykernel otherwise warns,
#: once per kernel, "Kernel is running over TCP without encryption".
KERNEL_CONFIG = Config({"KernelManager": {"transport_encryption": "auto"}}
                       if "transport_encryption" in KernelManager.class_trait_names() else {})


def coalesce_streams(outputs):
    """Consecutive prints to the same stream as one output: how the kernel happened to flush them
    varies from run to run, and would show in the diff (nbval compares them coalesced anyway)."""
    merged = []
    for out in outputs:
        if out.output_type == "stream" and merged and merged[-1].output_type == "stream" \
                and merged[-1].name == out.name:
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


def kernelspec(name=KERNEL_NAME):
    """The kernelspec metadata JupyterLab writes for kernel `name`: its name, and the display
    name and language of its installed spec ("Python 3 (ipykernel)", "python")."""
    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def lean(nb):
    """The notebook with lean metadata: its own is kernelspec() and the language_info that
    executing it stored (nbclient copies the kernel's info reply); cells lose timings and view
    state (and ids, which nbformat 4.4 does not allow); consecutive prints are coalesced."""
    nb.metadata = {"kernelspec": kernelspec(),
                   "language_info": dict(nb.metadata.get("language_info", {"name": "python"}))}
    for cell in nb.cells:
        for key in ("execution", "ExecuteTime", "collapsed", "scrolled"):     # timings and view state
            cell.metadata.pop(key, None)
        if nb.nbformat_minor < 5:       # cell ids came with nbformat 4.5: in a 4.4 notebook, invalid
            cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    return nb


def steady_widget_ids(nb, name):
    """Each widget output's model_id (a random uuid per kernel) replaced by one made from the
    notebook's name and the output's order, everywhere in the notebook.  Returns its text, as
    nbformat.write lays it out."""
    text = nbformat.writes(nb).rstrip("\n") + "\n"
    views = [out.data[WIDGET_VIEW] for cell in nb.cells if cell.cell_type == "code"
             for out in cell.outputs if WIDGET_VIEW in out.get("data", {})]
    for i, view in enumerate(views):
        steady = hashlib.sha256(f"{name}:{i}".encode()).hexdigest()[:32]
        text = text.replace(view["model_id"], steady)
    return text


def same_output(old, new):
    """True if two outputs show the same: equal, or pictures within emlib._unchanged's tolerance."""
    if old == new:
        return True
    if old.get("output_type") != new.get("output_type") or set(old.get("data", {})) != set(new.get("data", {})):
        return False
    if {k: v for k, v in old.items() if k != "data"} != {k: v for k, v in new.items() if k != "data"}:
        return False
    for mime, value in new["data"].items():
        if old["data"][mime] != value and not (mime == "image/png" and _unchanged.same_png(
                base64.b64decode(old["data"][mime]), base64.b64decode(value))):
            return False
    return True


def keep_unchanged_outputs(old, new):
    """In notebook `new`, each code cell whose source is that of the same cell in `old` and whose
    outputs show the same (same_output) gets old's outputs back, byte for byte."""
    if len(old.cells) != len(new.cells):
        return new
    for was, cell in zip(old.cells, new.cells):
        if cell.cell_type == "code" and was.cell_type == "code" and was.source == cell.source \
                and len(was.outputs) == len(cell.outputs) \
                and all(map(same_output, was.outputs, cell.outputs)):
            cell.outputs = was.outputs
    return new


def run(path, stored=None):
    """Execute the notebook at path and write it back, keeping the outputs of the notebook
    `stored` (default: path itself) that show the same; not written if nothing changed.
    Returns (path, True if it was written)."""
    path = Path(path)
    before = path.read_text(encoding="utf-8")
    stored = Path(stored) if stored else path
    nb = nbformat.reads(before, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL_NAME, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}}, config=KERNEL_CONFIG)
    client.execute()
    nb = lean(nb)
    if stored.exists():
        nb = keep_unchanged_outputs(nbformat.read(stored, as_version=4), nb)
    text = steady_widget_ids(nb, path.name)
    if text == before:
        return path, False
    path.write_text(text, encoding="utf-8")
    return path, True


def main(args):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--stored", type=Path, help="keep the unchanged outputs of DIR/<name>")
    args = parser.parse_args(args)
    paths = args.notebooks or [
        *sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),            # the solution edition
        *sorted((ROOT / "notebooks" / "student").glob("[0-9][0-9]_*.ipynb")),  # the student edition
    ]
    stored = [args.stored / p.name if args.stored else None for p in paths]
    with ProcessPoolExecutor(max_workers=2) as pool:
        for done, written in pool.map(run, paths, stored):
            print(f"executed {done.name}" + ("" if written else " (outputs unchanged: not rewritten)"))


if __name__ == "__main__":
    main(sys.argv[1:])
