"""Slide metadata: every lesson is also a slide show (`make slides`, RISE in JupyterLab).

tools/slide_metadata.py sets each cell's slideshow.slide_type from the notebook's content.  The
tests marked `slides` check the committed notebooks carry exactly what it sets: after editing a
notebook, run `python tools/slide_metadata.py` (the failure message says so).  The others check
the script itself, on copies: its rules, that it is idempotent, and that it touches nothing but
the slide types.
"""
import base64
import json
import shutil
import struct
import zlib

import nbformat
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
def md(text, tags=None):
    return {"cell_type": "markdown", "metadata": {"tags": tags} if tags else {}, "source": text}


def png_output(height, width=600):
    """A display_data output holding a PNG header of the given size (enough for the script)."""
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", width, height)
    header += bytes([8, 6, 0, 0, 0])
    header += struct.pack(">I", zlib.crc32(header[12:]) & 0xFFFFFFFF)
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(header).decode(), "text/plain": "<Figure>"}}


def code(text, *outputs):
    return {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": list(outputs),
            "source": text}


def words(n_lines):
    """Prose that wraps to exactly n_lines lines of the slides."""
    return "word " * ((slide_metadata.PROSE_CHARS * n_lines - 10) // 5)


def test_rules_on_a_small_lesson():
    """Heights by hand (tools/slide_metadata.py's estimate; the room is ROOM_PX = 620 px): a line
    of prose 37.8 px (+14 after a paragraph), a code cell 40 + 31.2 per line, a figure 0.9 of its
    height (+12), an h2 heading 66.8 px, an h3 57.2 px, 12 px between cells."""
    assert slide_metadata.ROOM_PX == 620
    lesson = [
        md("# 09 · A lesson\n\nIn this notebook you will\n\n- learn"),
        code("import numpy as np"),                          # the set-up, one step down
        md("## An idea\n\nSome words."),                     # a new idea: 66.8 + 51.8
        code("x = 1"),                                       # under its text: + 12 + 71.2
        md("Ask what x is.", tags=["notes"]),                # notes: no room, no effect
        code("print(x)", {"output_type": "stream", "name": "stdout", "text": "1\n"}),  # on a key press
        md("### A detail"),                                  # a step down: 57.2
        code("plot()", png_output(600)),                     # a heading never stands alone: joins it
        md("## The pair\n\nSome words."),                    # 118.6
        # the figure (71.2 + 12 + 270 = 353.2) would fit here, but not with its explanation
        # (5 lines: 203): it opens a step down, and the explanation joins it (568.2 <= 620)
        code("plot()", png_output(300)),
        md(words(5)),
        md(words(4)),                                        # 568.2 + 12 + 165.2 > 620: a step down
        md("More words."),                                   # fits under it
        md("## Summary\n\n- it works"),
        md("### Solutions"),
        code("answer_1()"),                                  # joins the heading
        code("answer_2()"),                                  # one solution per step
        {"cell_type": "raw", "metadata": {}, "source": "%%latex"},
    ]
    assert slide_metadata.slide_types(lesson) == [
        "slide", "subslide", "slide", "-", "notes", "fragment", "subslide", "-",
        "slide", "subslide", "-", "subslide", "-",
        "slide", "subslide", "-", "subslide", "skip"]


def test_without_the_pair_rule_the_explanation_would_be_split_from_its_figure():
    """The case above, checked by its numbers: the figure alone fits where it is."""
    used = slide_metadata.markdown_height_px("## The pair\n\nSome words.")
    figure = slide_metadata.code_height_px(code("plot()", png_output(300)))
    explanation = slide_metadata.markdown_height_px(words(5))
    gap, room = slide_metadata.CELL_GAP_PX, slide_metadata.ROOM_PX
    assert used + gap + figure <= room < used + 2 * gap + figure + explanation
    assert figure + gap + explanation <= room


def test_heights_by_hand():
    line, code_line = slide_metadata.PROSE_LINE_PX, slide_metadata.CODE_LINE_PX
    assert (line, code_line) == (28 * 1.35, 24 * 1.3)
    assert slide_metadata.markdown_height_px("Some words.") == line + 14
    assert slide_metadata.markdown_height_px(words(3)) == 3 * line + 14
    assert slide_metadata.markdown_height_px("- one\n- two\n  continued") == 2 * (line + 14)
    assert slide_metadata.markdown_height_px("$$\na \\\\ b\n$$") == 2 * slide_metadata.EQUATION_LINE_PX + 14
    assert slide_metadata.markdown_height_px("| a | b |\n|---|---|\n| 1 | 2 |") == 2 * (line + 8)
    assert slide_metadata.code_height_px(code("x = 1\n" + "y" * 100)) == 40 + 3 * code_line
    output = {"output_type": "stream", "name": "stdout", "text": "a\nb\n"}
    assert slide_metadata.code_height_px(code("x", output)) == 40 + code_line + 12 + 2 * code_line


def test_figure_height_comes_from_the_png_header():
    plan = slide_metadata.FIGURE_MIN_SCALE + slide_metadata.FIGURE_MARGIN
    assert slide_metadata.figure_px(png_output(280, 500)["data"]) == (500, 280)
    assert slide_metadata.figure_height_px(png_output(280)["data"]) == pytest.approx(280 * plan)
    # a figure wider than the slide: its width decides
    assert slide_metadata.figure_height_px(png_output(400, 2368)["data"]) == pytest.approx(200)
    assert slide_metadata.figure_height_px({"image/svg+xml": "<svg/>"}) == slide_metadata.FIGURE_DEFAULT_PX * plan


def test_notes_cells_are_notes_and_left_out_of_the_student_edition():
    make_student = load_tool("make_student")
    nb = {"cells": [md("# 09 · A lesson"), md("Say hello.", tags=["notes"]), code("x = 1"),
                    md("Point at x.", tags=["notes"])],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    assert slide_metadata.slide_types(nb["cells"]) == ["slide", "notes", "subslide", "notes"]
    student = make_student.studentise(nbformat.from_dict(nb))
    assert [c.source for c in student.cells][1:] == ["x = 1"]


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
