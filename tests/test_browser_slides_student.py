"""The slides of the student edition as a lecture hall sees them, in a real browser: every deck
at 1280 x 720, every state stepped through (tests/browsing.py says what fails a deck, and where
its screenshots go: when EMLIB_SCREENSHOTS=1 asks, and always for a deck that fails).
One deck alone: `pytest tests/test_browser_slides_student.py -k 04_convergence`; both editions' decks:
`pytest tests/test_browser_slides_*.py -k 04_convergence`.

The slides are the ones tests/test_web.py checks (conftest.py's web_editions: built once per run).
"""
import pytest
from browsing import (check_deck_reads_from_the_back_of_the_room, decks, markdown_has_maths, shown_in,  # noqa: F401
                      slides_of, slides_page, without_slides)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("deck", decks("student"))
def test_slides_read_from_the_back_of_the_room(slides_page, web_editions, deck, tmp_path):
    check_deck_reads_from_the_back_of_the_room(slides_page, web_editions, deck, tmp_path)


def deck_file(path, title, *slides):
    path.write_text(f"<html><head><title>{title}</title></head><body><div class=\"reveal\"><div class=\"slides\">"
                    + "".join(slides) + "</div></div><script>Reveal.initialize()</script></body></html>",
                    encoding="utf-8")
    return path


def test_a_student_deck_skips_only_the_slides_the_instructor_deck_shows_alike(tmp_path):
    notes = '<aside class="notes">Say why.</aside>'
    instructor = deck_file(tmp_path / "i.html", "(instructor edition)",
                           "<section><h1>EM</h1></section>",
                           f"<section><section><p>E-step</p>{notes}</section><section><pre>def e_step(): ...</pre></section></section>",
                           f"<section><p>M-step</p>{notes}</section>")
    student = deck_file(tmp_path / "s.html", "(student edition)",
                        "<section><h1>EM</h1></section>",
                        "<section><section><p>E-step</p></section><section><pre>def e_step(): raise NotImplementedError</pre></section></section>",
                        "<section><p>M-step</p></section>")
    assert shown_in(student, instructor) == [0, 1, 3]      # the same but for notes and the title
    other_page = deck_file(tmp_path / "o.html", "(student edition)", "<section><h1>EM</h1></section>")
    other_page.write_text(other_page.read_text().replace("<head>", "<head><style>h1 {font-size: 9px}</style>"))
    assert shown_in(other_page, instructor) == []           # another page: check every slide


def test_a_student_deck_is_opened_without_the_slides_it_skips(tmp_path):
    """The copy a student deck's test opens: the skipped slides emptied, their <section> tags and
    every other slide (and the page around them) as they were, and _static linked."""
    (tmp_path / "_static").mkdir()
    deck = deck_file(tmp_path / "s.html", "(student edition)",
                     "<section><h1>EM</h1></section>",
                     '<section><section data-x="1"><p>E-step $x$</p></section>'
                     "<section><pre>def e_step(): ...</pre></section></section>",
                     "<section><p>M-step</p></section>")
    (tmp_path / "copy").mkdir()
    copy = without_slides(deck, [0, 2], tmp_path / "copy")
    slides, page = slides_of(deck)
    assert slides_of(copy) == (["<section>", slides[1], "<section>", slides[3]], page)
    assert (tmp_path / "copy" / "_static").resolve() == (tmp_path / "_static").resolve()
    assert without_slides(deck, [], tmp_path / "copy").read_text() == deck.read_text()


def test_a_deck_expects_typeset_maths_only_where_its_markdown_has_some():
    """What the check of a student deck's slides (some of its Markdown) reads to expect maths."""
    markdown = '<section><div class="jp-Cell jp-MarkdownCell jp-Notebook-cell"><p>$x_i$</p></div>'
    code = '<section><div class="jp-Cell jp-CodeCell jp-Notebook-cell"><pre>print("$5")</pre></div>'
    assert markdown_has_maths([code, markdown])
    assert not markdown_has_maths([code]) and not markdown_has_maths([])
