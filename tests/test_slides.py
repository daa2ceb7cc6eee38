"""Slide metadata: every lesson is also a slide show (`make slides`, RISE in JupyterLab).

tools/slide_metadata.py sets each cell's slideshow.slide_type from the notebook's content.  The
tests marked `slides` check the committed notebooks carry exactly what it sets: after editing a
notebook, run `python tools/slide_metadata.py` (the failure message says so).  The others check
the script itself, on copies: its rules, that it is idempotent, and that it touches nothing but
the slide types.
"""
import base64
import json
import math
import shutil
import struct
import zlib

import pytest
from helpers import LESSONS, ROOT, STUDENT_LESSONS, cells, load_tool, source

NOTEBOOKS = LESSONS + STUDENT_LESSONS
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
RUN_IT = "run `python tools/slide_metadata.py` and commit the notebooks"


slide_metadata = load_tool("slide_metadata")


def ids(paths):
    return [str(p.relative_to(ROOT / "notebooks")) for p in paths]


# ----------------------------------------------------------------------------------------
# The committed notebooks
# ----------------------------------------------------------------------------------------
@pytest.mark.slides
@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_cell_has_the_slide_type_the_script_sets(path):
    stored_cells = cells(path)
    stored = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in stored_cells]
    missing = [i for i, t in enumerate(stored) if t is None]
    assert not missing, f"{path.name}: cells {missing} have no slide type: {RUN_IT}"
    assert set(stored) <= SLIDE_TYPES, f"{path.name}: unknown slide types {set(stored) - SLIDE_TYPES}"
    assert stored[0] == "slide", f"{path.name}: the first cell (the title) must open a slide"
    expected = slide_metadata.slide_types(stored_cells)
    changed = [i for i, (s, e) in enumerate(zip(stored, expected)) if s != e]
    assert not changed, f"{path.name}: cells {changed} differ from what the script sets: {RUN_IT}"


def test_by_default_the_script_sets_every_lesson_of_both_editions():
    assert slide_metadata.notebooks() == NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_markdown_cells_are_markdown_not_commented_out(path):
    """A Markdown cell whose every line starts with "# " (a script's comment markers left in)
    renders as a stack of headings: raw TeX, no lists, no slide structure."""
    commented = []
    for i, cell in enumerate(cells(path)):
        lines = [line for line in source(cell).splitlines() if line.strip()]
        if cell["cell_type"] == "markdown" and len(lines) > 1 and all(
                line == "#" or line.startswith("# ") for line in lines):
            commented.append(i)
    assert not commented, (f"{path.name}: Markdown cells {commented} have '# ' at the start of every "
                           "line: remove the comment markers")


# ----------------------------------------------------------------------------------------
# The script, on copies
# ----------------------------------------------------------------------------------------
def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def png_output(height):
    """A display_data output holding a PNG header of the given height (enough for the script)."""
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 600, height)
    header += bytes([8, 6, 0, 0, 0])
    header += struct.pack(">I", zlib.crc32(header[12:]) & 0xFFFFFFFF)
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(header).decode(), "text/plain": "<Figure>"}}


def code(text, *outputs):
    return {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": list(outputs),
            "source": text}


def test_rules_on_a_small_lesson():
    lesson = [
        md("# 09 · A lesson\n\nIn this notebook you will\n\n- learn"),
        code("import numpy as np"),                          # the set-up, one step down
        md("## An idea\n\nSome words."),
        code("x = 1"),                                       # under its text
        code("print(x)", {"output_type": "stream", "name": "stdout", "text": "1\n"}),
        md("### A detail"),
        code("plot()", png_output(600)),                     # 1 + 22 lines: fits under the heading
        md("More words about the picture,\n" * 6),
        code("plot()", png_output(600)),                     # 6 + 1 + 22 > 26: large, on its own
        md("## Summary\n\n- it works"),
        md("### Solutions"),
        code("answer_1()"),
        code("answer_2()"),
    ]
    assert slide_metadata.slide_types(lesson) == [
        "slide", "subslide", "slide", "-", "fragment", "subslide", "-", "subslide", "subslide",
        "slide", "subslide", "-", "subslide"]


def test_figure_height_comes_from_the_png_header():
    assert slide_metadata.figure_lines({"image/png": png_output(280)["data"]["image/png"]}) == 10
    assert slide_metadata.figure_lines({"image/png": png_output(5000)["data"]["image/png"]}) == \
        math.ceil(slide_metadata.FIGURE_MAX_PX / slide_metadata.LINE_PX)
    assert slide_metadata.figure_lines({"image/svg+xml": "<svg/>"}) == slide_metadata.FIGURE_LINES


def without_slide_types(nb):
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        cell["metadata"].pop("slideshow", None)
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_idempotent_and_touches_nothing_but_the_slide_types(path, tmp_path):
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    before_text = copy.read_text(encoding="utf-8")
    before = json.loads(before_text)

    slide_metadata.process(copy)
    once = copy.read_text(encoding="utf-8")
    assert slide_metadata.process(copy) is False          # nothing left to change
    assert copy.read_text(encoding="utf-8") == once       # not even the bytes

    after = json.loads(once)
    assert without_slide_types(after) == without_slide_types(before)
    assert all(c["metadata"]["slideshow"]["slide_type"] in SLIDE_TYPES for c in after["cells"])
    assert after["cells"][0]["metadata"]["slideshow"]["slide_type"] == "slide"
    # The file keeps nbformat's layout: a notebook that already had its slide types is unchanged
    # byte for byte, and one that had none differs only in those lines.
    assert slide_metadata.dumps(before) == before_text
    assert once == slide_metadata.dumps(after)


def test_check_mode_reports_without_writing(tmp_path, capsys):
    copy = tmp_path / "lesson.ipynb"
    nb = {"cells": [md("# Title"), code("1 + 1")], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    copy.write_text(slide_metadata.dumps(nb), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        slide_metadata.main(["--check", str(copy)])
    assert exit_.value.code == 1
    assert json.loads(copy.read_text())["cells"][0]["metadata"] == {}
    slide_metadata.main([str(copy)])
    slide_metadata.main(["--check", str(copy)])              # no exit: nothing to change
    assert "would set" in capsys.readouterr().out
