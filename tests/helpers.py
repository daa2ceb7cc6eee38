"""Shared by the tests (standard library only): the lessons, a notebook's cells, the tools/
scripts as modules, what counts as another host, where Chromium is, and the guard against
reading files beside the repository.

    python tests/helpers.py chromium    print the Chromium the browser tests use; exit 1 if none
                                        (.ci/run asks this before installing Debian's chromium)
"""
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]

#: The solution edition's lessons, notebooks/NN_*.ipynb, in order; and the student edition's.
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STUDENT_LESSONS = sorted((ROOT / "notebooks" / "student").glob("[0-9][0-9]_*.ipynb"))
if not (LESSONS and STUDENT_LESSONS):     # a test over every lesson must not pass for want of lessons
    raise RuntimeError(f"no lessons in {ROOT / 'notebooks'} or {ROOT / 'notebooks' / 'student'}")


def load_tool(name):
    """A script from tools/ (a folder of scripts, not a package), loaded as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cells(path):
    """A notebook's cells as stored (dicts), read with json: no validation, no upgrade."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def source(cell):
    """A stored cell's source as one string (nbformat stores it as a string or a list of lines)."""
    return "".join(cell.get("source", ""))


def from_another_host(url, hosts=()):
    """True if loading `url` needs a host other than `hosts`.

    Relative addresses, data:, blob: and file: URLs (without a host) are local; any URL that
    names a host (https://cdn.example/x.js, //cdn.example/x.js) is not, unless that host is in
    `hosts` (the browser tests allow their own JupyterLab server, 127.0.0.1); nor is an absolute
    URL of any other scheme (https:x.js, about:blank).
    """
    parts = urlsplit(url)
    if parts.netloc:
        return parts.hostname not in hosts
    return parts.scheme not in ("", "data", "blob", "file")


class ReadOutsideRepository(RuntimeError):
    """A file beside the repository was opened: the project must keep its own copy of it.
    (Not an OSError, so that code which copes with a missing file cannot swallow it.)"""


def guard_reads(root):
    """Refuse, for the rest of this process, to open any file beside the repository `root`.

    An audit hook on "open" (builtins.open, io.open, os.open) raises ReadOutsideRepository for
    a path under root's parent folder that is outside root, except in the parent's hidden
    folders (.cache, .local, ...) and its temporary ones (tmp*, pytest-of-*), which belong to
    tools, and except under this Python's own prefixes (a virtual environment beside the
    repository).  Every refused path is also appended to the returned list, so that a caller
    can fail a test even where the exception was caught.  When root's parent is the
    filesystem's root, everything is beside the repository, and nothing is guarded.
    """
    root = os.path.abspath(root)
    parent = os.path.dirname(root)
    refused = []
    if parent == os.path.dirname(parent):
        return refused
    prefixes = {os.path.join(os.path.abspath(p), "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    inside, beside = os.path.join(root, ""), os.path.join(parent, "")

    def hook(event, args):
        if event != "open" or isinstance(args[0], int):
            return
        path = os.path.abspath(os.fsdecode(args[0]))
        if not path.startswith(beside) or path.startswith(inside) or path + os.sep == inside:
            return
        name = path[len(beside):].split(os.sep, 1)[0]
        if name.startswith((".", "tmp", "pytest-of-")) or any(path.startswith(p) for p in prefixes):
            return
        refused.append(path)
        raise ReadOutsideRepository(
            f"{path} is outside the repository {root}: keep a copy inside it (see the README)")

    sys.addaudithook(hook)
    return refused


def find_chromium():
    """$CHROMIUM, else the first Chromium or Chrome on PATH, else None."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


if __name__ == "__main__":
    if sys.argv[1:] != ["chromium"]:
        sys.exit(__doc__)
    executable = find_chromium()
    if executable is None:
        sys.exit(1)
    print(executable)
