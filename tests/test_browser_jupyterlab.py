"""JupyterLab in a real browser: the notebooks open unmodified, and the explorer follows its slider.

A server on 127.0.0.1, a random free port and a token, serving a temporary copy of notebooks/
(both editions), driven in headless Chromium (tests/browsing.py: how, what fails every test, and
screenshots, taken when EMLIB_SCREENSHOTS=1 asks and always of a failing window):
  - the notebooks that between them hold every shape of stored cell (representatives(): a few
    of the fourteen lessons), opened at once (one workspace, one tab and one kernel session each;
    the sessions share a kernel), are not marked modified once connected to its kernel (no dirty
    dot): their stored metadata is what JupyterLab writes (tools/run_notebooks.py).  Every
    notebook of both editions is stored with the same nbformat version and notebook metadata
    (tests/test_regeneration.py), and every cell of either edition has the shape of a cell
    opened here, so each opens as these do;
  - the explorer of 04_convergence.ipynb, in a notebook of that lesson's first code cell and its
    explorer cell, in another tab of the same window (with its own kernel): runs all cells from
    the Run menu, then moves the explorer's slider with the keyboard and waits for its status
    line ("iteration t of T: log-likelihood L_t ...") to follow.  (nbval runs the whole lesson;
    JupyterLab rendering the lesson's other 25 cells took two thirds of this test's time.)
The server's kernels are this Python's, forked as the notebooks' are under nbval
(tests/kernel_zygote.py; EMLIB_FRESH_KERNELS=1 starts them afresh).
Every server and browser started here is stopped by its fixture, also when a test fails.
"""
import itertools
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
from pathlib import Path
from types import SimpleNamespace

import kernel_zygote
import nbformat
import pytest
from browsing import ROOT, Watch, screenshot
from helpers import LESSONS, STUDENT_LESSONS
from ipykernel.kernelspec import get_kernel_dict

EXPLORER_NOTEBOOK = "04_convergence.ipynb"
#: The notebook panel on show (JupyterLab hides the other tabs' panels).
SHOWN_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
STATUS = re.compile(r"iteration (\d+) of (\d+): log-likelihood (-?\d+\.\d+) · (.+)")

pytestmark = pytest.mark.browser


# ----------------------------------------------------------------------------------------
# The JupyterLab server
# ----------------------------------------------------------------------------------------
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


#: What `jupyter lab` runs (jupyterlab.labapp.main), started directly: `python -m jupyter lab`
#: first starts `jupyter`, which starts `jupyter-lab` in a second Python.  And without
#: rfc3987_syntax, which jsonschema imports for a string format that no schema here uses and
#: which builds a grammar on import (the root conftest.py says more).  The server answered
#: after 1.0 s instead of 2.3 s.
LAB_MAIN = ("import sys; sys.modules['rfc3987_syntax'] = None; "
            "from jupyterlab.labapp import main; sys.exit(main())")


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
    try:                              # this Python's kernel, forked as the notebooks' are (conftest.py)
        argv = kernel_zygote.kernel_argv() if kernel_zygote.FORKED else None
    except RuntimeError:              # (conftest.py warns): started afresh
        argv = None
    if argv:
        spec = home / "data" / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({**get_kernel_dict(), "argv": argv}))
        env["JUPYTER_PATH"] = str(home / "data")
    command = [sys.executable, "-c", LAB_MAIN, "--no-browser",
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


def json_shape(value):
    """A JSON value with its contents left out: the keys of each object, the type of each string,
    number or boolean, and the set of shapes in each list.  Two cells of the same shape have the
    same fields, metadata keys, output types and mime types: what JupyterLab's reading of a
    notebook could rewrite (and so mark it modified) is the same for both."""
    if isinstance(value, dict):
        return tuple((key, json_shape(item)) for key, item in sorted(value.items()))
    if isinstance(value, list):
        return ("list", tuple(sorted({json_shape(item) for item in value}, key=repr)))
    return type(value).__name__


def cell_shapes(path):
    return {json_shape(cell) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]}


def representatives(paths):
    """The fewest of `paths` (the fewest bytes among those) whose cells have every shape that a
    cell of any of `paths` has."""
    shapes = {path: cell_shapes(path) for path in paths}
    every = set().union(*shapes.values())
    for count in range(1, len(paths) + 1):
        covers = [c for c in itertools.combinations(paths, count) if set().union(*map(shapes.get, c)) == every]
        if covers:
            return min(covers, key=lambda c: sum(p.stat().st_size for p in c))


def opened_notebooks(lab):
    """The representatives() of both editions' notebooks, as paths relative to what the server
    serves (the same as relative to the repository).

    Opening all 14 lessons rendered 5 MB of notebooks and took three times as long as these;
    the others are stored as these are (the module's docstring)."""
    return sorted(p.relative_to(ROOT).as_posix() for p in representatives(LESSONS + STUDENT_LESSONS))


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


@pytest.fixture(scope="module")
def window(browser, lab):
    """One JupyterLab window for both tests (loading JupyterLab took 3 s of each): a workspace
    with a tab for each of opened_notebooks(), their sessions sharing one kernel, and a tab for
    explorer_notebook() with its own kernel, which the explorer test runs.  Starting the kernels
    through the REST API before the page loads, the test knows which kernel is which.  Yields a
    namespace: page, watch (its Watch), lessons (the lessons' paths), explorer (its path)."""
    paths, explorer = opened_notebooks(lab), explorer_notebook(lab)
    for path in paths:
        metadata = json.loads((lab.root / path).read_text(encoding="utf-8"))["metadata"]
        assert set(metadata) == {"kernelspec", "language_info"}, f"{path}: {RUN_NOTEBOOKS}"
    align_python_version(lab, paths)
    tabs = [*paths, explorer]
    workspace = {"data": {"layout-restorer:data": {"main": {
                     "dock": {"type": "tab-area", "currentIndex": 0, "widgets": [f"notebook:{p}" for p in tabs]},
                     "current": f"notebook:{paths[0]}"}},
                 **{f"notebook:{p}": {"data": {"path": p, "factory": "Notebook"}} for p in tabs}},
                 "metadata": {"id": "lessons"}}
    api(lab, "/lab/api/workspaces/lessons", "PUT", workspace)
    shared = api(lab, "/api/kernels", "POST", {"name": "python3"})
    for path in paths:
        api(lab, "/api/sessions", "POST", {"path": path, "type": "notebook", "name": Path(path).name,
                                           "kernel": {"id": shared["id"]}})
    api(lab, "/api/sessions", "POST", {"path": explorer, "type": "notebook", "name": Path(explorer).name,
                                       "kernel": {"name": "python3"}})
    page = browser.new_page()
    watch = Watch(page)
    try:
        page.goto(f"{lab.base}/lab/workspaces/lessons?token={lab.token}")
        yield SimpleNamespace(page=page, watch=watch, lessons=paths, explorer=explorer)
    finally:
        page.close()


def test_every_notebook_opens_unmodified_in_jupyterlab(lab, window):
    """Each notebook of both editions, opened in JupyterLab with a kernel, is not marked modified:
    its stored metadata is what JupyterLab writes (see tools/run_notebooks.py).  Opened here are
    the representatives(); the module's docstring says why the others then open as they do.

    All are opened at once, in one workspace, each in its own tab, with its own session and its
    own connection to the kernel; the sessions share one kernel (started through the REST API)
    instead of starting one each: what JupyterLab writes comes from the kernel's spec and from
    the info reply each connection asks for, the same from a shared kernel as from one's own.
    """
    page, watch, paths = window.page, window.watch, window.lessons
    wait_for_kernels(lab, connections=len(paths), timeout=120)
    page.wait_for_timeout(SETTLE_S * 1000)
    tabs = page.evaluate("""() => [...document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tab')]
        .map(tab => [(tab.title.match(/^Path: (.*)$/m) || [])[1], tab.classList.contains('jp-mod-dirty')])""")
    opened = {path: dirty for path, dirty in tabs if path != window.explorer}
    screenshot(page, "jupyterlab_every_notebook.png",
               failed=sorted(opened) != paths or any(opened.values()) or bool(watch.problems))
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


def explorer_notebook(lab):
    """notebooks/explorer.ipynb in the server's copy: the first code cell of EXPLORER_NOTEBOOK (its
    imports and data) and its cell that shows the explorer, as the lesson has them, outputs
    cleared.  Returns its path relative to what the server serves."""
    lesson = nbformat.read(lab.root / "notebooks" / EXPLORER_NOTEBOOK, as_version=4)
    code = [c for c in lesson.cells if c.cell_type == "code"]
    shown = [c for c in code if "widgets.explorer(" in c.source]
    assert len(shown) == 1, f"{EXPLORER_NOTEBOOK} should show one explorer"
    nb = nbformat.v4.new_notebook(metadata=lesson.metadata,
                                  cells=[nbformat.v4.new_code_cell(c.source) for c in (code[0], shown[0])])
    nbformat.write(nb, lab.root / "notebooks" / "explorer.ipynb")
    return "notebooks/explorer.ipynb"


def test_explorer_slider_steps_through_the_fit_in_jupyterlab(lab, window):
    page, watch = window.page, window.watch
    earlier = len(watch.problems)                    # the other test's to report
    try:
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=Path(window.explorer).name).click()
        panel = page.locator(f"{SHOWN_NOTEBOOK} .jp-Notebook")
        panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
        page.locator(f'{SHOWN_NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(timeout=60_000)

        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

        status = panel.locator(".widget-html-content").filter(has_text=STATUS).first
        status.wait_for(timeout=120_000)
        page.wait_for_function(     # every code cell ran: a number in each prompt, the kernel idle
            """(shown) => document.querySelector(shown + ' .jp-Notebook-ExecutionIndicator')?.dataset.status === 'idle'
                  && [...document.querySelectorAll(shown + ' .jp-CodeCell .jp-InputPrompt')]
                         .every(p => /\\[\\d+\\]/.test(p.textContent))""",
            arg=SHOWN_NOTEBOOK, timeout=120_000)
        errors = panel.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert errors.count() == 0, "a cell wrote to stderr:\n" + "\n".join(errors.all_text_contents())

        explorer = panel.locator(".widget-vbox").filter(has=page.locator(".noUi-handle")).first
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
        screenshot(page, "jupyterlab_failure.png", failed=True)
        raise
    assert not watch.problems[earlier:]

