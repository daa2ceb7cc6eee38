"""The slides of the student edition as a lecture hall sees them, in a real browser: every deck
at 1280 x 720, every state stepped through (tests/browsing.py says what fails a deck, and where
its screenshots go: when EMLIB_SCREENSHOTS=1 asks, and always for a deck that fails).
One deck alone: `pytest tests/test_browser_slides_student.py -k 04_convergence`; both editions' decks:
`pytest tests/test_browser_slides_*.py -k 04_convergence`.

The slides are the ones tests/test_web.py checks (conftest.py's web_editions: built once per run).
"""
import pytest
from browsing import browser, check_deck_reads_from_the_back_of_the_room, decks, slides_page  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("deck", decks("student"))
def test_slides_read_from_the_back_of_the_room(slides_page, web_editions, deck):
    check_deck_reads_from_the_back_of_the_room(slides_page, web_editions, deck)
