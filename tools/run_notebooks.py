"""Execute notebooks top to bottom in fresh kernels and store them with lean metadata.

    python tools/run_notebooks.py                      # every notebook in notebooks/ and notebooks/student/
    python tools/run_notebooks.py notebooks/02_e_step.ipynb

Run this before committing a notebook: execution counts then run 1, 2, 3, ..., and only the
metadata that matters is kept (no timings, no kernel details that vary between machines),
so that a diff shows what changed in the lesson and nbval compares outputs that are stable.
Notebooks run two at a time (this machine has two cores).
"""
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


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


def lean(nb):
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for cell in nb.cells:
        for key in ("execution", "ExecuteTime", "collapsed", "scrolled"):     # timings and view state
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    return nb


def run(path):
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name=KERNELSPEC["name"], record_timing=False,
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
