"""The student edition (notebooks/student/) is generated from the solution notebooks and must not drift.

tools/make_student.py stubs every cell tagged `solution`; `make student` runs it and then executes
the student notebooks (nbval runs them too, so they are proved to run: their exercises in the
solution notebook's kernel after the shared body, see the root conftest.py).  These tests
regenerate the edition into a temporary folder and compare it with the committed one on cell
types and sources (outputs are nbval's business, and the shared body's outputs must be the
solution notebook's), check that no solution code leaks into
it, neither from the solution cells nor from the lessons and the exercises' text, and that every
check cell survives and reports "not implemented yet".
"""
import ast
import json
from pathlib import Path
import re

import nbformat
import pytest
from helpers import load_tool

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STUDENT = ROOT / "notebooks" / "student"
RUN_IT = "run `make student` (tools/make_student.py, then the student notebooks are executed) and commit notebooks/student/"

#: The "write it yourself" exercises: notebook -> the checks its check cells call.
CHECKS = {
    "01_data_generation.ipynb": ["check_sample"],
    "02_e_step.ipynb": ["check_e_step", "check_log_likelihood"],
    "03_m_step.ipynb": ["check_m_step_1d", "check_m_step"],
    "04_convergence.ipynb": ["check_em_iteration", "check_em_loop"],
    "05_pitfalls.ipynb": ["check_match"],
    "07_choosing_k.ipynb": ["check_bic"],
    "12_priors_and_bayesian_mixtures.ipynb": ["check_map_update"],
}


make_student = load_tool("make_student")


def read(path):
    """A notebook without the cells the student edition leaves out: speaker notes (tagged "notes")
    and answers in words (Markdown tagged "solution")."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not (make_student.NOTES_TAG in c.metadata.get("tags", [])
                                            or (c.cell_type == "markdown" and "solution" in c.metadata.get("tags", [])))]
    return nb


def is_solution(cell):
    return cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])


def is_check(cell):
    return cell.cell_type == "code" and "exercises.check_" in cell.source


def output_text(cell):
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", []))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    make_student.make_student(ROOT / "notebooks", out)
    return out


# ----------------------------------------------------------------------------------------
# No drift
# ----------------------------------------------------------------------------------------
def test_the_same_notebooks():
    committed = sorted(p.name for p in STUDENT.glob("[0-9][0-9]_*.ipynb"))
    assert committed == [p.name for p in SOLUTIONS], (
        f"notebooks/student/ holds {committed}, the solution edition {[p.name for p in SOLUTIONS]}: {RUN_IT}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_the_committed_student_notebook_is_what_make_student_writes(path, regenerated):
    student = STUDENT / path.name
    assert student.exists(), f"notebooks/student/{path.name} is missing: {RUN_IT}"
    fresh, committed = read(regenerated / path.name).cells, read(student).cells
    assert len(fresh) == len(committed), (
        f"notebooks/student/{path.name} has {len(committed)} cells, but {path.name} now gives {len(fresh)}: {RUN_IT}")
    for i, (new, old) in enumerate(zip(fresh, committed)):
        assert (new.cell_type, new.source) == (old.cell_type, old.source), (
            f"notebooks/student/{path.name}, cell {i} ({old.cell_type}) has drifted from notebooks/{path.name}:\n"
            f"--- committed:\n{old.source[:300]}\n--- generated now:\n{new.source[:300]}\n{RUN_IT}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_the_shared_body_has_the_solution_notebooks_outputs(path):
    """The student notebook's code cells up to its first exercise are the solution notebook's,
    and so are their stored outputs: nbval runs that body once, in the solution notebook, and the
    student notebook's own cells after it (the root conftest.py), so that these outputs are
    checked by execution only through this equality."""
    solution, student = read(path).cells, read(STUDENT / path.name).cells
    shared = make_student.shared_code_cells(solution, student)
    first_solution = next(i for i, c in enumerate(c for c in solution if c.cell_type == "code")
                          if make_student.is_solution(c))
    assert shared == first_solution, (
        f"notebooks/student/{path.name} parts from notebooks/{path.name} at code cell {shared}, "
        f"not at its first solution cell ({first_solution}): {RUN_IT}")
    code = zip([c for c in solution if c.cell_type == "code"], [c for c in student if c.cell_type == "code"])
    for number, (ours, theirs) in enumerate(list(code)[:shared]):
        assert (theirs.outputs, theirs.execution_count) == (ours.outputs, ours.execution_count), (
            f"notebooks/student/{path.name}, Cell {number} (shared with the solution notebook) stores other "
            f"outputs than notebooks/{path.name}'s: {RUN_IT}")


def stored_shape(path):
    """What JupyterLab reads of a stored notebook besides its cells' contents: the nbformat
    version, the notebook's metadata, and each kind of cell's fields and cell-metadata keys."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    shapes = {(c["cell_type"], tuple(sorted(c)), tuple(sorted(c.get("metadata", {})))) for c in nb["cells"]}
    return (nb["nbformat"], nb["nbformat_minor"], nb["metadata"]), shapes


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_the_student_notebook_is_stored_as_its_solution_notebook_is(path):
    """The same nbformat version and notebook metadata (kernelspec, language_info), and no cell
    field or cell-metadata key that the solution notebook's cells lack: JupyterLab then opens
    the student notebook as it opens the solution notebook, unmodified, which
    tests/test_browser_jupyterlab.py checks of the solution notebooks."""
    (solution_header, solution_cells), (student_header, student_cells) = (
        stored_shape(path), stored_shape(STUDENT / path.name))
    assert student_header == solution_header, (
        f"notebooks/student/{path.name} is stored with other metadata or nbformat than notebooks/{path.name}: {RUN_IT}")
    assert student_cells <= solution_cells, (
        f"notebooks/student/{path.name} has cells shaped as none in notebooks/{path.name}: "
        f"{sorted(student_cells - solution_cells)}: {RUN_IT}")


# ----------------------------------------------------------------------------------------
# Every solution is stubbed, and none leaks
# ----------------------------------------------------------------------------------------
def body_lines(source):
    """The lines of a solution cell that are its solution: function bodies (without their
    docstrings), or the whole cell when it defines no function; comments and blanks left out."""
    lines = source.split("\n")
    functions = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    if functions:
        picked = []
        for node in functions:
            body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(
                getattr(node.body[0], "value", None), ast.Constant) else node.body
            picked += lines[body[0].lineno - 1:node.end_lineno] if body else []
    else:
        picked = lines
    return {line.strip() for line in picked if line.strip() and not line.strip().startswith("#")}


def assert_stub(source, where):
    """Only comments, and functions whose body is (a docstring and) raise NotImplementedError(...)."""
    tree = ast.parse(source)
    for node in tree.body:
        assert isinstance(node, ast.FunctionDef), f"{where}: code left in a stubbed cell: {ast.unparse(node)[:80]}"
        body = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body
        assert len(body) == 1 and isinstance(body[0], ast.Raise), f"{where}: {node.name} has a body beyond its stub"
        assert ast.unparse(body[0].exc).startswith("NotImplementedError("), (
            f"{where}: {node.name} must raise NotImplementedError")
        message = body[0].exc.args[0].value
        assert message.strip() and "\n" not in message, f"{where}: {node.name} needs a one-line instruction"
    if not tree.body:
        assert source.lstrip().startswith("# Exercise"), f"{where}: a comment-only stub says which exercise it is"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_every_solution_cell_is_stubbed_and_no_solution_leaks(path):
    solution, student = read(path).cells, read(STUDENT / path.name).cells
    assert len(solution) == len(student), f"notebooks/student/{path.name}: {RUN_IT}"
    assert any(map(is_solution, solution)), f"{path.name} has no cell tagged 'solution'"
    shared = {line.strip() for c in solution if c.cell_type == "code" and not is_solution(c)
              for line in c.source.split("\n")}
    student_lines = {line.strip() for c in student if c.cell_type == "code" for line in c.source.split("\n")}
    for i, (sol, stu) in enumerate(zip(solution, student)):
        if not is_solution(sol):
            continue
        where = f"notebooks/student/{path.name}, cell {i}"
        assert is_solution(stu), f"{where}: the stub keeps the 'solution' tag, so that it can be traced"
        assert_stub(stu.source, where)
        leaked = sorted((body_lines(sol.source) & student_lines) - shared)
        assert not leaked, f"{where}: solution lines appear in the student edition: {leaked}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_no_answer_stands_in_untagged_markdown(path):
    """Prose that reads out a solution (under the Solutions heading, or after a solution answered in
    place) would be copied into the student edition unless it is tagged "solution" or "notes"."""
    cells = nbformat.read(path, as_version=4).cells
    leaks = [f"cell {i} ({why}): {cells[i].source[:80]!r}" for i, why in make_student.untagged_answers(cells)]
    assert not leaks, (f"{path.name}: untagged Markdown where an answer goes would leak into the student "
                       f"edition; tag it 'solution' (left out) or 'notes':\n" + "\n".join(leaks))


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_answers_in_words_are_not_in_the_student_edition(path):
    answers = [c.source for c in nbformat.read(path, as_version=4).cells
               if c.cell_type == "markdown" and "solution" in c.metadata.get("tags", [])]
    student = "\n".join(c.source for c in nbformat.read(STUDENT / path.name, as_version=4).cells)
    for answer in answers:
        lines = [line for line in answer.splitlines() if len(line.strip()) > 20]
        assert not any(line in student for line in lines), (
            f"notebooks/student/{path.name} holds the answer {answer[:80]!r}: {RUN_IT}")


def _lesson(*cells):
    """A small solution notebook from (cell_type, source, tags) triples."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    make = {"code": new_code_cell, "markdown": new_markdown_cell}
    return new_notebook(cells=[make[kind](source, metadata={"tags": tags} if tags else {})
                               for kind, source, tags in cells])


#: Lesson 09's leak (a review found it in the student edition): answers in words under the
#: Solutions heading, after each solution cell, untagged.
PLANTED = [("markdown", "# 09 · A lesson", None),
           ("markdown", "## Exercises\n\n**Exercise 1.** Write `f`.", None),
           ("code", "def f(x):\n    return x", ["solution"]),
           ("markdown", "The check tries three cases.", ["notes"]),
           ("code", "exercises.check_f(f)", None),
           ("markdown", "**Exercise 2.** What happens at sigma = 3?", None),
           ("markdown", "### Solutions", None),
           ("code", "print(2)", ["solution"]),
           ("markdown", "#### Exercise 2", None),
           ("markdown", "At sigma = 3 two centres merge into one.", None),
           ("markdown", "The numbers, for the speaker.", ["notes"]),
           ("markdown", "## Further reading\n\n- Bishop (2006), §9.1.", None),
           ("markdown", "For the curious: Arthur and Vassilvitskii.", None)]


def test_answers_in_words_are_found_wherever_they_stand_untagged():
    cells = _lesson(*PLANTED).cells
    assert make_student.untagged_answers(cells) == [(9, "under the Solutions heading")]
    in_place = PLANTED[:3] + [("markdown", "So f returns its argument.", None)] + PLANTED[3:]
    assert make_student.untagged_answers(_lesson(*in_place).cells) == [
        (3, "after a solution cell, before the next check cell, heading or exercise"),
        (10, "under the Solutions heading")]
    tagged = [(kind, source, ["solution"] if source.startswith(("At sigma", "So f")) else tags)
              for kind, source, tags in in_place]
    nb = _lesson(*tagged)
    assert make_student.untagged_answers(nb.cells) == []
    student = "\n".join(c.source for c in make_student.studentise(nb, "09_a_lesson.ipynb").cells)
    assert "two centres merge" not in student and "returns its argument" not in student
    assert "For the curious" in student and "What happens at sigma = 3?" in student


def test_make_student_refuses_to_write_an_edition_that_would_leak(tmp_path, monkeypatch):
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(_lesson(*PLANTED), source / "09_a_lesson.ipynb")
    monkeypatch.setattr(make_student, "SOURCE", source)
    with pytest.raises(SystemExit, match=r"09_a_lesson.ipynb, cell 9: untagged Markdown under the Solutions heading"):
        make_student.main(["--out", str(tmp_path / "student")])
    assert not (tmp_path / "student").exists()


def test_the_stubs_keep_signatures_docstrings_and_the_instruction():
    nb = read(STUDENT / "02_e_step.ipynb")
    stub = next(c.source for c in nb.cells if is_solution(c) and "def my_e_step" in c.source)
    assert stub == ('def my_e_step(X, weights, means, covariances):\n'
                    '    """Responsibilities gamma (n, k), each row summing to 1 (the E-step)."""\n'
                    '    raise NotImplementedError("normalise each row of my_log_joint with log-sum-exp")')


# ----------------------------------------------------------------------------------------
# Every check cell survives, and says the right thing in each edition
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, checks", CHECKS.items(), ids=list(CHECKS))
def test_every_check_cell_survives(name, checks):
    solution, student = read(ROOT / "notebooks" / name).cells, read(STUDENT / name).cells
    pairs = [(sol, stu) for sol, stu in zip(solution, student) if is_check(sol)]
    assert [sol.source for sol, _ in pairs] == [f"exercises.{check}(my_{check[6:]})" for check in checks]
    for sol, stu in pairs:
        assert stu.source == sol.source and not stu.metadata.get("tags"), f"{name}: {sol.source} changed"
        assert "cases pass. Well done!" in output_text(sol), f"{name}: the solution fails its own check"
        assert "not implemented yet: " in output_text(stu), f"notebooks/student/{name}: {stu.source}: {RUN_IT}"
        assert output_text(stu).rstrip().endswith("False")


def without_comment(line):
    return re.sub(r"\s+#.*$", "", line).strip()


#: What would answer an exercise outright: the emlib functions each check compares with.
ANSWERED_BY = {
    "check_sample": ["sample"],
    "check_e_step": ["e_step"],
    "check_log_likelihood": ["log_likelihood"],
    "check_m_step_1d": ["m_step"],
    "check_m_step": ["m_step"],
    "check_em_iteration": ["m_step", "e_step"],
    "check_em_loop": ["fit"],
    "check_match": [],                 # match_components matches on means only: it fails the check
    "check_bic": ["bic"],
    "check_map_update": ["m_step", "map_update"],
}


@pytest.mark.parametrize("name, checks", CHECKS.items(), ids=list(CHECKS))
def test_the_lessons_do_not_hand_over_an_exercise(name, checks):
    """The exercise's text gives no emlib call that answers it, and no lesson cell holds its function's
    body (one shared line, such as `L = np.linalg.cholesky(Sigma)`, is the lesson's own)."""
    cells = read(ROOT / "notebooks" / name).cells
    lesson = [c for c in cells if c.cell_type == "code" and not is_solution(c)]
    for i, cell in enumerate(cells):
        if not (is_solution(cell) and "def my_" in cell.source) or i + 1 >= len(cells) or not is_check(cells[i + 1]):
            continue
        check = cells[i + 1].source.split("(")[0].split(".")[-1]
        text = next(c.source for c in reversed(cells[:i]) if c.cell_type == "markdown")
        given = [f"{f}(" for f in ANSWERED_BY[check] if re.search(rf"(?<!\w){f}\(", text)]   # not my_{f}(
        assert not given, f"{name}: the text of the exercise checked by {check} gives the answer: {given}"
        body = {without_comment(line) for line in body_lines(cell.source)}
        for other in lesson:
            shared = sorted(body & {without_comment(line) for line in other.source.split("\n")} - {""})
            assert len(shared) <= 1, f"{name}: a lesson cell holds the body of the {check} exercise: {shared}"


def test_the_student_edition_says_what_it_asks():
    for path in SOLUTIONS:
        cells = read(STUDENT / path.name).cells
        markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        has_checks = any(is_check(c) for c in cells)
        assert "### Your answers" in markdown and "### Solutions" not in markdown, path.name
        assert ("run the check cell under it" in cells[0].source) == has_checks, path.name


def test_each_check_cell_follows_its_solution():
    for name in CHECKS:
        cells = read(ROOT / "notebooks" / name).cells
        for i, cell in enumerate(cells):
            if is_check(cell):
                assert is_solution(cells[i - 1]) and "def my_" in cells[i - 1].source, (name, i)


# ----------------------------------------------------------------------------------------
# The stubbing rules, on a small notebook
# ----------------------------------------------------------------------------------------
def test_the_rules_on_a_small_notebook():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    solution = {"tags": ["solution"]}
    nb = new_notebook(cells=[
        new_markdown_cell("# 09 · A lesson"),
        new_code_cell("import numpy as np", outputs=[{"output_type": "stream", "name": "stdout", "text": "x"}]),
        new_markdown_cell("## Exercises\n\n**Exercise 1.** Sum.\n\n**Exercise 2.** Write `f`."),
        new_code_cell('def f(x):\n    """The sum."""\n    # Exercise: add the entries up\n    s = x.sum()\n    return s',
                      metadata=solution),
        new_code_cell("check(f)"),
        new_markdown_cell("### Solutions"),
        new_code_cell("print(np.ones(3).sum())", metadata=solution),
        new_code_cell("def g(a,\n      b):\n    return a + b\n\nprint(g(1, 2))", metadata=solution),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "widgets": {"noise": 1}})
    out = make_student.studentise(nb, "09_a_lesson.ipynb")
    sources = [c.source for c in out.cells]
    assert sources[0].startswith("# 09 · A lesson\n\n> **Student edition.**")
    assert "notebooks/09_a_lesson.ipynb" in sources[0]
    assert sources[3] == 'def f(x):\n    """The sum."""\n    raise NotImplementedError("add the entries up")'
    assert sources[4] == "check(f)"
    assert sources[6] == "# Exercise 1: your code here"
    assert sources[7] == 'def g(a,\n      b):\n    raise NotImplementedError("write g, as the exercise above asks")'
    assert all(c.get("outputs", []) == [] for c in out.cells)
    assert [c.metadata for c in out.cells][3] == solution and "widgets" not in out.metadata
    assert nb.cells[3].source.endswith("return s"), "the solution notebook itself is not touched"
    assert sources[5] == "### Your answers" and "run the check" not in sources[0]


def test_the_exercises_answered_in_place_are_skipped_under_the_solutions_heading():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    solution = {"tags": ["solution"]}
    nb = new_notebook(cells=[
        new_markdown_cell("# 10 · Another lesson"),
        new_markdown_cell("## Exercises\n\n**Exercise 1.** Write `f`."),
        new_code_cell("def f(x):\n    return x", metadata=solution),
        new_code_cell("exercises.check_f(f)"),
        new_markdown_cell("**Exercise 2.** Print.\n\n**Exercise 3.** Print again.\n\n**Exercise 4.** Write `g`."),
        new_code_cell("def g(x):\n    return x", metadata=solution),
        new_markdown_cell("### Solutions"),
        new_code_cell("print(2)", metadata=solution),
        new_code_cell("print(3)", metadata=solution),
    ])
    sources = [c.source for c in make_student.studentise(nb, "10_another_lesson.ipynb").cells]
    assert sources[7:] == ["# Exercise 2: your code here", "# Exercise 3: your code here"]
    assert "run the check cell under it" in sources[0]
