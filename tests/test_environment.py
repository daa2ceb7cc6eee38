"""environment.yml (conda, Binder) and pyproject.toml (pip) must list the same packages, each
under its own installer's name and with the same lower bound."""
import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest
from helpers import LESSONS, STUDENT_LESSONS, cells, source

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, which pytest itself requires there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
#: pip's name -> conda-forge's, where they differ.  On conda-forge, `playwright` is the Node.js
#: tool; the Python library is `playwright-python`.
CONDA_NAMES = {"playwright": "playwright-python"}


def split(requirement):
    """'numpy>=1.24' -> ('numpy', '>=1.24'): the lower-cased name and the version bound."""
    name, bound = re.fullmatch(r"\s*([A-Za-z0-9][\w.-]*)\s*(.*?)\s*", requirement).groups()
    return name.lower(), bound.replace(" ", "")


def pip_requirements(pyproject_text):
    """{pip name: bound} of the project's requirements and those of its test and lessons extras,
    and requires-python."""
    project = tomllib.loads(pyproject_text)["project"]
    extras = project["optional-dependencies"]
    reqs = project["dependencies"] + extras["test"] + extras["lessons"]
    return dict(map(split, reqs)), project["requires-python"]


def conda_requirements(environment_text):
    """{conda name: bound} of environment.yml's conda dependencies (not its pip: section)."""
    deps = {}
    for line in environment_text.split("\ndependencies:\n", 1)[1].splitlines():
        m = re.fullmatch(r"  - ([A-Za-z][\w.-]*\S*)", line)
        if m:
            name, bound = split(m.group(1))
            deps[name] = bound
    deps.pop("pip", None)
    return deps


def disagreements(pyproject_text, environment_text):
    """What differs between the two lists, one sentence each (empty when they agree)."""
    pip, requires_python = pip_requirements(pyproject_text)
    conda = conda_requirements(environment_text)
    problems = []
    if conda.pop("python", None) != requires_python:
        problems.append(f"environment.yml must ask for python{requires_python}, as pyproject.toml does")
    wanted = {CONDA_NAMES.get(name, name): (name, bound) for name, bound in pip.items()}
    for conda_name, (pip_name, bound) in wanted.items():
        if conda_name not in conda:
            problems.append(f"environment.yml lacks {conda_name} (pip's {pip_name})")
        elif conda[conda_name] != bound:
            problems.append(f"{conda_name}{conda[conda_name]} in environment.yml, "
                            f"{pip_name}{bound} in pyproject.toml")
    for conda_name in sorted(set(conda) - set(wanted)):
        hint = next((f" (conda-forge's name for {p} is {c})" for p, c in CONDA_NAMES.items()
                     if p == conda_name), "")
        problems.append(f"environment.yml has {conda_name}, which pyproject.toml does not list{hint}")
    return problems


def read(name):
    return (ROOT / name).read_text(encoding="utf-8")


def test_the_two_lists_agree():
    assert disagreements(read("pyproject.toml"), read("environment.yml")) == []


@pytest.mark.parametrize("plant, expected", [
    (("playwright-python>=1.60", "playwright>=1.60"),
     ["environment.yml lacks playwright-python (pip's playwright)",
      "environment.yml has playwright, which pyproject.toml does not list "
      "(conda-forge's name for playwright is playwright-python)"]),
    (("scipy>=1.10", "scipy>=1.11"), ["scipy>=1.11 in environment.yml, scipy>=1.10 in pyproject.toml"]),
    (("  - hypothesis>=6.80\n", ""), ["environment.yml lacks hypothesis (pip's hypothesis)"]),
    (("python>=3.10", "python>=3.9"), ["environment.yml must ask for python>=3.10, as pyproject.toml does"]),
])
def test_a_planted_mismatch_is_reported(plant, expected):
    old, new = plant
    environment = read("environment.yml")
    assert old in environment
    assert disagreements(read("pyproject.toml"), environment.replace(old, new)) == expected


def oldest_constraints():
    """{python version: {package: pinned version}} of tests/oldest/constraints-X.Y.txt (its
    "name==version" lines; the others only cap a package)."""
    pins = {}
    for path in sorted((ROOT / "tests" / "oldest").glob("constraints-*.txt")):
        lines = [line for line in path.read_text().splitlines() if "==" in line and not line.startswith("#")]
        pins[path.stem.split("-", 1)[1]] = dict(line.split("==") for line in lines)
    return pins


def version(text):
    return tuple(int(part) for part in text.split("."))


def test_oldest_constraints_are_the_lower_bounds_where_they_exist():
    """make test-oldest: on the oldest Python the pins are pyproject.toml's lower bounds; on a
    newer one, the oldest versions with its wheels, never below the bounds; and every Python from
    requires-python's up to the newest pinned one has its file."""
    pip, requires_python = pip_requirements(read("pyproject.toml"))
    pins = oldest_constraints()
    oldest = requires_python.removeprefix(">=")
    pythons = sorted(pins, key=version)
    assert pythons[0] == oldest
    assert [version(p)[1] for p in pythons] == list(range(version(oldest)[1], version(pythons[-1])[1] + 1))
    for python, pinned in pins.items():
        assert set(pinned) == {"numpy", "scipy", "matplotlib"}, python
        for name, pin in pinned.items():
            lower = re.fullmatch(r">=([\d.]+)", pip[name]).group(1)
            assert version(pin)[:2] >= version(lower), (python, name, pin, lower)
            if python == oldest:
                assert version(pin)[:2] == version(lower), (name, pin, lower)


# ----------------------------------------------------------------------------------------
# pip install -e '.[lessons]' (README, INSTRUCTORS.md) installs what every lesson imports
# ----------------------------------------------------------------------------------------
def imported_modules(code):
    """The top-level names of the modules that Python code imports (absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def not_installed_for_lessons(modules, pyproject_text):
    """Of `modules` (top-level import names), those that neither the standard library, emlib, nor a
    distribution that `pip install -e '.[lessons]'` asks for by name provides."""
    project = tomllib.loads(pyproject_text)["project"]
    asked = {split(r)[0] for r in project["dependencies"] + project["optional-dependencies"]["lessons"]}
    providers = importlib.metadata.packages_distributions()
    return sorted(m for m in modules - set(sys.stdlib_module_names) - {"emlib"}
                  if not {d.lower() for d in providers.get(m, [m])} & asked)


def test_the_lessons_extra_installs_every_module_a_lesson_imports():
    modules = {m for nb in LESSONS + STUDENT_LESSONS for c in cells(nb) if c["cell_type"] == "code"
               for m in imported_modules(source(c))}
    assert "sklearn" in modules                    # the lessons do import beyond emlib's dependencies
    missing = not_installed_for_lessons(modules, read("pyproject.toml"))
    assert not missing, (f"a lesson imports {missing}, which pip install -e '.[lessons]' does not ask for: "
                         "add it to [project.optional-dependencies] lessons in pyproject.toml")


def test_a_lesson_import_the_extra_lacks_is_found():
    pyproject = read("pyproject.toml")
    assert not_installed_for_lessons({"numpy", "sklearn", "json", "emlib"}, pyproject) == []
    without = pyproject.replace('    "scikit-learn>=1.7",\n    "threadpoolctl', '    "threadpoolctl', 1)
    assert without != pyproject
    assert not_installed_for_lessons({"numpy", "sklearn"}, without) == ["sklearn"]
    assert not_installed_for_lessons({"pandas"}, pyproject) == ["pandas"]
