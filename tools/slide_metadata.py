"""Set the slide type of every cell, so that each lesson is also a slide show.

    python tools/slide_metadata.py                    # notebooks/NN_*.ipynb and notebooks/student/
    python tools/slide_metadata.py notebooks/02_e_step.ipynb
    python tools/slide_metadata.py --check            # exit 1 if a notebook would change

It writes cell.metadata.slideshow.slide_type, which reveal.js (`make slides`) and the RISE
extension in JupyterLab read, and nothing else: sources, outputs, execution counts and all
other metadata stay as they are, and the file is rewritten only if a slide type changed, in the
layout nbformat and tools/run_notebooks.py use.  The slide types follow from the notebook's
content alone, so running it again changes nothing.

Writing a lesson for the slides (what authors do; the rest follows from the rules below):

  - "## " opens a new idea: a new slide (to the right).  "### " opens a step of the same idea: a
    subslide (down).  Prose without a heading continues the slide it follows while it fits.
  - Put the explanation of a figure in the Markdown cell right after the code cell that draws
    it: the two stay on one slide (the figure shrinks to make room, down to FIGURE_MIN_SCALE).
  - Speaker notes: a Markdown cell tagged `notes` (cell metadata "tags": ["notes"]; in JupyterLab
    the property inspector, or a cell's "Add Tag"), right after the cells it is about.  It gets
    slide type "notes": reveal.js shows it in the speaker view (press S) of the slide it is on,
    never on the slide itself; tools/make_student.py leaves it out of the student notebooks, so it
    is in neither the student edition's pages nor its slides.  Write what to say, what to ask the
    class and the common confusion, for the slide the cell is on; every slide of substance needs
    one (tests/test_browser_slides_instructor.py checks).  A notes cell takes no room and
    does not change the slide types of the cells around it.
  - Check a deck with `make slides` and `pytest tests/test_browser_slides_*.py -k NN_name`: it steps
    through every slide at 1280 x 720 and names each slide whose content is cut off, too small,
    or without notes.

The rules (one idea per slide, with its picture, nothing cut off; "down" is a subslide):

  the first cell (the title)                    slide
  the set-up code right after the title         subslide: the title slide shows the title and
                                                the goals alone; the imports are one step down
  a cell tagged "notes"                         notes (the speaker view; takes no room)
  Markdown opening with "# " or "## "           slide: a new idea
  Markdown opening with "### " (or deeper)      subslide: the next step of the same idea
  Markdown prose (no heading first)             "-": on the current slide, if it fits there,
                                                else a subslide
  a code cell after Markdown                    "-": on the slide of the text that explains it,
                                                if it fits there, else a subslide
  a code cell after a code cell                 fragment: appears on the next key press, if it
                                                fits, else a subslide
  a code cell under a "Solutions" heading       subslide: one solution per step down, so they
                                                stay out of the way until asked for
  anything after a heading alone                on the heading's slide (never a one-line slide)
  a figure and the prose right after it         on one slide: if the two do not fit where the
                                                figure's cell would go, the figure's cell opens
                                                a subslide and its explanation joins it
  raw cells                                     skip

"Fits": the slides are a 1280 x 720 canvas (SLIDE, which tools/build_web.py turns into the
reveal.js configuration and the style sheet), of which ROOM_PX = 720 - padding in height holds
content; the bottom padding keeps content clear of the navigation arrows.  A cell's height is
estimated from its source and outputs (cell_height_px): prose lines wrapped at PROSE_CHARS
characters, code and text output lines at CODE_CHARS, headings, displayed equations and tables
by their lines, and a figure at FIGURE_MIN_SCALE + FIGURE_MARGIN of its PNG height (the slides' script then
grows each figure to fill the room its slide leaves, up to FIGURE_MAX_SCALE).  The estimate is
deliberately simple: tests/test_browser_slides_*.py measure the real slides.
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

#: The slides' geometry and type sizes (CSS pixels on the 1280 x 720 canvas, which reveal.js
#: shows unscaled on a 1280 x 720 screen).  tools/build_web.py writes these into the reveal.js
#: configuration and the slides' style sheet: change them here only.
SLIDE = {
    "width": 1280, "height": 720,
    # content padding; the bottom keeps the navigation arrows (bottom right) clear of content
    "pad_top": 24, "pad_bottom": 76, "pad_x": 48,
    "prose_px": 28, "prose_line": 1.35,           # Markdown text (body text >= 24 px on screen)
    "code_px": 24, "code_line": 1.3,              # code and text outputs
    "h1_px": 52, "h2_px": 44, "h3_px": 36, "h4_px": 30,
}
ROOM_PX = SLIDE["height"] - SLIDE["pad_top"] - SLIDE["pad_bottom"]
CONTENT_WIDTH_PX = SLIDE["width"] - 2 * SLIDE["pad_x"]
PROSE_LINE_PX = SLIDE["prose_px"] * SLIDE["prose_line"]
CODE_LINE_PX = SLIDE["code_px"] * SLIDE["code_line"]
#: Characters per line before a line wraps: prose (proportional font, about 0.55 em a
#: character) and code or text output (monospace, 0.6 em, inside a padded box).
PROSE_CHARS = 80
CODE_CHARS = 78
#: Vertical space between cells, inside a code cell's box, and around a paragraph or equation.
CELL_GAP_PX = 12
CODE_BOX_PX = 40
PARAGRAPH_GAP_PX = 14
EQUATION_LINE_PX = 56
#: A figure shrinks to make room for its explanation down to this fraction of the size it was
#: drawn at (below, its text gets too small to read: tests/test_browser_slides_*.py fail), and grows to
#: fill its slide up to FIGURE_MAX_SCALE.  The slide types plan each figure FIGURE_MARGIN larger
#: than its least size, for the estimate's error.  A figure whose PNG size cannot be read counts
#: as FIGURE_DEFAULT_PX high.
FIGURE_MIN_SCALE = 0.8
FIGURE_MARGIN = 0.1
FIGURE_MAX_SCALE = 1.6
FIGURE_DEFAULT_PX = 450
NOTES_TAG = "notes"
SOLUTIONS = re.compile(r"^#{1,6}[ \t]+(?:your[ \t]+)?(solutions?|answers?)\b", re.IGNORECASE | re.MULTILINE)
HEADING = re.compile(r"^(#{1,6})[ \t]+(.*)")
LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")


def notebooks(paths=None):
    """The given notebooks, or every notebooks/NN_*.ipynb and notebooks/student/NN_*.ipynb."""
    if paths:
        return [Path(p) for p in paths]
    folder = ROOT / "notebooks"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb")) + sorted((folder / "student").glob("[0-9][0-9]_*.ipynb"))


def _text(source):
    return "".join(source) if isinstance(source, list) else source


def is_notes(cell):
    """A speaker-notes cell: tagged "notes"."""
    return NOTES_TAG in cell.get("metadata", {}).get("tags", [])


def _wrapped(text, chars):
    """How many screen lines `text` takes when wrapped at `chars` characters (at least 1)."""
    return max(1, math.ceil(len(text.rstrip()) / chars))


# ------------------------------------------------------------------------------------------
# How high a cell is on a slide
# ------------------------------------------------------------------------------------------
def markdown_height_px(source):
    """The estimated height of rendered Markdown: headings, paragraphs and list items wrapped at
    PROSE_CHARS, displayed equations ($$ ... $$) and table rows line by line."""
    height, paragraph, equation = 0.0, "", None

    def flush():
        nonlocal height, paragraph
        if paragraph:
            height += _wrapped(paragraph, PROSE_CHARS) * PROSE_LINE_PX + PARAGRAPH_GAP_PX
            paragraph = ""

    for line in source.strip("\n").splitlines():
        stripped = line.strip()
        if equation is not None or stripped.startswith("$$"):
            flush()
            equation = stripped if equation is None else equation + " " + stripped
            if equation.count("$$") >= 2:           # the block is complete: one line per \\ break
                height += (1 + equation.count("\\\\")) * EQUATION_LINE_PX + PARAGRAPH_GAP_PX
                equation = None
            continue
        heading = HEADING.match(stripped)
        if heading:
            flush()
            size = SLIDE[f"h{min(len(heading.group(1)), 4)}_px"]
            height += _wrapped(heading.group(2), PROSE_CHARS * SLIDE["prose_px"] / size) * size * 1.2 \
                + PARAGRAPH_GAP_PX
        elif not stripped:
            flush()
        elif stripped.startswith("|"):
            flush()
            if not re.fullmatch(r"[|:\-\s]+", stripped):          # not the |---| row: cells wrap
                height += _wrapped(stripped, PROSE_CHARS) * PROSE_LINE_PX + 8
        elif LIST_ITEM.match(line):
            flush()
            paragraph = stripped
        else:
            paragraph += " " + stripped if paragraph else stripped
    flush()
    return height


def figure_px(data):
    """(width, height) in pixels a figure is drawn at, from its PNG header; (None,
    FIGURE_DEFAULT_PX) when it cannot be read (SVG, JPEG, ...)."""
    try:
        header = base64.b64decode("".join(_text(data["image/png"]).split())[:64])
    except (KeyError, binascii.Error):
        return None, FIGURE_DEFAULT_PX
    if header[12:16] != b"IHDR":
        return None, FIGURE_DEFAULT_PX
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def figure_height_px(data):
    """The height planned for a figure on a slide: FIGURE_MIN_SCALE + FIGURE_MARGIN of its own,
    or less when the slide's width allows less."""
    width, height = figure_px(data)
    least = FIGURE_MIN_SCALE + FIGURE_MARGIN
    scale = least if width is None else min(least, CONTENT_WIDTH_PX / width)
    return height * scale


def has_figure(cell):
    return any(mime.startswith("image/") for out in cell.get("outputs", []) for mime in out.get("data", {}))


def code_height_px(cell):
    """The estimated height of a code cell: its source in a box, its text outputs (wrapped at
    CODE_CHARS), and its figures as figure_height_px plans them."""
    lines = _text(cell.get("source", "")).strip("\n").splitlines() or [""]
    height = CODE_BOX_PX + sum(_wrapped(line, CODE_CHARS) for line in lines) * CODE_LINE_PX
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if any(mime.startswith("image/") for mime in data):
            height += CELL_GAP_PX + figure_height_px(data)
            continue
        if output.get("output_type") == "stream":
            text = _text(output.get("text", ""))
        elif output.get("output_type") == "error":
            text = "\n".join(output.get("traceback", []))
        else:
            text = _text(data.get("text/plain", ""))
        if "application/vnd.jupyter.widget-view+json" in data:
            text += "\n(a widget note)"                      # tools/build_web.py adds one line
        out_lines = text.strip("\n").splitlines()
        if out_lines:
            height += CELL_GAP_PX + sum(_wrapped(line, CODE_CHARS) for line in out_lines) * CODE_LINE_PX
    return height


def cell_height_px(cell):
    """The estimated height (px) of a cell on a slide; 0 for notes and raw cells."""
    if is_notes(cell) or cell.get("cell_type") not in ("markdown", "code"):
        return 0.0
    if cell["cell_type"] == "markdown":
        return markdown_height_px(_text(cell.get("source", "")))
    return code_height_px(cell)


# ------------------------------------------------------------------------------------------
# The slide types
# ------------------------------------------------------------------------------------------
def _heading_level(source):
    match = HEADING.match(source.lstrip("\n"))
    return len(match.group(1)) if match else None


def _heading_only(cell):
    lines = [line for line in _text(cell.get("source", "")).splitlines() if line.strip()]
    return cell.get("cell_type") == "markdown" and bool(lines) and all(HEADING.match(line) for line in lines)


def _is_prose(cell):
    return cell is not None and cell.get("cell_type") == "markdown" and not is_notes(cell) \
        and _heading_level(_text(cell.get("source", ""))) is None


def slide_types(cells):
    """The slide type of each cell (a list of str), from the cells' content alone."""
    visible = [i for i, c in enumerate(cells) if c.get("cell_type") in ("markdown", "code") and not is_notes(c)]
    following = dict(zip(visible, visible[1:] + [None]))
    types = ["notes" if is_notes(c) else "skip" for c in cells]     # notes and raw cells
    used, previous, heading_alone, in_solutions = 0.0, None, False, False
    for n, i in enumerate(visible):
        cell = cells[i]
        source = _text(cell.get("source", ""))
        height = cell_height_px(cell)
        fits = used + CELL_GAP_PX + height <= ROOM_PX
        if n == 0:
            kind = "slide"
        elif cell["cell_type"] == "markdown":
            level = _heading_level(source)
            if SOLUTIONS.search(source):
                in_solutions = True
            elif level is not None and level <= 2:      # a new section ends the solutions
                in_solutions = False
            if level is not None and level <= 2:
                kind = "slide"
            elif heading_alone:
                kind = "-"
            elif level is not None:
                kind = "subslide"
            else:
                kind = "-" if fits else "subslide"
        else:
            step = "fragment" if previous == "code" else "-"
            nxt = following[i]
            if has_figure(cell) and nxt is not None and _is_prose(cells[nxt]):   # with its explanation
                fits = used + 2 * CELL_GAP_PX + height + cell_height_px(cells[nxt]) <= ROOM_PX
            if n == 1 and previous == "markdown":
                kind = "subslide"                       # the set-up, under the title
            elif in_solutions and previous == "code":
                kind = "subslide"                       # one solution per step
            elif heading_alone:
                kind = step
            else:
                kind = step if fits else "subslide"
        used = height if kind in ("slide", "subslide") else used + CELL_GAP_PX + height
        heading_alone = kind in ("slide", "subslide") and _heading_only(cell)
        types[i] = kind
        previous = cell["cell_type"]
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
