"""How `make test` shares the work between its two workers (the root conftest.py's work_unit):
whole files, and the files that drive a browser or build the web editions together on one."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKED = re.compile(r"^pytestmark = pytest\.mark\.(browser|web)\b", re.MULTILINE)


@pytest.fixture
def work_unit(request):
    """The root conftest.py's work_unit, from the module pytest loaded."""
    root = next(plugin for plugin in request.config.pluginmanager.get_plugins()
                if getattr(plugin, "__file__", None) == str(ROOT / "conftest.py"))
    return root.work_unit


def test_the_browser_and_web_files_are_one_unit_and_every_other_file_its_own(work_unit):
    files = sorted((ROOT / "tests").glob("test_*.py"))
    marked = [f for f in files if MARKED.search(f.read_text(encoding="utf-8"))]
    assert len(marked) >= 5                  # the four browser files and tests/test_web.py
    for f in files:
        name = f"tests/{f.name}"
        assert work_unit(f"{name}::test_x[a-b]") == ("browser" if f in marked else name), name


def test_a_notebook_is_one_unit_with_its_student_cells(work_unit):
    assert work_unit("notebooks/09_kmeans.ipynb::Cell 3") == "notebooks/09_kmeans.ipynb"
    assert work_unit("notebooks/09_kmeans.ipynb::student Cell 12") == "notebooks/09_kmeans.ipynb"
    assert work_unit("notebooks/student/09_kmeans.ipynb::Cell 0") == "notebooks/student/09_kmeans.ipynb"
