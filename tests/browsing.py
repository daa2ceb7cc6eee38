"""Shared by the browser tests (tests/test_browser_*.py): headless Chromium, what a page
reported, screenshots, and the check of a deck of slides in a lecture hall.

Headless Chromium (Debian's /usr/bin/chromium; `.ci/run` installs it on CI), driven by
Playwright's Python package with that executable: Playwright's own browser download is never
used.  Each test fails on an error in the browser console, an uncaught page error, a request that
failed, or a request to any host but 127.0.0.1 (Watch).  Without Chromium (see
helpers.find_chromium) or Playwright's Python package the tests are skipped, saying so.

Screenshots (PNG files in build/screenshots/) cost time on every page, so they are taken only
when asked, EMLIB_SCREENSHOTS=1 (e.g. `EMLIB_SCREENSHOTS=1 make test`), and always of a deck, a
page or a JupyterLab window that fails its test, so that a failure leaves a picture.

The slides, every deck of both editions at 1280 x 720 (a classroom projector): every state (each
slide, vertical slide and fragment) stepped through with reveal.js's API (tests/slide_check.js)
(in a student deck, only the slides that the instructor deck does not show alike: shown_in();
five in six are the same, and the instructor deck's test checks those; the page opened is a copy
without_slides() those), fails on: content cut
off (below the bottom, past the right edge, scrolling inside the slide, or under the navigation
arrows); text under BODY_MIN_PX (code and outputs under CODE_MIN_PX,
equations under MATH_MIN_PX) on screen; a figure shown below tools/slide_metadata.py's
FIGURE_MIN_SCALE of its size; in the instructor edition, a slide of substance (a figure, an
output or a dozen words of prose) without speaker notes; and maths that MathJax did not typeset
(TeX left as text anywhere in the deck's Markdown, speaker notes included).  Every Markdown cell
of a lesson is in its deck, typeset by the MathJax set-up the HTML pages share
(tools/web/templates/emlib_offline.j2): this is the check of every lesson's maths, and
tests/test_browser_html.py opens one page of each HTML edition for the pages' own set-up.  The
failure names the deck, the slide (h/v/f as Reveal.slide(h, v, f) and its first words) and what
is wrong.  KNOWN_FAILURES lists
what the decks' content does not pass yet.  The screenshots of a deck are three: its title, the
first slide with a problem (else the fullest), and the one with the largest figure, in
build/screenshots/slides/EDITION/.
"""
import functools
import os
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import LESSONS, STUDENT_LESSONS, cells, find_chromium, from_another_host, load_tool, source

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need Playwright's Python "
                               "package (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"
#: Take screenshots of every page, not only of those that fail.
SCREENSHOTS_ASKED = os.environ.get("EMLIB_SCREENSHOTS", "") not in ("", "0")
#: No sandbox (the tests may run as root), and no background connections, which a closed
#: network would refuse (and which would be requests to another host).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EDITIONS = {"instructor": LESSONS, "student": STUDENT_LESSONS}


def chromium(tmp_path_factory):
    """Yields a Chromium context with a fresh profile; closes it at the end, whatever happened.
    The `browser` fixture (tests/conftest.py: one per test process, shared by the modules)."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found: install it (as root: apt-get install -y chromium; "
                    ".ci/run does this on CI) or set CHROMIUM to a Chromium or Chrome executable")
    playwright = sync_api.sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable,
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
    except BaseException:
        playwright.stop()
        raise
    try:
        yield context
    finally:
        context.close()
        playwright.stop()


class Watch:
    """What a page reported: console errors, page errors, failed requests, and requests to any
    host but this machine's JupyterLab server (file:, data: and blob: URLs are local)."""

    def __init__(self, page):
        self.problems = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text} ({m.location.get('url', '')})"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(
            f"request failed: {r.url} ({r.failure})"))
        page.on("request", lambda r: from_another_host(r.url, hosts=("127.0.0.1",))
                and self.problems.append(f"request to another host: {r.url}"))


def screenshot(page, name, failed=False):
    """build/screenshots/NAME: when EMLIB_SCREENSHOTS asks for them, or when the page `failed`."""
    if SCREENSHOTS_ASKED or failed:
        path = SCREENSHOTS / name
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))


# ----------------------------------------------------------------------------------------
# The maths, typeset offline
# ----------------------------------------------------------------------------------------
#: The text of a page's Markdown as a reader sees it: typeset maths and code left out.
VISIBLE_MARKDOWN = """() => [...document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')].map(cell => {
    const copy = cell.cloneNode(true);
    copy.querySelectorAll('mjx-container, code, pre, script, style').forEach(e => e.remove());
    return copy.textContent;
}).join('\\n')"""
RAW_TEX = re.compile(r"\$|\\\(|\\\)|\\\[|\\\]|\\[A-Za-z]{2,}")
TYPESET = "() => window.MathJax && MathJax.startup && MathJax.startup.promise.then(() => true)"


# ----------------------------------------------------------------------------------------
# The slides in a lecture hall
# ----------------------------------------------------------------------------------------
slide_metadata = load_tool("slide_metadata")
#: The projector: reveal.js shows the 1280 x 720 canvas unscaled.
VIEWPORT = {"width": slide_metadata.SLIDE["width"], "height": slide_metadata.SLIDE["height"]}
#: Least sizes on screen: Markdown text (body text), code and text outputs, and equations (which
#: the slides scale down to fit the width: tools/build_web.py's MATH_MIN_SCALE of the text).
BODY_MIN_PX = 24
CODE_MIN_PX = 24
MATH_MIN_PX = 19
CHECKS = {"overflow": "content cut off or scrolling", "small": "text too small",
          "figure": "figures shrunk too far", "notes": "slides without speaker notes",
          "maths": "maths not typeset"}
#: What the decks' content does not pass yet: {"edition/deck": {check: what fails}}, with the
#: checks of CHECKS.  Only tooling could not fix these: the notebooks' content must change
#: (shorter code or outputs, a figure drawn for a slide, notes written).  When you fix a deck,
#: remove its entry: the test fails on an entry that is no longer needed, so that the list stays
#: true.  Everything not listed here must pass.
KNOWN_FAILURES = {}
SLIDE_CHECK = (Path(__file__).with_name("slide_check.js").read_text(encoding="utf-8")
               .split("\n(limits) =>", 1)[1])


def decks(edition):
    """The parameters of an edition's deck test: "edition-stem", one per lesson (so that
    `-k instructor-04_convergence` picks one deck, and `-k 04_convergence` both editions')."""
    return [f"{edition}-{nb.stem}" for nb in EDITIONS[edition]]


@pytest.fixture(scope="module")
def slides_page(browser):
    """One tab at the projector's size for every deck; yields (page, its Watch)."""
    page = browser.new_page()
    page.set_viewport_size(VIEWPORT)
    watch = Watch(page)
    try:
        yield page, watch
    finally:
        page.close()


class _Slides(HTMLParser):
    """The HTML of each slide of a deck's file (a <section> with no <section> inside), in order,
    and the file's text outside its slides."""

    def __init__(self, text):
        super().__init__(convert_charrefs=False)
        self.text, self.open, self.slides = text, [], []
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.feed(text)
        self.close()
        first, last = self.slides[0][0], self.slides[-1][1]
        self.outside = text[:first] + text[last:]

    def _offset(self):
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.open.append([self._offset(), False])

    def handle_endtag(self, tag):
        if tag == "section":
            start, has_sections = self.open.pop()
            if self.open:
                self.open[-1][1] = True
            if not has_sections:
                self.slides.append((start, self._offset()))


SPEAKER_NOTES = re.compile(r'<aside class="notes">.*?</aside>', re.DOTALL)
TITLE = re.compile(r"<title>.*?</title>", re.DOTALL)


def parsed_deck(path):
    """The deck file at `path` parsed (_Slides), once for each version of the file: a deck's
    test asks several times, and parsing a deck took up to 0.1 s."""
    stat = Path(path).stat()
    return _parsed_deck(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _parsed_deck(path, mtime_ns, size):
    return _Slides(Path(path).read_text(encoding="utf-8"))


def slides_of(path):
    """(the HTML of each slide of the deck file at `path`, speaker notes left out; the file's
    text outside the slides, its <title> left out)."""
    found = parsed_deck(path)
    return ([SPEAKER_NOTES.sub("", found.text[a:b]) for a, b in found.slides], TITLE.sub("", found.outside))


def markdown_has_maths(slides):
    """Whether the Markdown cells in these slides' HTML have maths ($ ... $ or $$ ... $$)."""
    return any("$" in cell for slide in slides for cell in slide.split('class="jp-Cell ')[1:]
               if cell.startswith("jp-MarkdownCell"))


def shown_in(deck, other):
    """The numbers (in order, from 0) of the slides of the deck file `deck` that the deck file
    `other` also has, the same HTML but for speaker notes, in a page the same but for its title:
    a slide that lays out and reads the same in both.  None of them (so every slide is checked)
    if the pages differ."""
    slides, page = slides_of(deck)
    their_slides, their_page = slides_of(other)
    if page != their_page:
        return []
    theirs = set(their_slides)
    return [i for i, slide in enumerate(slides) if slide in theirs]


def without_slides(path, skip, folder):
    """A copy of the deck file at `path`, in `folder`, whose slides numbered in `skip` (as
    shown_in numbers them) are left empty: their <section> tags stay, so every other slide keeps
    its place (h, v) and the deck its shape.  `folder`/_static links to the deck's own, which is
    all a deck loads (tests/test_web.py checks that).  Returns the copy's path.

    What a student deck's test opens: the slides it skips are the instructor deck's, checked
    there, and laying them out (and typesetting their maths) in a page whose check then skips
    them took most of the test's time.  A slide's layout does not depend on the others': each
    is its own 1280 x 720 box, and the lessons number no equations."""
    found = parsed_deck(path)
    text, kept, last = found.text, [], 0
    for number in sorted(set(skip)):
        start, end = found.slides[number]
        content = text.index(">", start) + 1                # after the <section ...> tag
        kept.append(text[last:content])
        last = end                                          # at its </section>
    kept.append(text[last:])
    copy = Path(folder) / Path(path).name
    copy.write_text("".join(kept), encoding="utf-8")
    static = Path(folder) / "_static"
    if not static.exists():
        static.symlink_to(Path(path).parent / "_static", target_is_directory=True)
    return copy


def check_deck(page, path, notes, skip=()):
    """Step through every state of the deck open in `page` (from the file `path`) but for the
    slides numbered in `skip`; returns (states, problems) as slide_check.js."""
    page.wait_for_function("() => document.documentElement.dataset.emlibSlides === 'ready'", timeout=30_000)
    limits = {**VIEWPORT, "body_min_px": BODY_MIN_PX, "code_min_px": CODE_MIN_PX, "math_min_px": MATH_MIN_PX,
              "figure_min_scale": slide_metadata.FIGURE_MIN_SCALE, "notes": notes,
              "leaves": len(slides_of(path)[0]), "skip": list(skip)}
    found = page.evaluate("(limits) =>" + SLIDE_CHECK, limits)
    fonts_loaded(page)
    return found["states"], found["problems"]


def has_math(path):
    """Whether the notebook's Markdown has maths ($ ... $ or $$ ... $$)."""
    return any("$" in source(c) for c in cells(path) if c["cell_type"] == "markdown")


def maths_problems(page, expect_maths):
    """The open page's maths, typeset by MathJax: no TeX left as text in its Markdown (speaker
    notes included), and some typeset maths if `expect_maths` (its Markdown has some).  Returns
    problems as check_deck does, with kind "maths" (h, v, f are -1: the whole deck)."""
    page.wait_for_function(TYPESET, timeout=30_000)
    left = sorted({m.group(0) for m in RAW_TEX.finditer(page.evaluate(VISIBLE_MARKDOWN))})
    problems = [f"TeX left as text (not typeset): {' '.join(left)}"] if left else []
    if expect_maths and page.locator("mjx-container").count() == 0:
        problems.append("the Markdown has maths, but none was typeset")
    return [{"h": -1, "v": -1, "f": -1, "first": "the whole deck", "kind": "maths", "what": what}
            for what in problems]


def fonts_loaded(page):
    """Wait for the fonts the page has started loading.  Showing a slide can start loading a font
    (MathJax's come on demand): opening the next deck in the same tab while it loads would abort
    it, a failed request that Watch reports against the next deck."""
    page.evaluate("() => document.fonts.ready.then(() => true)")


def deck_screenshots(page, states, problems, edition, stem, failed):
    """Three slides of the deck, for a person to look at: the title, the first slide with a
    problem (else the fullest), and the one with the largest figure (else the next fullest);
    when EMLIB_SCREENSHOTS asks for them, or when the deck `failed`."""
    if not (SCREENSHOTS_ASKED or failed):
        return
    last = {}
    for state in states:                 # each slide in its last state: every fragment shown
        last[state["h"], state["v"]] = state
    fullest = sorted(last.values(), key=lambda s: -s["bottom"])
    picked = states[:1]
    trouble = [last[p["h"], p["v"]] for p in problems if (p["h"], p["v"]) in last and p["kind"] != "notes"]
    picked += trouble[:1] or fullest[:1]
    figures = sorted((s for s in last.values() if s["figure"]), key=lambda s: -s["figure"])
    picked += [s for s in figures + fullest if s not in picked][:1]
    folder = SCREENSHOTS / "slides" / edition
    for old in folder.glob(f"{stem}_*.png"):         # from an earlier run, which may have picked others
        old.unlink()
    for state in picked:
        page.evaluate("([h, v, f]) => Reveal.slide(h, v, f)", [state["h"], state["v"], state["f"]])
        screenshot(page, f"slides/{edition}/{stem}_{state['h']}-{state['v']}.png", failed)


def where(problem):
    if problem["h"] < 0:
        return problem["first"]
    return f"slide h{problem['h']} v{problem['v']} f{problem['f']} (\"{problem['first']}\")"


def check_deck_reads_from_the_back_of_the_room(slides_page, web_editions, deck, folder):
    """The deck test ("edition-stem"): every state of the deck at 1280 x 720: nothing cut off,
    text large enough, figures not shrunk, and (instructor edition) speaker notes on every slide
    of substance; apart from what KNOWN_FAILURES lists.  Its screenshots when asked or failing.
    A student deck is opened without_slides() that its instructor deck shows alike (a copy in
    `folder`, a test's own empty folder), whose test checks them."""
    page, watch = slides_page
    watch.problems.clear()
    edition, stem = deck.split("-", 1)
    path = web_editions["slides"][edition] / f"{stem}.slides.html"
    skip = []
    if edition == "student":          # what the instructor deck shows alike, its test checks
        skip = shown_in(path, web_editions["slides"]["instructor"] / path.name)
    expect_maths = markdown_has_maths(s for number, s in enumerate(slides_of(path)[0]) if number not in skip)
    page.goto((without_slides(path, skip, folder) if skip else path).as_uri())
    states, problems = check_deck(page, path, notes=(edition == "instructor"), skip=skip)
    problems += maths_problems(page, expect_maths)

    by_check = defaultdict(list)
    for problem in problems:
        by_check[problem["kind"]].append(f"  {where(problem)}: {problem['what']}")
    known = KNOWN_FAILURES.get(f"{edition}/{stem}", {})
    unexpected = {check: found for check, found in by_check.items() if check not in known}
    fixed = sorted(set(known) - set(by_check))
    deck_screenshots(page, states, problems, edition, stem, failed=bool(unexpected or watch.problems))
    assert not unexpected, f"{edition}/{stem}.slides.html at 1280 x 720:\n" + "\n".join(
        f"{CHECKS[check]}:\n" + "\n".join(found) for check, found in unexpected.items())
    assert not fixed, (f"{edition}/{stem} now passes {fixed}: remove "
                       f"{', '.join(repr(c) for c in fixed)} from KNOWN_FAILURES[{edition + '/' + stem!r}]")
    assert not watch.problems, "\n".join(watch.problems)
