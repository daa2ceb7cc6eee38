"""Set the slide type of every cell, so that each lesson is also a slide show.

    python tools/slide_metadata.py                    # notebooks/NN_*.ipynb and notebooks/student/
    python tools/slide_metadata.py notebooks/02_e_step.ipynb
    python tools/slide_metadata.py --check            # exit 1 if a notebook would change

It writes cell.metadata.slideshow.slide_type, which reveal.js (`make slides`) and the RISE
extension in JupyterLab read, and nothing else: sources, outputs, execution counts and all
other metadata stay as they are, and the file is rewritten only if a slide type changed, in the
layout nbformat and tools/run_notebooks.py use.  The slide types follow from the notebook's
content alone, so running it again changes nothing.

The rules (one idea per slide, figures large; "down" is a subslide under the current slide):

  the first cell (the title)                    slide
  the set-up code right after the title         subslide: the title slide shows the title and
                                                the goals alone; the imports are one step down
  Markdown opening with "# " or "## "           slide: a new idea
  any other Markdown ("### ...", or prose)      subslide: the next step of the same idea
  a code cell after Markdown                    "-": on the slide of the text that explains it,
                                                unless the slide would overflow (see below)
  a code cell after a code cell                 fragment: appears on the next key press,
                                                unless the slide would overflow
  a code cell under a "Solutions" heading       subslide: one solution per step down, so they
                                                stay out of the way until asked for

"Overflow": a slide (1280 x 800 pixels, as tools/build_web.py makes them) holds about
SLIDE_LINES lines of LINE_PX pixels: every source line and text output line counts one, a figure
its height in lines (at most FIGURE_MAX_PX, the height the slides' style sheet allows it).  A code
cell that would not fit starts a subslide of its own, so that its figure is shown large.
"""
import argparse
import base64
import binascii
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SLIDE_LINES = 26
LINE_PX = 28
FIGURE_MAX_PX = 640
#: A figure whose height cannot be read (SVG, JPEG, ...): counted as a typical one.
FIGURE_LINES = 14
#: Text output lines counted at most per output (a long printout scrolls on its slide).
OUTPUT_LINES_MAX = 10
SOLUTIONS = re.compile(r"^#{1,6}[ \t]+(?:your[ \t]+)?(solutions?|answers?)\b", re.IGNORECASE | re.MULTILINE)
HEADING = re.compile(r"^(#{1,6})[ \t]")


def notebooks(paths=None):
    """The given notebooks, or every notebooks/NN_*.ipynb and notebooks/student/NN_*.ipynb."""
    if paths:
        return [Path(p) for p in paths]
    folder = ROOT / "notebooks"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb")) + sorted((folder / "student").glob("[0-9][0-9]_*.ipynb"))


def _text(source):
    return "".join(source) if isinstance(source, list) else source


def _lines(text):
    return len(text.strip("\n").splitlines())


def cell_cost(cell):
    """How many lines of a slide a code cell takes: its source, its text output, its figures."""
    cost = _lines(_text(cell.get("source", "")))
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if any(mime.startswith("image/") for mime in data):
            cost += figure_lines(data)
        elif output.get("output_type") == "stream":
            cost += min(_lines(_text(output.get("text", ""))), OUTPUT_LINES_MAX)
        elif "text/plain" in data:
            cost += min(_lines(_text(data["text/plain"])), OUTPUT_LINES_MAX)
    return cost


def figure_lines(data):
    """The lines of a slide a figure takes: its PNG height (read from the header), capped."""
    try:
        header = base64.b64decode("".join(_text(data["image/png"]).split())[:64])
        height = int.from_bytes(header[20:24], "big") if header[12:16] == b"IHDR" else None
    except (KeyError, binascii.Error):
        height = None
    if not height:
        return FIGURE_LINES
    return math.ceil(min(height, FIGURE_MAX_PX) / LINE_PX)


def slide_types(cells):
    """The slide type of each cell (a list of str), from the cells' content alone."""
    types, used, previous, in_solutions = [], 0, None, False
    for i, cell in enumerate(cells):
        source = _text(cell.get("source", "")).lstrip("\n")
        if cell.get("cell_type") == "markdown":
            level = HEADING.match(source)
            kind = "slide" if i == 0 or (level and len(level.group(1)) <= 2) else "subslide"
            if SOLUTIONS.search(source):
                in_solutions = True
            elif kind == "slide":           # a new section ends the solutions
                in_solutions = False
            used = _lines(source)
        elif cell.get("cell_type") == "code":
            cost = cell_cost(cell)
            if i == 0:
                kind, used = "slide", cost
            elif i == 1 and previous == "markdown":      # the set-up, under the title
                kind, used = "subslide", cost
            elif in_solutions and previous == "code":
                kind, used = "subslide", cost
            elif used + cost > SLIDE_LINES:
                kind, used = "subslide", cost
            else:
                kind, used = ("fragment" if previous == "code" else "-"), used + cost
        else:                                   # raw cells: not part of the talk
            kind = "skip"
        types.append(kind)
        previous = cell.get("cell_type")
    return types


def apply(nb):
    """Set the slide types of a notebook (a dict as json.load gives it); True if any changed."""
    changed = False
    for cell, kind in zip(nb["cells"], slide_types(nb["cells"])):
        slideshow = cell.setdefault("metadata", {}).setdefault("slideshow", {})
        if slideshow.get("slide_type") != kind:
            slideshow["slide_type"] = kind
            changed = True
    return changed


def dumps(nb):
    """The notebook as nbformat.write lays it out (one-space indent, sorted keys, UTF-8)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def process(path, write=True):
    """Set the slide types of the notebook at `path`; returns True if it changed (or would)."""
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    changed = apply(nb)
    if changed and write:
        path.write_text(dumps(nb), encoding="utf-8")
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook would change")
    args = parser.parse_args(argv)
    changed = [p for p in notebooks(args.notebooks) if process(p, write=not args.check)]
    for path in changed:
        print(f"{'would set' if args.check else 'set'} slide types in {path}")
    if args.check and changed:
        sys.exit(1)


if __name__ == "__main__":
    main()
