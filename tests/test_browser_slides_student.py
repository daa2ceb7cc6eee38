"""The slides of the student edition as a lecture hall sees them, in a real browser: every deck
at 1280 x 720, every state stepped through (tests/browsing.py says what fails a deck, and where
its screenshots go: when EMLIB_SCREENSHOTS=1 asks, and always for a deck that fails).
Checked are the slides that the instructor deck does not show alike (its test checks the others),
of all the decks together, in one page (browsing.check_student_decks): each deck's test then
reports its own slides' problems, placed (h, v) in its own deck.
One deck alone: `pytest tests/test_browser_slides_student.py -k 04_convergence`; both editions' decks:
`pytest tests/test_browser_slides_*.py -k 04_convergence`.

The slides are the ones tests/test_web.py checks (conftest.py's web_editions: built once per run).
"""
import pytest
from browsing import (assert_deck_passes, check_student_decks, decks, markdown_has_maths, parsed_deck,  # noqa: F401
                      shown_in, slides_of, slides_page, together)

pytestmark = pytest.mark.browser
DECK_TEST = "test_slides_read_from_the_back_of_the_room"


@pytest.fixture(scope="module")
def checked(request, slides_page, web_editions, tmp_path_factory):
    """What check_student_decks found in the student decks whose tests this run runs:
    {stem: (problems, Watch problems)}."""
    stems = [item.callspec.params["deck"].split("-", 1)[1] for item in request.session.items
             if getattr(item, "module", None) is request.module and item.originalname == DECK_TEST]
    return check_student_decks(slides_page, web_editions, stems, tmp_path_factory.mktemp("student-decks"))


@pytest.mark.parametrize("deck", decks("student"))
def test_slides_read_from_the_back_of_the_room(checked, deck):
    stem = deck.split("-", 1)[1]
    assert_deck_passes("student", stem, *checked[stem])


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


def test_decks_together_hold_each_chosen_slide_as_a_slide_of_its_own_in_the_first_decks_page(tmp_path):
    """The page the student decks' slides are checked in: the chosen slides of each deck, in
    order, each its own slide (h, 0), as they were (but for the vertical stack around them), in
    the first deck's page; a deck with another page is refused."""
    (tmp_path / "_static").mkdir()
    one = deck_file(tmp_path / "one.html", "(student edition) one",
                    "<section><h1>EM</h1></section>",
                    '<section><section data-x="1"><p>E-step $x$</p></section>'
                    "<section><pre>def e_step(): ...</pre></section></section>")
    two = deck_file(tmp_path / "two.html", "(student edition) two",
                    "<section><p>M-step</p></section>", "<section><section><p>Done</p></section></section>")
    (tmp_path / "out").mkdir()
    copy, origin = together([(one, [0, 2]), (two, [1])], tmp_path / "out")     # two's page is one's
    assert origin == [(one, 0), (one, 2), (two, 1)]
    slides = slides_of(copy)[0]
    assert slides == [slides_of(one)[0][0], slides_of(one)[0][2], slides_of(two)[0][1]]
    around = [(f.text[:f.stacks[0][0]], f.text[f.stacks[-1][1]:]) for f in map(parsed_deck, (copy, one))]
    assert around[0] == around[1] and "(student edition) one" in copy.read_text()
    assert parsed_deck(copy).places == [(0, 0), (1, 0), (2, 0)]
    assert parsed_deck(one).places == [(0, 0), (1, 0), (1, 1)]
    assert (tmp_path / "out" / "_static").resolve() == (tmp_path / "_static").resolve()
    other = deck_file(tmp_path / "other.html", "t", "<section><p>x</p></section>")
    other.write_text(other.read_text().replace("<head>", "<head><style>p {font-size: 9px}</style>"))
    with pytest.raises(ValueError, match="other.html: its page differs from one.html's"):
        together([(one, [0]), (other, [0])], tmp_path / "out")


def test_a_deck_expects_typeset_maths_only_where_its_markdown_has_some():
    """What the check of a student deck's slides (some of its Markdown) reads to expect maths."""
    markdown = '<section><div class="jp-Cell jp-MarkdownCell jp-Notebook-cell"><p>$x_i$</p></div>'
    code = '<section><div class="jp-Cell jp-CodeCell jp-Notebook-cell"><pre>print("$5")</pre></div>'
    assert markdown_has_maths([code, markdown])
    assert not markdown_has_maths([code]) and not markdown_has_maths([])
