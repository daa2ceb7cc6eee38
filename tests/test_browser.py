"""In a real browser: JupyterLab (the notebooks open unmodified, the explorer follows its slider),
the offline HTML edition, and the slides as a lecture hall sees them.

Headless Chromium (Debian's /usr/bin/chromium; `.ci/run` installs it on CI), driven by
Playwright's Python package with that executable: Playwright's own browser download is never
used.  Each test fails on an error in the browser console, an uncaught page error, a request that
failed, or a request to any host but 127.0.0.1.

  JupyterLab   a server on 127.0.0.1, a random free port and a token, serving a temporary copy
               of notebooks/ (both editions).
               - every notebook, opened at once (one workspace, one tab and one kernel session
                 each; the sessions share a kernel), is not marked modified once connected to its
                 kernel (no dirty dot): its stored metadata is what JupyterLab writes
                 (tools/run_notebooks.py);
               - 04_convergence.ipynb: runs all cells from the Run menu, then moves the
                 explorer's slider with the keyboard and waits for its status line ("iteration t
                 of T: log-likelihood L_t ...") to follow.
  HTML edition every page of both editions, opened from file:// (as a student would open the
               folder): MathJax typeset the maths, and no TeX is left in the text; the index
               says which edition it is and numbers the lessons once; outputs wrap at spaces.
  slides       every deck of both editions at 1280 x 720 (a classroom projector), every state
               (each slide, vertical slide and fragment) stepped through with reveal.js's API,
               fails on: content cut off (below the bottom, past the right edge, scrolling inside
               the slide, or under the navigation arrows); text under BODY_MIN_PX (code and
               outputs under CODE_MIN_PX, equations under MATH_MIN_PX) on screen; a figure shown
               below tools/slide_metadata.py's FIGURE_MIN_SCALE of its size; and, in the instructor
               edition, a slide of substance (a figure, an output or a dozen words of prose)
               without speaker notes.  The failure names the deck, the slide (h/v/f as
               Reveal.slide(h, v, f) and its first words) and what is wrong.  One deck alone:
               `pytest tests/test_browser.py -k 04_convergence` (both editions) or
               `-k instructor-04_convergence`.  KNOWN_FAILURES lists what the decks' content does
               not pass yet.  Three screenshots of each deck go to build/screenshots/slides/.
  the watch    a page that loads a script from another host is reported (the check can fail).

The HTML edition and the slides are the ones tests/test_web.py checks (conftest.py's
web_editions: built once per run).  Screenshots go to build/screenshots/.  Every server and
browser started here is stopped by its fixture, also when a test fails.  Without Chromium (see
helpers.find_chromium) or Playwright's Python package the tests are skipped, saying so.
"""
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import warnings
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import LESSONS, STUDENT_LESSONS, cells, find_chromium, from_another_host, load_tool, source

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need Playwright's Python "
                               "package (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"
EXPLORER_NOTEBOOK = "04_convergence.ipynb"
#: No sandbox (the tests may run as root), and no background connections, which a closed
#: network would refuse (and which would be requests to another host).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STATUS = re.compile(r"iteration (\d+) of (\d+): log-likelihood (-?\d+\.\d+) · (.+)")

pytestmark = pytest.mark.browser


# ----------------------------------------------------------------------------------------
# Fixtures: the browser, the JupyterLab server, the built pages
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A Chromium context with a fresh profile; closed at the end, whatever happened."""
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process, timeout=15):
    """SIGTERM (the server then shuts its kernels down), then SIGKILL to the whole group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of notebooks/ (both editions); yields a namespace: base
    (the server's URL), token, root (the folder it serves); always stopped."""
    home = tmp_path_factory.mktemp("jupyterlab")
    shutil.copytree(ROOT / "notebooks", home / "root" / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    token, port = uuid.uuid4().hex, free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"))
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
               f"--ServerApp.token={token}", "--ServerApp.ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--ServerApp.root_dir={home / 'root'}",
               f"--LabApp.workspaces_dir={home / 'workspaces'}",
               f"--LabApp.user_settings_dir={home / 'settings'}",
               "--LabApp.extension_manager=readonly", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    with open(home / "server.log", "w") as log:     # the server writes to its own copy
        process = subprocess.Popen(command, cwd=home, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited ({process.returncode}):\n"
                            + (home / "server.log").read_text())
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not answer within 90 s:\n"
                                + (home / "server.log").read_text())
                time.sleep(0.25)
        yield SimpleNamespace(base=base, token=token, root=home / "root")
    finally:
        stop(process)


def api(lab, path, method="GET", body=None):
    """Ask the JupyterLab server's REST API; returns the decoded JSON answer (None if empty)."""
    request = urllib.request.Request(
        f"{lab.base}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


# ----------------------------------------------------------------------------------------
# JupyterLab: the notebooks open unmodified; the explorer follows its slider
# ----------------------------------------------------------------------------------------
def wait_for_kernels(lab, count=1, connections=1, timeout=60):
    """Until the server has `count` idle kernels, each with at least `connections` connections
    from the page."""
    deadline, kernels = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        try:
            kernels = api(lab, "/api/kernels")
        except urllib.error.HTTPError as error:
            # jupyter_server lists a kernel it is still registering before giving it its state,
            # and answers 500 to a list taken in that moment: ask again.
            if error.code != 500:
                raise
        if sum(k["execution_state"] == "idle" and k.get("connections", 0) >= connections
               for k in kernels) >= count:
            return
        time.sleep(0.2)
    pytest.fail(f"not {count} idle kernels with {connections} connections after {timeout} s: {kernels}")


#: After the kernels are up, how long JupyterLab gets to apply their info replies (the
#: language_info that marks a notebook modified when it differs): the reply comes within
#: milliseconds of the connection; a planted wrong language_info is caught with this wait.
SETTLE_S = 1.5


def opened_notebooks(lab):
    """The notebooks of the server's copy, as paths relative to what it serves."""
    return sorted(str(p.relative_to(lab.root)) for p in (lab.root / "notebooks").rglob("[0-9][0-9]_*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def align_python_version(lab, paths):
    """Give the copies the language_info.version of the Python that runs their kernels here.

    JupyterLab writes the kernel's language_info, Python version included, and marks a notebook
    modified when the stored one differs: a notebook stored under another Python version opens
    modified, and nothing stored can avoid that.  So that the test checks everything else where
    the versions differ (CI, another machine), the copies get this Python's version, with a
    warning.  Returns the versions the notebooks were stored with.
    """
    here, stored = platform.python_version(), set()
    for path in paths:
        file = lab.root / path
        nb = json.loads(file.read_text(encoding="utf-8"))
        version = nb["metadata"].get("language_info", {}).get("version")
        stored.add(version)
        if version is not None and version != here:
            nb["metadata"]["language_info"]["version"] = here
            file.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    if stored - {here, None}:
        warnings.warn(f"the notebooks were stored under Python {', '.join(sorted(map(str, stored - {None})))} "
                      f"and open here under Python {here}: JupyterLab marks them modified on opening for "
                      "language_info.version alone; the test checked everything else")
    return stored


def test_every_notebook_opens_unmodified_in_jupyterlab(browser, lab):
    """Each notebook of both editions, opened in JupyterLab with a kernel, is not marked modified:
    its stored metadata is what JupyterLab writes (see tools/run_notebooks.py).

    All are opened at once, in one workspace, each in its own tab, with its own session and its
    own connection to the kernel; the sessions share one kernel (started here, through the REST
    API) instead of starting eighteen: what JupyterLab writes comes from the kernel's spec and
    from the info reply each connection asks for, the same from a shared kernel as from one's own.
    """
    paths = opened_notebooks(lab)
    assert len(paths) == len(LESSONS) + len(STUDENT_LESSONS)
    for path in paths:
        metadata = json.loads((lab.root / path).read_text(encoding="utf-8"))["metadata"]
        assert set(metadata) == {"kernelspec", "language_info"}, f"{path}: {RUN_NOTEBOOKS}"
    align_python_version(lab, paths)
    workspace = {"data": {"layout-restorer:data": {"main": {
                     "dock": {"type": "tab-area", "currentIndex": 0, "widgets": [f"notebook:{p}" for p in paths]},
                     "current": f"notebook:{paths[0]}"}},
                 **{f"notebook:{p}": {"data": {"path": p, "factory": "Notebook"}} for p in paths}},
                 "metadata": {"id": "every-notebook"}}
    api(lab, "/lab/api/workspaces/every-notebook", "PUT", workspace)
    kernel = api(lab, "/api/kernels", "POST", {"name": "python3"})
    for path in paths:
        api(lab, "/api/sessions", "POST", {"path": path, "type": "notebook", "name": Path(path).name,
                                           "kernel": {"id": kernel["id"]}})
    page = browser.new_page()
    watch = Watch(page)
    try:
        page.goto(f"{lab.base}/lab/workspaces/every-notebook?token={lab.token}")
        wait_for_kernels(lab, connections=len(paths), timeout=120)
        page.wait_for_timeout(SETTLE_S * 1000)
        tabs = page.evaluate("""() => [...document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tab')]
            .map(tab => [(tab.title.match(/^Path: (.*)$/m) || [])[1], tab.classList.contains('jp-mod-dirty')])""")
        screenshot(page, "jupyterlab_every_notebook.png")
    finally:
        page.close()
        api(lab, f"/api/kernels/{kernel['id']}", "DELETE")       # the server drops its sessions too
    opened = dict(tabs)
    assert sorted(opened) == paths, "not every notebook opened"
    modified = [path for path in paths if opened[path]]
    assert not modified, f"opening these in JupyterLab marked them modified: {modified}; {RUN_NOTEBOOKS}"
    assert not watch.problems


RUN_NOTEBOOKS = ("their metadata must be what JupyterLab writes: execute them with "
                 "`python tools/run_notebooks.py NOTEBOOK ...` (its lean() stores it)")


def status_of(text):
    """(t, T, L_t) from the explorer's status line; it must also say how the fit ended."""
    m = STATUS.fullmatch(text.strip())
    assert m, f"not an explorer status line: {text!r}"
    t, T = int(m.group(1)), int(m.group(2))
    assert f"converged at iteration {T} " in m.group(4) or "stopped at max_iter" in m.group(4), text
    return t, T, float(m.group(3))


def test_explorer_slider_steps_through_the_fit_in_jupyterlab(browser, lab):
    page = browser.new_page()
    watch = Watch(page)
    try:
        page.goto(f"{lab.base}/lab/tree/notebooks/{EXPLORER_NOTEBOOK}?token={lab.token}")
        page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
        wait_for_kernels(lab)
        page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)

        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

        status = page.locator(".widget-html-content").filter(has_text=STATUS).first
        status.wait_for(timeout=120_000)
        page.wait_for_function(     # every code cell ran: a number in each prompt, the kernel idle
            """() => document.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status === 'idle'
                  && [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                         .every(p => /\\[\\d+\\]/.test(p.textContent))""",
            timeout=120_000)
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert errors.count() == 0, "a cell wrote to stderr:\n" + "\n".join(errors.all_text_contents())

        explorer = page.locator(".widget-vbox").filter(has=page.locator(".noUi-handle")).first
        handle = explorer.locator(".noUi-handle").first
        picture = explorer.locator("img").first
        handle.scroll_into_view_if_needed()
        first = status.text_content()
        t, T, L_0 = status_of(first)
        assert t == 0 and T >= 4, first
        picture_0 = picture.get_attribute("src")
        screenshot(page, "jupyterlab_explorer_t0.png")

        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
        page.wait_for_function("s => s.textContent.startsWith('iteration 3 of')", arg=status.element_handle())
        t, T3, L_3 = status_of(status.text_content())
        assert (t, T3) == (3, T)
        assert L_3 > L_0                     # EM never decreases the log-likelihood, and moved here
        assert handle.get_attribute("aria-valuenow").startswith("3")
        page.wait_for_function("([img, old]) => img.src !== old", arg=[picture.element_handle(), picture_0])
        screenshot(page, "jupyterlab_explorer_t3.png")

        handle.press("End")
        page.wait_for_function(f"s => s.textContent.startsWith('iteration {T} of {T}')",
                               arg=status.element_handle())
        assert status_of(status.text_content())[2] >= L_3
        handle.press("Home")
        page.wait_for_function("([s, first]) => s.textContent === first", arg=[status.element_handle(), first])
    except BaseException:
        screenshot(page, "jupyterlab_failure.png")
        raise
    finally:
        page.close()
    assert not watch.problems


# ----------------------------------------------------------------------------------------
# The HTML edition and the slides, offline
# ----------------------------------------------------------------------------------------
#: The text of a page's Markdown as a reader sees it: typeset maths and code left out.
VISIBLE_MARKDOWN = """() => [...document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')].map(cell => {
    const copy = cell.cloneNode(true);
    copy.querySelectorAll('mjx-container, code, pre, script, style').forEach(e => e.remove());
    return copy.textContent;
}).join('\\n')"""
RAW_TEX = re.compile(r"\$|\\\(|\\\)|\\\[|\\\]|\\[A-Za-z]{2,}")
TYPESET = "() => window.MathJax && MathJax.startup && MathJax.startup.promise.then(() => true)"


def has_math(path):
    return any("$" in source(c) for c in cells(path) if c["cell_type"] == "markdown")


EDITIONS = {"instructor": LESSONS, "student": STUDENT_LESSONS}


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
            if notebook.stem.startswith("02_"):
                screenshot(page, f"html_{edition}_02_e_step.png")
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
    assert slides > 3
    assert typeset > 0
    assert not left, f"TeX left as text on the slides (not typeset): {left}"
    assert not watch.problems


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
          "figure": "figures shrunk too far", "notes": "slides without speaker notes"}
#: What the decks' content does not pass yet: {"edition/deck": {check: what fails}}, with the
#: checks of CHECKS.  Only tooling could not fix these: the notebooks' content must change
#: (shorter code or outputs, a figure drawn for a slide, notes written).  When you fix a deck,
#: remove its entry: the test fails on an entry that is no longer needed, so that the list stays
#: true.  Everything not listed here must pass.
KNOWN_FAILURES = {}
SLIDE_CHECK = (Path(__file__).with_name("slide_check.js").read_text(encoding="utf-8")
               .split("\n(limits) =>", 1)[1])
DECKS = [f"{edition}-{nb.stem}" for edition, lessons in EDITIONS.items() for nb in lessons]


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


def check_deck(page, notes):
    """Step through every state of the open deck; returns (states, problems) as slide_check.js."""
    page.wait_for_function("() => document.documentElement.dataset.emlibSlides === 'ready'", timeout=30_000)
    limits = {**VIEWPORT, "body_min_px": BODY_MIN_PX, "code_min_px": CODE_MIN_PX, "math_min_px": MATH_MIN_PX,
              "figure_min_scale": slide_metadata.FIGURE_MIN_SCALE, "notes": notes}
    found = page.evaluate("(limits) =>" + SLIDE_CHECK, limits)
    return found["states"], found["problems"]


def show(page, state, path):
    page.evaluate("([h, v, f]) => Reveal.slide(h, v, f)", [state["h"], state["v"], state["f"]])
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def screenshots(page, states, problems, folder, stem):
    """Three slides of the deck, for a person to look at: the title, the first slide with a
    problem (else the fullest), and the one with the largest figure (else the next fullest)."""
    last = {}
    for state in states:                 # each slide in its last state: every fragment shown
        last[state["h"], state["v"]] = state
    fullest = sorted(last.values(), key=lambda s: -s["bottom"])
    picked = [states[0]]
    trouble = [last[p["h"], p["v"]] for p in problems if p["kind"] != "notes"]
    picked.append(trouble[0] if trouble else fullest[0])
    figures = sorted((s for s in last.values() if s["figure"]), key=lambda s: -s["figure"])
    picked += [s for s in figures + fullest if s not in picked][:1]
    for old in folder.glob(f"{stem}_*.png"):         # from an earlier run, which may have picked others
        old.unlink()
    for state in picked:
        show(page, state, folder / f"{stem}_{state['h']}-{state['v']}.png")


def where(problem):
    return f"slide h{problem['h']} v{problem['v']} f{problem['f']} (\"{problem['first']}\")"


@pytest.mark.parametrize("deck", DECKS)
def test_slides_read_from_the_back_of_the_room(slides_page, web_editions, deck):
    """Every state of the deck at 1280 x 720: nothing cut off, text large enough, figures not
    shrunk, and (instructor edition) speaker notes on every slide of substance; apart from
    what KNOWN_FAILURES lists."""
    page, watch = slides_page
    watch.problems.clear()
    edition, stem = deck.split("-", 1)
    page.goto((web_editions["slides"][edition] / f"{stem}.slides.html").as_uri())
    states, problems = check_deck(page, notes=(edition == "instructor"))
    screenshots(page, states, problems, SCREENSHOTS / "slides" / edition, stem)

    by_check = defaultdict(list)
    for problem in problems:
        by_check[problem["kind"]].append(f"  {where(problem)}: {problem['what']}")
    known = KNOWN_FAILURES.get(f"{edition}/{stem}", {})
    unexpected = {check: found for check, found in by_check.items() if check not in known}
    fixed = sorted(set(known) - set(by_check))
    assert not unexpected, f"{edition}/{stem}.slides.html at 1280 x 720:\n" + "\n".join(
        f"{CHECKS[check]}:\n" + "\n".join(found) for check, found in unexpected.items())
    assert not fixed, (f"{edition}/{stem} now passes {fixed}: remove "
                       f"{', '.join(repr(c) for c in fixed)} from KNOWN_FAILURES[{edition + '/' + stem!r}]")
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
