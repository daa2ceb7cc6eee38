"""Shared test configuration: the markers.

    slow     a timing test (several seconds); deselect with -m "not slow"
    slides   the committed notebooks carry the slide types tools/slide_metadata.py sets
    web      builds the offline HTML edition and the slides (needs npm)
    browser  drives JupyterLab and the HTML edition in headless Chromium (needs chromium)

the web_editions fixture that tests/test_web.py and the browser tests (tests/test_browser_*.py) share, and the guard
that fails a test which opens a file beside the repository (helpers.guard_reads; the static
half of the guard is tests/test_self_contained.py).
"""
import os
import shutil
from pathlib import Path

# One BLAS thread per process, set before numpy loads: the suite runs two workers on two cores and
# every nbval kernel inherits this environment.  OpenBLAS's own threads on top of them fight for the
# cores: one Bernoulli fit of lesson 10 took 0.29 s with one thread and 4.4 s with two (under load).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import pytest
from helpers import guard_reads, load_tool

ROOT = Path(__file__).resolve().parents[1]
#: Files beside the repository that a test opened (each open also raised ReadOutsideRepository).
READ_OUTSIDE = guard_reads(ROOT)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium for the browser tests (tests/browsing.py's chromium): one per test
    process, shared by the modules that run in it (starting one takes about a second)."""
    from browsing import chromium          # skips the test when Playwright is missing
    yield from chromium(tmp_path_factory)


@pytest.fixture
def refused_reads():
    """The list of files beside the repository that this process refused to open."""
    return READ_OUTSIDE


@pytest.fixture(autouse=True)
def reads_nothing_outside_the_repository():
    """Fail the test if it opened a file beside the repository, even if it caught the error."""
    before = len(READ_OUTSIDE)
    yield
    if len(READ_OUTSIDE) > before:
        pytest.fail(f"read outside the repository: {READ_OUTSIDE[before:]}", pytrace=False)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: a timing test (several seconds); deselect with -m 'not slow'"
    )
    config.addinivalue_line(
        "markers", "slides: the notebooks carry slide metadata (run tools/slide_metadata.py); "
                   "select with -m slides"
    )
    config.addinivalue_line(
        "markers", "web: builds the offline HTML edition and slides with MathJax and reveal.js "
                   "from npm; select with -m web"
    )
    config.addinivalue_line(
        "markers", "browser: JupyterLab and the HTML edition in headless Chromium (about 15 s); "
                   "select with -m browser, deselect with -m 'not browser'"
    )


class _OnFirstUse(dict):
    """A dict whose missing entries make(key) makes when they are first asked for."""

    def __init__(self, make):
        super().__init__()
        self._make = make

    def __missing__(self, key):
        self[key] = self._make(key)
        return self[key]


@pytest.fixture(scope="session")
def web_editions(tmp_path_factory):
    """The HTML pages and the slides of every lesson, both editions (tools/build_web.py), each of
    the four folders built once per test run, when a test first asks for it, into the run's
    shared temporary folder.  `make test` runs tests/test_web.py and the browser tests on one
    worker (the root conftest.py's work_unit); should two workers ask at once, the first builds,
    under that folder's lock, and the other waits for it.

    Returns {"html": {"student": folder, "instructor": folder}, "slides": {...}} (each folder
    built when looked up).  Skips, saying why, when npm is missing.
    """
    if shutil.which("npm") is None:
        pytest.skip("npm not found: the HTML edition and the slides install MathJax and reveal.js "
                    "with npm (install Node.js and npm; see the README)")
    build_web = load_tool("build_web")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent                  # this run's folder, common to its workers
    out = shared / "web-editions"

    def built(kind, edition):
        folder, done = out / kind / edition, out / kind / f"{edition}.done"
        with build_web.locked(shared / f"web-editions-{kind}-{edition}.lock"):
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)
                build_web.build(kind, folder, edition=edition)
                done.touch()
        return folder
    return _OnFirstUse(lambda kind: _OnFirstUse(lambda edition: built(kind, edition)))
