"""Execute notebooks top to bottom in fresh kernels and store them with lean metadata.

    python tools/run_notebooks.py                      # every notebook in notebooks/ and notebooks/student/
    python tools/run_notebooks.py notebooks/02_e_step.ipynb

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
(nothing stored can avoid that; tests/test_browser.py checks the rest).  The format version
(nbformat 4.4, cells without ids) JupyterLab leaves as it is, on opening and on saving.
"""
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "python3"


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
    state; consecutive prints are coalesced."""
    nb.metadata = {"kernelspec": kernelspec(),
                   "language_info": dict(nb.metadata.get("language_info", {"name": "python"}))}
    for cell in nb.cells:
        for key in ("execution", "ExecuteTime", "collapsed", "scrolled"):     # timings and view state
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    return nb


def run(path):
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL_NAME, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nbformat.write(lean(nb), path)
    return path


def main(args):
    paths = [Path(a) for a in args] or [
        *sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),            # the solution edition
        *sorted((ROOT / "notebooks" / "student").glob("[0-9][0-9]_*.ipynb")),  # the student edition
    ]
    with ProcessPoolExecutor(max_workers=2) as pool:
        for done in pool.map(run, paths):
            print(f"executed {done.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
