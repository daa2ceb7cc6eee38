"""In a real browser: the explorer in JupyterLab, and the offline HTML edition and slides.

Headless Chromium (Debian's /usr/bin/chromium; `.ci/run` installs it on CI), driven by
Playwright's Python package with that executable: Playwright's own browser download is never
used.  Each test fails on an error in the browser console, an uncaught page error, a request that
failed, or a request to any host but 127.0.0.1.

  JupyterLab   a server on 127.0.0.1, a random free port and a token, serving a temporary copy
               of notebooks/; opens 04_convergence.ipynb, runs all cells from the Run menu, waits
               for the kernel, then moves the explorer's slider with the keyboard and waits for
               its status line ("iteration t of T: log-likelihood L_t") to follow.
  HTML edition every page, opened from file:// (as a student would open the folder): MathJax
               typeset the maths, and no TeX is left in the text.
  slides       a lesson's reveal.js slides start and move, with typeset maths.
  the watch    a page that loads a script from another host is reported (the check can fail).

The HTML edition and the slides are the ones tests/test_web.py checks (conftest.py's
web_editions: built once per run).  Screenshots go to build/screenshots/.  Every server and
browser started here is stopped by its fixture, also when a test fails.  Without Chromium (see
helpers.find_chromium) the tests are skipped, saying so.
"""
import json
import os
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
from pathlib import Path

import pytest
from helpers import LESSONS, cells, find_chromium, from_another_host, source

sync_playwright = pytest.importorskip(
    "playwright.sync_api", reason="Playwright's Python package is missing (pip: playwright; "
    "conda-forge: playwright-python): the browser tests need it").sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"
EXPLORER_NOTEBOOK = "04_convergence.ipynb"
#: No sandbox (the tests may run as root), and no background connections, which a closed
#: network would refuse (and which would be requests to another host).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STATUS = re.compile(r"iteration (\d+) of (\d+): log-likelihood (-?\d+\.\d+)")

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
    playwright = sync_playwright().start()
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
    """A JupyterLab server on a copy of notebooks/; yields (base url, token); always stopped."""
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
        yield base, token
    finally:
        stop(process)


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


# ----------------------------------------------------------------------------------------
# JupyterLab: the explorer follows its slider
# ----------------------------------------------------------------------------------------
def wait_for_idle_kernel(base, token, timeout=60):
    """Until the server has a kernel that is idle and that the page is connected to."""
    deadline, kernels = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as answer:
                kernels = json.load(answer)
        except urllib.error.HTTPError as error:
            # jupyter_server lists a kernel it is still registering before giving it its state,
            # and answers 500 to a list taken in that moment: ask again.
            if error.code != 500:
                raise
        if any(k["execution_state"] == "idle" and k.get("connections", 0) > 0 for k in kernels):
            return
        time.sleep(0.2)
    pytest.fail(f"no idle, connected kernel after {timeout} s: {kernels}")


def status_of(text):
    m = STATUS.fullmatch(text.strip())
    assert m, f"not an explorer status line: {text!r}"
    return int(m.group(1)), int(m.group(2)), float(m.group(3))


def test_explorer_slider_steps_through_the_fit_in_jupyterlab(browser, lab):
    base, token = lab
    page = browser.new_page()
    watch = Watch(page)
    try:
        page.goto(f"{base}/lab/tree/notebooks/{EXPLORER_NOTEBOOK}?token={token}")
        page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
        wait_for_idle_kernel(base, token)
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


def test_html_edition_typesets_the_maths_offline(browser, web_editions):
    page = browser.new_page()
    watch = Watch(page)
    untypeset, counts = {}, {}
    try:
        for notebook in LESSONS:
            page.goto((web_editions["html"] / f"{notebook.stem}.html").as_uri())
            page.wait_for_function(TYPESET, timeout=30_000)
            counts[notebook.stem] = page.locator("mjx-container").count()
            left = sorted({m.group(0) for m in RAW_TEX.finditer(page.evaluate(VISIBLE_MARKDOWN))})
            if left:
                untypeset[notebook.stem] = left
            if notebook.stem.startswith("02_"):
                screenshot(page, "html_02_e_step.png")
        page.goto((web_editions["html"] / "index.html").as_uri())
        assert page.locator("ol.lessons a").count() == len(LESSONS)
    finally:
        page.close()
    assert not [nb.stem for nb in LESSONS if counts[nb.stem] == 0 and has_math(nb)]
    assert not untypeset, f"TeX left as text (not typeset): {untypeset}"
    assert not watch.problems


def test_slides_start_move_and_typeset_offline(browser, web_editions):
    page = browser.new_page()
    watch = Watch(page)
    try:
        page.goto((web_editions["slides"] / f"{Path(EXPLORER_NOTEBOOK).stem}.slides.html").as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
        page.wait_for_function(TYPESET, timeout=30_000)
        screenshot(page, "slides_04_title.png")
        typeset = page.locator("mjx-container").count()
        left = sorted({m.group(0) for m in RAW_TEX.finditer(page.evaluate(VISIBLE_MARKDOWN))})
        slides = page.evaluate("Reveal.getHorizontalSlides().length")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => Reveal.getIndices().h === 1")
        screenshot(page, "slides_04_next.png")
    finally:
        page.close()
    assert slides > 3
    assert typeset > 0
    assert not left, f"TeX left as text on the slides (not typeset): {left}"
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
