"""The offline HTML edition in a real browser (headless Chromium: see tests/browsing.py for how,
what fails every test, and screenshots, taken when EMLIB_SCREENSHOTS=1 asks and always of a
failing page).

  HTML edition every page of both editions, opened from file:// (as a student would open the
               folder): MathJax typeset the maths, and no TeX is left in the text; the index
               says which edition it is and numbers the lessons once; outputs wrap at spaces.
  the watch    a page that loads a script from another host is reported (the check every
               browser test ends with can fail).

The HTML edition is the one tests/test_web.py checks (conftest.py's web_editions: built once
per run).
"""
import pytest
from browsing import EDITIONS, RAW_TEX, TYPESET, VISIBLE_MARKDOWN, Watch, browser, screenshot  # noqa: F401
from helpers import cells, source

pytestmark = pytest.mark.browser


def has_math(path):
    return any("$" in source(c) for c in cells(path) if c["cell_type"] == "markdown")


@pytest.mark.parametrize("edition", EDITIONS)
def test_html_edition_typesets_the_maths_offline(browser, web_editions, edition):
    page = browser.new_page()
    watch = Watch(page)
    untypeset, counts = {}, {}
    folder = web_editions["html"][edition]
    try:
        for notebook in EDITIONS[edition]:
            page.goto((folder / f"{notebook.stem}.html").as_uri())
            page.wait_for_function(TYPESET, timeout=30_000)
            counts[notebook.stem] = page.locator("mjx-container").count()
            left = sorted({m.group(0) for m in RAW_TEX.finditer(page.evaluate(VISIBLE_MARKDOWN))})
            if left:
                untypeset[notebook.stem] = left
            failed = bool(left) or (counts[notebook.stem] == 0 and has_math(notebook))
            if failed or notebook.stem.startswith("02_"):
                screenshot(page, f"html_{edition}_{notebook.stem}.png", failed)
            if notebook.stem.startswith("02_"):
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
    assert not [nb.stem for nb in EDITIONS[edition] if counts[nb.stem] == 0 and has_math(nb)]
    assert not untypeset, f"TeX left as text (not typeset): {untypeset}"
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

