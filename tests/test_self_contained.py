"""Nothing in the project reads outside the repository: a fresh clone has all it needs.

Two guards.  During the test run, tests/conftest.py installs helpers.guard_reads: opening a file
beside the repository (under its parent folder, outside it) raises and fails the test.  And here,
a scan of every file of the project that can hold code (Python files, notebooks' code cells,
Makefile, scripts, configuration; not prose) for paths that leave the repository:

  - a relative path whose ".." climb above the repository, counted from where the code runs:
    a notebook from its own folder, a Python file from the repository's root (where make and
    pytest run), any other file from its own folder (a script that does `cd "$(dirname "$0")/.."`);
  - Path(__file__) (or os.path.dirname(__file__), Path.cwd()) climbed by .parent, .parents[k]
    or dirname above the repository's root, also through a module-level name (ROOT.parent);
  - an absolute path into the folder that holds the repository, or into people's own folders
    (/work, /home, /root, ...), which another machine does not have.
"""
import ast
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from helpers import ReadOutsideRepository

ROOT = Path(__file__).resolve().parents[1]
#: Folders that hold no project code: environments, build output, git's own.
NOT_PROJECT = (".git", "build", "node_modules", "__pycache__", ".hypothesis", ".pytest_cache")
#: Files scanned as text (besides *.py and *.ipynb): what make, CI, pip, conda and pytest read.
TEXT_SUFFIXES = {".sh", ".cfg", ".toml", ".yml", ".yaml", ".ini", ".json", ".j2", ".txt"}
TEXT_NAMES = {"Makefile", "run"}
#: Absolute paths that are somebody's own folders, not the system's.
PRIVATE_ROOTS = ("/work/", "/home/", "/root/", "/Users/", "/mnt/", "/media/")
UP = re.compile(r"(?:^|[/\\])\.\.(?=[/\\]|$)")


def project_files(root):
    """The files of the project: git's list (tracked, and new files not ignored) when there is
    one, else every file outside NOT_PROJECT and the virtual environments."""
    if (root / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=root, capture_output=True, check=True).stdout.decode()
        return sorted(root / name for name in listed.split("\0") if name and (root / name).is_file())
    return sorted(p for p in root.rglob("*") if p.is_file() and not any(
        part in NOT_PROJECT or part.startswith(".venv") for part in p.relative_to(root).parts))


def depth(folder, root):
    return len(folder.relative_to(root).parts)


def climbs_out(path_text, start_depth):
    """True if the relative path path_text, followed from a folder start_depth levels below the
    repository's root, goes above the root (only the part from its first ".." on is followed)."""
    match = UP.search(path_text)
    if not match:
        return False
    level = start_depth
    for part in re.split(r"[/\\]", path_text[match.start():].lstrip("/\\")):
        if part == "..":
            level -= 1
            if level < 0:
                return True
        elif part not in ("", "."):
            level += 1
    return False


def private_absolute(path_text, root):
    beside = str(root.parent) + os.sep
    return path_text.startswith(PRIVATE_ROOTS) or (
        root.parent != Path(root.anchor) and path_text.startswith(beside)
        and not path_text.startswith(str(root) + os.sep))


def python_strings(source):
    """The string literals of Python source (f-strings: their literal parts), with line numbers."""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING:
            text = re.sub(r"^[rRbBuUfF]*('''|\"\"\"|'|\")", "", tok.string)
            yield tok.start[0], text.rstrip("'\"")
        elif tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            yield tok.start[0], tok.string


def climbs(node, levels):
    """How many folders up from its start an expression goes, when it is Path(__file__),
    Path.cwd(), dirname(__file__), a name in `levels` (name -> levels), or one of these with
    .parent, .parents[k], .resolve(), .absolute(), dirname(...) applied; else None.
    A start is 0 for __file__ (the file itself, one below its folder) and "cwd" for Path.cwd()."""
    if isinstance(node, ast.Name):
        return levels.get(node.id)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in ("Path", "PurePath", "abspath", "realpath") and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Name) and arg.id == "__file__":
                return ("file", 0)
            return climbs(arg, levels)
        if name in ("cwd", "getcwd") and not node.args:
            return ("cwd", 0)
        if name == "dirname" and node.args:
            inner = climbs(node.args[0], levels)
            return inner and (inner[0], inner[1] + 1)
        if name in ("resolve", "absolute") and isinstance(func, ast.Attribute):
            return climbs(func.value, levels)
        return None
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = climbs(node.value, levels)
        return inner and (inner[0], inner[1] + 1)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
            and node.value.attr == "parents":
        inner = climbs(node.value.value, levels)
        k = node.slice.value if isinstance(node.slice, ast.Constant) else None
        return inner and isinstance(k, int) and (inner[0], inner[1] + k + 1)
    return None


def python_climbs(source, file_depth, run_depth):
    """(line, text) for each expression of Python source that climbs above the repository's
    root; file_depth: folders between the root and the file (plus one for the file itself);
    run_depth: folders between the root and where the code runs."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    levels = {}
    for stmt in tree.body:            # module-level names bound to a climb: ROOT = Path(__file__)...
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            found = climbs(stmt.value, levels)
            if found:
                levels[stmt.targets[0].id] = found
    found = []
    for node in ast.walk(tree):
        where = climbs(node, levels) if isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)) else None
        if where and where[1] > (file_depth if where[0] == "file" else run_depth):
            found.append((node.lineno, ast.get_source_segment(source, node)))
    return found


def notebook_code(path):
    """A notebook's code cells joined into one Python source (IPython's % and ! lines blanked)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            for line in "".join(cell["source"]).splitlines():
                lines.append("" if line.lstrip().startswith(("%", "!")) else line)
    return "\n".join(lines) + "\n"


def escapes(path, root):
    """Every place in one project file that reads (or names) a path outside the repository:
    a list of "file:line: what" strings."""
    rel = path.relative_to(root)
    here = depth(path.parent, root)
    if path.suffix == ".ipynb":
        source, run_depth, file_depth = notebook_code(path), here, None
    elif path.suffix == ".py":
        source, run_depth, file_depth = path.read_text(encoding="utf-8"), 0, here + 1
    else:
        source = None
    problems = []
    if source is not None:
        for line, text in python_strings(source):
            if climbs_out(text, run_depth) or private_absolute(text, root):
                problems.append(f"{rel}:{line}: {text!r}")
        if file_depth is not None or run_depth is not None:
            problems += [f"{rel}:{line}: {text}" for line, text in
                         python_climbs(source, file_depth if file_depth is not None else -1, run_depth)]
        return problems
    if path.suffix not in TEXT_SUFFIXES and path.name not in TEXT_NAMES:
        return problems
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return problems
    for number, line in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*", "", line)             # a comment (Makefile, shell, YAML, cfg)
        for word in re.findall(r"[^\s\"'()=:,;{}<>|`]+", line):
            if climbs_out(word, here) or private_absolute(word, root):
                problems.append(f"{rel}:{number}: {word!r}")
    return problems


def all_escapes(root):
    return [problem for path in project_files(root) for problem in escapes(path, root)]


# ----------------------------------------------------------------------------------------
# The project
# ----------------------------------------------------------------------------------------
def test_no_file_of_the_project_reads_outside_the_repository():
    files = project_files(ROOT)
    assert any(p.suffix == ".ipynb" for p in files) and any(p.name == "Makefile" for p in files)
    this = Path(__file__).resolve()           # this file plants such paths on purpose, below
    problems = [problem for path in files if path != this for problem in escapes(path, ROOT)]
    assert not problems, ("these read outside the repository (keep a copy inside it, as "
                          "emlib/datasets/seed/ does for the seed):\n" + "\n".join(problems))


# ----------------------------------------------------------------------------------------
# The scan finds what it must (planted in a copy of a small project)
# ----------------------------------------------------------------------------------------
def notebook(*sources):
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
             for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


PLANTED = {
    "tests/test_x.py": 'SEED = Path(__file__).resolve().parents[1].parent / "beside" / "seed"\n',
    "tests/test_y.py": 'ROOT = Path(__file__).resolve().parents[1]\nBESIDE = ROOT.parent / "beside"\n',
    "tests/test_z.py": 'text = open("../beside/seed/em_seed_output.txt").read()\n',
    "tools/t.py": 'HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n',
    "emlib/m.py": 'DATA = "/work/beside/seed/em_seed.py"\n',
    "notebooks/01_x.ipynb": notebook("import numpy as np\n", 'open("../../beside/x.txt")\n'),
    "notebooks/02_y.ipynb": notebook("from pathlib import Path\n", "Path.cwd().parent.parent / 'x'\n"),
    "Makefile": "seed:\n\tcp ../beside/seed/em_seed.py .\n",
    ".ci/run": 'cd "$(dirname "$0")/../.."\n',
}
FINE = {
    "tests/test_a.py": 'ROOT = Path(__file__).resolve().parents[1]\nFIG = ROOT / "figures"\n'
                       'x = f"{ROOT}/a"\nrange_text = "0 .. T"\nurl = "//cdn.example/a.css"\n',
    "tests/sub/test_b.py": "ROOT = Path(__file__).parent.parent.parent\n",
    "emlib/n.py": "from . import data\nDEFAULT = Path(__file__).resolve().parents[1] / 'figures'\n",
    "notebooks/03_z.ipynb": notebook("%matplotlib inline\n", 'open("../figures/a.png")\n',
                                     "Path.cwd().parent / 'emlib'\n"),
    "Makefile": "test:\n\tpython -m pytest tests/ # 0 .. 9\n",
    ".ci/run": 'cd "$(dirname "$0")/.."\nexec make test\n',
    "README.md": "Copied from ../beside/seed/ (prose is not code).\n",
}


def write_project(folder, files):
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", PLANTED)
def test_the_scan_finds_a_planted_read_outside(tmp_path, name):
    write_project(tmp_path, {name: PLANTED[name]})
    problems = all_escapes(tmp_path)
    assert len(problems) == 1 and problems[0].startswith(name + ":"), problems


def test_the_scan_lets_paths_inside_the_repository_be(tmp_path):
    write_project(tmp_path, FINE)
    assert all_escapes(tmp_path) == []


# ----------------------------------------------------------------------------------------
# The guard of the test run
# ----------------------------------------------------------------------------------------
def test_the_run_refuses_to_open_a_file_beside_the_repository(refused_reads):
    if ROOT.parent == Path(ROOT.anchor):
        pytest.skip("the repository sits at the filesystem's root: everything is beside it")
    planted = ROOT.parent / "beside" / "seed" / "em_seed_output.txt"
    with pytest.raises(ReadOutsideRepository, match="outside the repository"):
        planted.read_text()
    assert refused_reads.pop() == str(planted)     # expected here: not this test's failure


def test_the_guard_in_a_process_of_its_own(tmp_path):
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.txt").write_text("inside")
    for name in ("beside", ".cache", "tmpabc"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "b.txt").write_text("beside")
    script = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
              "import helpers\n"
              f"refused = helpers.guard_reads({str(root)!r})\n"
              f"print(open({str(root / 'data' / 'a.txt')!r}).read())\n"
              f"print(open({str(tmp_path / '.cache' / 'b.txt')!r}).read())\n"
              f"print(open({str(tmp_path / 'tmpabc' / 'b.txt')!r}).read())\n"
              "try:\n"
              f"    open({str(tmp_path / 'beside' / 'b.txt')!r})\n"
              "except OSError:\n"
              "    pass\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.stdout.split() == ["inside", "beside", "beside"]
    assert run.returncode != 0 and "ReadOutsideRepository" in run.stderr
    assert str(tmp_path / "beside" / "b.txt") in run.stderr
