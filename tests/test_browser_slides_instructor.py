"""The slides of the instructor edition as a lecture hall sees them, in a real browser: every deck
at 1280 x 720, every state stepped through (tests/browsing.py says what fails a deck, and where
its screenshots go: when EMLIB_SCREENSHOTS=1 asks, and always for a deck that fails).
The instructor edition also needs speaker notes on every slide of substance; and its deck of
04_convergence starts and moves to the next slide on a key press.
One deck alone: `pytest tests/test_browser_slides_instructor.py -k 04_convergence`; both editions' decks:
`pytest tests/test_browser_slides_*.py -k 04_convergence`.

The slides are the ones tests/test_web.py checks (conftest.py's web_editions: built once per run).
"""
from pathlib import Path

import pytest
from browsing import check_deck_reads_from_the_back_of_the_room, decks, fonts_loaded, slides_page  # noqa: F401

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
