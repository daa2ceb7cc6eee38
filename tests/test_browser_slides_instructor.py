"""The slides of the instructor edition as a lecture hall sees them, in a real browser: every deck
at 1280 x 720, every state stepped through (tests/browsing.py says what fails a deck, and where
its screenshots go: when EMLIB_SCREENSHOTS=1 asks, and always for a deck that fails).
The instructor edition also needs speaker notes on every slide of substance; and its deck of
04_convergence starts, moves to the next slide and has its maths typeset offline.
One deck alone: `pytest tests/test_browser_slides_instructor.py -k 04_convergence`; both editions' decks:
`pytest tests/test_browser_slides_*.py -k 04_convergence`.

The slides are the ones tests/test_web.py checks (conftest.py's web_editions: built once per run).
"""
from pathlib import Path

import pytest
from browsing import (RAW_TEX, TYPESET, VISIBLE_MARKDOWN, browser, check_deck_reads_from_the_back_of_the_room,  # noqa: F401
                      decks, fonts_loaded, slides_page)

pytestmark = pytest.mark.browser
EXPLORER_NOTEBOOK = "04_convergence.ipynb"


def test_slides_start_move_and_typeset_offline(slides_page, web_editions):
    page, watch = slides_page
    page.goto((web_editions["slides"]["instructor"] / f"{Path(EXPLORER_NOTEBOOK).stem}.slides.html").as_uri())
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    page.wait_for_function(TYPESET, timeout=30_000)
    typeset = page.locator("mjx-container").count()
    left = sorted({m.group(0) for m in RAW_TEX.finditer(page.evaluate(VISIBLE_MARKDOWN))})
    slides = page.evaluate("Reveal.getHorizontalSlides().length")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => Reveal.getIndices().h === 1")
    fonts_loaded(page)
    assert slides > 3
    assert typeset > 0
    assert not left, f"TeX left as text on the slides (not typeset): {left}"
    assert not watch.problems


@pytest.mark.parametrize("deck", decks("instructor"))
def test_slides_read_from_the_back_of_the_room(slides_page, web_editions, deck):
    check_deck_reads_from_the_back_of_the_room(slides_page, web_editions, deck)
