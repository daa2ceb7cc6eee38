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
(of a student deck, only the slides that the instructor deck does not show alike: shown_in();
five in six are the same, and the instructor deck's test checks those; the student decks' slides
are checked together(), in one page: check_student_decks()), fails on: content cut
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
               .split("\nasync (limits) =>", 1)[1])


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
    """The HTML of each slide of a deck's file (a <section> with no <section> inside), in order:
    slides, each (start, end) in text, from its <section ...> to its </section> (left out);
    places, each slide's (h, v) as Reveal.slide(h, v) shows it; stacks, the (start, end) of each
    top-level <section>, its </section> included; and outside, the file's text outside its slides."""

    def __init__(self, text):
        super().__init__(convert_charrefs=False)
        self.text, self.open, self.slides, self.places, self.stacks = text, [], [], [], []
        self._stack_start, self._in_stack = None, 0                  # the open top-level <section>
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
            if not self.open:
                self._stack_start, self._in_stack = self._offset(), 0
            self.open.append([self._offset(), False])

    def handle_endtag(self, tag):
        if tag == "section":
            start, has_sections = self.open.pop()
            if self.open:
                self.open[-1][1] = True
            if not has_sections:
                self.slides.append((start, self._offset()))
                self.places.append((len(self.stacks), self._in_stack))
                self._in_stack += 1
            if not self.open:
                self.stacks.append((self._stack_start, self.text.index(">", self._offset()) + 1))


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


def check_deck(page, path, notes):
    """Step through every state of the deck open in `page` (from the file `path`); returns
    (states, problems) as slide_check.js."""
    page.wait_for_function("() => document.documentElement.dataset.emlibSlides === 'ready'", timeout=30_000)
    limits = {**VIEWPORT, "body_min_px": BODY_MIN_PX, "code_min_px": CODE_MIN_PX, "math_min_px": MATH_MIN_PX,
              "figure_min_scale": slide_metadata.FIGURE_MIN_SCALE, "notes": notes,
              "leaves": len(slides_of(path)[0])}
    found = page.evaluate("async (limits) =>" + SLIDE_CHECK, limits)
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
    if expect_maths and not page.evaluate("() => document.querySelector('mjx-container') !== null"):
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


def check_deck_reads_from_the_back_of_the_room(slides_page, web_editions, deck):
    """The instructor deck test ("instructor-stem"): every state of the deck at 1280 x 720:
    nothing cut off, text large enough, figures not shrunk, and speaker notes on every slide of
    substance; apart from what KNOWN_FAILURES lists.  Its screenshots when asked or failing.
    (The student decks are checked together: check_student_decks.)"""
    page, watch = slides_page
    watch.problems.clear()
    edition, stem = deck.split("-", 1)
    path = web_editions["slides"][edition] / f"{stem}.slides.html"
    page.goto(path.as_uri())
    states, problems = check_deck(page, path, notes=(edition == "instructor"))
    problems += maths_problems(page, markdown_has_maths(slides_of(path)[0]))
    deck_screenshots(page, states, problems, edition, stem,
                     failed=bool(unexpected(edition, stem, problems) or watch.problems))
    assert_deck_passes(edition, stem, problems, watch.problems)


def together(decks, folder):
    """One deck file in `folder` of chosen slides of several deck files, all with the same page
    around their slides (but for the title): decks is [(path, numbers)], the slides to take from
    each, numbered as shown_in numbers them.  Each becomes a slide of its own (a <section>
    holding it, as nbconvert nests every slide), in order, in the page around the first deck's
    slides; `folder`/_static links to the first deck's.  Returns (the file's path,
    [(deck path, slide number)] for each of its slides).  A ValueError for a deck whose page
    differs from the first's.

    A slide's layout does not depend on the slides around it (each is its own 1280 x 720 box; the
    decks set the maths' size, which MathJax would otherwise measure only on the slides shown
    first: tools/web/templates/emlib_offline.j2), so a slide checked here is checked as in its
    own deck."""
    first_path = decks[0][0]
    first, page = parsed_deck(first_path), slides_of(first_path)[1]
    parts, origin = [], []
    for path, numbers in decks:
        if slides_of(path)[1] != page:
            raise ValueError(f"{Path(path).name}: its page differs from {Path(first_path).name}'s")
        found = parsed_deck(path)
        for number in numbers:
            start, end = found.slides[number]
            parts.append(f"<section>{found.text[start:end]}</section></section>")
            origin.append((path, number))
    copy = Path(folder) / "together.slides.html"
    copy.write_text(first.text[:first.stacks[0][0]] + "\n".join(parts) + first.text[first.stacks[-1][1]:],
                    encoding="utf-8")
    static = Path(folder) / "_static"
    if not static.exists():
        static.symlink_to(Path(first_path).parent / "_static", target_is_directory=True)
    return copy, origin


def check_student_decks(slides_page, web_editions, stems, folder):
    """The student decks named in `stems` checked as check_deck_reads_from_the_back_of_the_room
    checks a deck (without the speaker-notes check: the student edition has none), but only their
    slides that the instructor deck does not show alike (shown_in: the instructor deck's test
    checks those), and all of them together, in pages made by together() (one for all the decks
    with the same page around their slides: so far, all): each deck's own page took 0.4 s to load
    and lay out, its slides 0.1 s to check.  Returns {stem: (problems, the page's Watch
    problems)}, each problem's h and v those of its slide in its own deck; a problem of the whole
    page (maths not typeset) goes to every deck in it.  Screenshots of a page with a problem."""
    page, watch = slides_page
    student, instructor = web_editions["slides"]["student"], web_editions["slides"]["instructor"]
    groups = defaultdict(list)
    for stem in stems:
        path = student / f"{stem}.slides.html"
        skip = set(shown_in(path, instructor / path.name))
        numbers = [n for n in range(len(parsed_deck(path).slides)) if n not in skip]
        groups[slides_of(path)[1]].append((path, numbers))
    found = {stem: ([], []) for stem in stems}
    for group, decks_here in enumerate(groups.values()):
        stems_here = [path.name.removesuffix(".slides.html") for path, _ in decks_here]
        if not any(numbers for _, numbers in decks_here):
            continue
        watch.problems.clear()
        place = Path(folder) / f"group{group}"
        place.mkdir()
        copy, origin = together(decks_here, place)
        page.goto(copy.as_uri())
        states, problems = check_deck(page, copy, notes=False)
        checked = [slides_of(path)[0][number] for path, number in origin]
        problems += maths_problems(page, markdown_has_maths(checked))
        for problem in problems:
            if problem["h"] < 0:
                for stem in stems_here:
                    found[stem][0].append(problem)
                continue
            path, number = origin[problem["h"]]
            h, v = parsed_deck(path).places[number]
            found[path.name.removesuffix(".slides.html")][0].append({**problem, "h": h, "v": v})
        for stem in stems_here:
            found[stem][1].extend(watch.problems)
        failed = any(unexpected("student", stem, found[stem][0]) for stem in stems_here) or bool(watch.problems)
        deck_screenshots(page, states, problems, "student", f"together{group}", failed=failed)
    return found


def unexpected(edition, stem, problems):
    """The problems of a deck that KNOWN_FAILURES does not list, by check: {check: [lines]}."""
    by_check = defaultdict(list)
    for problem in problems:
        by_check[problem["kind"]].append(f"  {where(problem)}: {problem['what']}")
    known = KNOWN_FAILURES.get(f"{edition}/{stem}", {})
    return {check: found for check, found in by_check.items() if check not in known}


def assert_deck_passes(edition, stem, problems, watch_problems):
    """Fail a deck's test on a problem that KNOWN_FAILURES does not list, on a KNOWN_FAILURES
    entry the deck no longer needs, and on what its page's Watch reported."""
    found = unexpected(edition, stem, problems)
    assert not found, f"{edition}/{stem}.slides.html at 1280 x 720:\n" + "\n".join(
        f"{CHECKS[check]}:\n" + "\n".join(lines) for check, lines in found.items())
    known = KNOWN_FAILURES.get(f"{edition}/{stem}", {})
    fixed = sorted(set(known) - {problem["kind"] for problem in problems})
    assert not fixed, (f"{edition}/{stem} now passes {fixed}: remove "
                       f"{', '.join(repr(c) for c in fixed)} from KNOWN_FAILURES[{edition + '/' + stem!r}]")
    assert not watch_problems, "\n".join(watch_problems)
