"""The slides of the instructor edition as a lecture hall sees them, in a real browser: every deck
at 1280 x 720, every state stepped through (tests/browsing.py says what fails a deck, and where
its screenshots go: when EMLIB_SCREENSHOTS=1 asks, and always for a deck that fails).
The instructor edition also needs speaker notes on every slide of substance; and its deck of
04_convergence starts and moves to the next slide on a key press.  A copy of a deck with problems
planted on three slides shows that the check finds each, on its slide.
One deck alone: `pytest tests/test_browser_slides_instructor.py -k 04_convergence`; both editions' decks:
`pytest tests/test_browser_slides_*.py -k 04_convergence`.

The slides are the ones tests/test_web.py checks (conftest.py's web_editions: built once per run).
"""
from pathlib import Path

import pytest
from browsing import (SPEAKER_NOTES, check_deck, check_deck_reads_from_the_back_of_the_room, decks, fonts_loaded,  # noqa: F401
                      parsed_deck, slides_page)

pytestmark = pytest.mark.browser
EXPLORER_NOTEBOOK = "04_convergence.ipynb"


def test_slides_start_and_move_offline(slides_page, web_editions):
    """The deck starts, and the right arrow key moves to the next slide (its maths is checked with
    every deck's, below)."""
    page, watch = slides_page
    page.goto((web_editions["slides"]["instructor"] / f"{Path(EXPLORER_NOTEBOOK).stem}.slides.html").as_uri())
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    slides = page.evaluate("Reveal.getHorizontalSlides().length")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => Reveal.getIndices().h === 1")
    fonts_loaded(page)
    assert slides > 3
    assert not watch.problems


@pytest.mark.parametrize("deck", decks("instructor"))
def test_slides_read_from_the_back_of_the_room(slides_page, web_editions, deck):
    check_deck_reads_from_the_back_of_the_room(slides_page, web_editions, deck)


def test_the_check_finds_each_problem_on_the_slide_that_has_it(slides_page, web_editions, tmp_path):
    """A copy of a deck with a problem planted on each of three slides: text too small, text cut
    off at the bottom, and a slide of substance without its speaker notes.  The check reports
    each on its own slide (h, v) and nothing anywhere else (each slide's content is in the page
    only while it is checked: tests/slide_check.js)."""
    page, watch = slides_page
    watch.problems.clear()
    source = web_editions["slides"]["instructor"] / "08_emlib_and_scikit_learn.slides.html"
    found = parsed_deck(source)
    noted = [n for n, (a, b) in enumerate(found.slides) if SPEAKER_NOTES.search(found.text[a:b])]
    small, long, silent = noted[2], noted[4], noted[6]
    planted = {small: '<p style="font-size: 12px">These words are too small to read.</p>',
               long: "".join(f"<p>Line {i} of a slide that goes on and on.</p>" for i in range(40))}
    text, end = "", 0
    for number, (start, stop) in enumerate(found.slides):
        slide = found.text[start:stop]
        text += found.text[end:start] + (SPEAKER_NOTES.sub("", slide) if number == silent else slide)
        text += planted.get(number, "")
        end = stop
    copy = tmp_path / source.name
    copy.write_text(text + found.text[end:], encoding="utf-8")
    (tmp_path / "_static").symlink_to(source.parent / "_static", target_is_directory=True)
    page.goto(copy.as_uri())
    states, problems = check_deck(page, copy, notes=True)
    place = parsed_deck(copy).places
    assert {(p["h"], p["v"], p["kind"]) for p in problems} == {
        (*place[small], "small"), (*place[long], "overflow"), (*place[silent], "notes")}
    assert len(states) == len(found.slides) and not watch.problems
