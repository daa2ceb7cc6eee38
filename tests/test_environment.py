"""environment.yml (conda, Binder) and pyproject.toml (pip) must list the same packages."""
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, which pytest itself requires there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def pip_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    return {re.split(r"[<>=!~ ]", r, maxsplit=1)[0].lower(): r for r in reqs}, project["requires-python"]


def conda_requirements():
    deps = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        m = re.fullmatch(r"\s+- ([A-Za-z][\w.-]*)(\S*)", line)
        if m and m.group(1) != "pip":
            deps[m.group(1).lower()] = m.group(1) + m.group(2)
    return deps


def test_same_packages_with_the_same_lower_bounds():
    pip, _ = pip_requirements()
    conda = conda_requirements()
    conda.pop("python")
    assert set(conda) == set(pip)
    for name, spec in pip.items():
        assert conda[name].replace(" ", "") == spec.replace(" ", ""), name


def test_same_python():
    _, requires_python = pip_requirements()
    assert conda_requirements()["python"] == "python" + requires_python


def test_oldest_constraints_are_the_lower_bounds():
    pip, _ = pip_requirements()
    for line in (ROOT / "tests" / "oldest-constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            lower = re.search(r">=([\d.]+)", pip[name]).group(1)
            assert version.startswith(lower), (name, version, lower)
