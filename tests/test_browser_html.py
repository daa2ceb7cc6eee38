"""The offline HTML edition in a real browser (headless Chromium: see tests/browsing.py for how,
what fails every test, and screenshots, taken when EMLIB_SCREENSHOTS=1 asks and always of a
failing page).

  HTML edition a lesson page of each edition (PAGE), opened from file:// (as a student would open
               the folder): MathJax, from the folder, typeset the maths and no TeX is left in
               the text; outputs wrap at spaces; the index says which edition it is and numbers
               the lessons once.  The maths of every lesson is checked in its decks (both
               editions, tests/browsing.py): the same Markdown, typeset by the same MathJax
               set-up (tools/web/templates/emlib_offline.j2); opening every page as well took
               about a CPU-second a page.
  the watch    a page that loads a script from another host is reported (the check every
               browser test ends with can fail).

The HTML edition is the one tests/test_web.py checks (conftest.py's web_editions: built once
per run).
"""
import pytest
from browsing import EDITIONS, Watch, has_math, maths_problems, screenshot

pytestmark = pytest.mark.browser


#: The lesson page opened in each edition: one with maths, outputs and a figure.
PAGE = "02_e_step"


@pytest.mark.parametrize("edition", EDITIONS)
def test_html_edition_typesets_the_maths_offline(browser, web_editions, edition):
    page = browser.new_page()
    watch = Watch(page)
    folder = web_editions["html"][edition]
    notebook = next(nb for nb in EDITIONS[edition] if nb.stem == PAGE)
    try:
        page.goto((folder / f"{PAGE}.html").as_uri())
        problems = [p["what"] for p in maths_problems(page, has_math(notebook))]
        screenshot(page, f"html_{edition}_{PAGE}.png", bool(problems))
        # an output line wraps at a space, not inside a number or word
        wrapping = page.evaluate("""() => { const s = getComputedStyle(document.querySelector(
            '.jp-OutputArea-output pre')); return [s.whiteSpace, s.wordBreak, s.overflowWrap]; }""")
        page.goto((folder / "index.html").as_uri())
        assert page.locator("ul.lessons a").count() == len(EDITIONS[edition])
        # the titles carry the lessons' numbers ("02 · The E-step"): the list adds none
        assert page.evaluate("getComputedStyle(document.querySelector('ul.lessons li')).listStyleType") == "none"
        assert page.locator(f'p.edition[data-edition="{edition}"]').count() == 1
    finally:
        page.close()
    assert not problems, f"{edition}/{PAGE}.html: {problems}"
    assert wrapping == ["pre-wrap", "normal", "break-word"], wrapping
    assert not watch.problems


def test_watch_reports_a_request_to_another_host(browser, tmp_path):
    """The check each test above ends with can fail: a page that loads a script from another
    host is reported (.example names no real host, so the request fails as well)."""
    (tmp_path / "page.html").write_text('<script src="https://cdn.example/x.js"></script>')
    page = browser.new_page()
    watch = Watch(page)
    try:
        page.goto((tmp_path / "page.html").as_uri())
    finally:
        page.close()
    assert "request to another host: https://cdn.example/x.js" in watch.problems

