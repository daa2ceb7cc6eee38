"""Write the student edition, notebooks/student/NN_*.ipynb, from the solution notebooks.

    python tools/make_student.py                 # notebooks/NN_*.ipynb -> notebooks/student/
    python tools/make_student.py --out DIR       # somewhere else (the drift test uses this)

The notebooks in notebooks/ are the solution edition and the only source: edit those, then run
`make student` (this script, then tools/run_notebooks.py on the student notebooks, which are stored
executed so that nbval proves they run top to bottom).  A test fails when the two editions drift.

Every code cell tagged `solution` (cell metadata "tags": ["solution"]) is stubbed:

- a cell that defines functions keeps each function's signature and docstring, and its body
  becomes `raise NotImplementedError("<instruction>")`; the instruction is the function's first
  comment line (`# Exercise: compute gamma with log-sum-exp` gives "compute gamma with
  log-sum-exp").  Comment lines above the first `def` are kept; any other code is dropped;
- any other solution cell becomes the comment `# Exercise N: your code here`: above the "Solutions"
  heading N is the last "**Exercise N.**" above the cell (an exercise answered in place); under it,
  the exercises not answered in place, in order.

Every Markdown cell tagged `solution` (an answer in words: what a solution's output shows) is left
out, and so are speaker notes (cells tagged `notes`, see tools/slide_metadata.py).  The rule that keeps
answers out of the student edition: an answer is in a cell tagged `solution` (code or Markdown) or in
a speaker note, never in untagged Markdown.  This script refuses to write the edition while an
untagged Markdown cell stands where an answer goes (`untagged_answers`, which tests/test_student_edition.py
applies to every lesson):

- under the "Solutions" heading, up to the next heading of its level or higher (e.g. "## Further
  reading"), every cell is tagged `solution` or `notes`, or is a heading alone;
- after a cell tagged `solution` (an exercise answered in place), every Markdown cell up to the
  next untagged code cell (its check), heading or exercise ("**Exercise N.**") is tagged `solution`
  or `notes`.

The "Solutions" heading becomes "Your answers", and the first Markdown cell gets a note saying which
edition this is (and, in a notebook with check cells, to run the check under each function).
Everything else is copied unchanged, so the check cells (`exercises.check_e_step(my_e_step)`)
survive and report "not implemented yet" until the learner fills in the function.  Outputs are
cleared (run_notebooks.py fills them in) and the cells keep only their tags.
"""
import argparse
import ast
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks"
TARGET = SOURCE / "student"
TAG = "solution"
NOTES_TAG = "notes"
SOLUTIONS_HEADING = re.compile(r"^(#+\s*)Solutions?\b", re.M)
ANSWERS_HEADING = r"\1Your answers"
CHECK = "exercises.check_"
EXERCISE = re.compile(r"\*\*Exercise (\d+)\.\*\*")
INSTRUCTION = re.compile(r"^\s*#\s*(?:Exercise\b[^:]*:\s*)?(.*\S)")
HEADING = re.compile(r"^(#{1,6})[ \t]+\S")


def tagged(cell, tag):
    return tag in cell.metadata.get("tags", [])


def is_solution(cell):
    """A code cell tagged `solution`: stubbed in the student edition."""
    return cell.cell_type == "code" and tagged(cell, TAG)


def is_answer_in_words(cell):
    """A Markdown cell tagged `solution`: left out of the student edition."""
    return cell.cell_type == "markdown" and tagged(cell, TAG)


def _heading_only(cell):
    lines = [line for line in cell.source.splitlines() if line.strip()]
    return bool(lines) and all(HEADING.match(line) for line in lines)


def untagged_answers(cells):
    """The Markdown cells that stand where an answer goes but are tagged neither `solution` nor
    `notes`, and so would be copied into the student edition: [(index, why), ...].

    Under the Solutions heading (up to the next heading of its level or higher) every cell but a
    heading alone is an answer; after a cell tagged `solution`, so is every Markdown cell up to the
    next untagged code cell, heading or "**Exercise N.**".
    """
    found, solutions_level, after_solution = [], None, False
    for i, cell in enumerate(cells):
        kept_back = tagged(cell, TAG) or tagged(cell, NOTES_TAG)
        level = _heading_level(cell) if cell.cell_type == "markdown" else None
        if solutions_level is not None and level is not None and level <= solutions_level \
                and not SOLUTIONS_HEADING.search(cell.source):
            solutions_level = None                                   # e.g. "## Further reading"
        if cell.cell_type == "markdown" and SOLUTIONS_HEADING.search(cell.source):
            solutions_level = len(SOLUTIONS_HEADING.search(cell.source).group(1).strip())
            after_solution = False
            continue
        if cell.cell_type == "markdown" and not kept_back:
            if solutions_level is not None and not _heading_only(cell):
                found.append((i, "under the Solutions heading"))
            elif after_solution and level is None and not EXERCISE.search(cell.source):
                found.append((i, "after a solution cell, before the next check cell, heading or exercise"))
        if tagged(cell, TAG):
            after_solution = True
        elif (cell.cell_type == "code" or level is not None or EXERCISE.search(cell.source)) \
                and not tagged(cell, NOTES_TAG):
            after_solution = False
    return found


def _heading_level(cell):
    match = HEADING.match(cell.source.lstrip("\n"))
    return len(match.group(1)) if match else None


def _comment_text(line):
    """The instruction in a comment line ("# Exercise: add them up" gives "add them up"), else None."""
    match = INSTRUCTION.match(line)
    return match.group(1) if match else None


def stub_functions(source):
    """The stub of a cell that defines functions, or None when it defines none (or does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    functions = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not functions:
        return None
    lines = source.split("\n")
    cell_instruction = next((t for t in map(_comment_text, lines) if t), None)
    first = functions[0].decorator_list[0].lineno if functions[0].decorator_list else functions[0].lineno
    leading = [line for line in lines[:first - 1] if line.lstrip().startswith("#")]
    stubs = []
    for node in functions:
        start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        body = node.body
        signature = f"def {node.name}({ast.unparse(node.args)}):"
        if ast.get_docstring(node, clean=False) is not None:
            header = lines[start - 1:body[0].end_lineno]               # signature and docstring
        elif body[0].lineno > node.lineno:
            end = body[0].lineno - 1                                   # signature, without comments below it
            while end > node.lineno and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
                end -= 1
            header = lines[start - 1:end]
        else:                                                          # def f(x): return x, on one line
            header = [signature]
        own = next((t for t in map(_comment_text, lines[len(header) + start - 1:node.end_lineno]) if t), None)
        instruction = own or cell_instruction or f"write {node.name}, as the exercise above asks"
        indent = " " * (body[0].col_offset if body[0].lineno > node.lineno else 4)
        message = json.dumps(instruction, ensure_ascii=False)            # a valid Python string literal
        stub = "\n".join(header + [f"{indent}raise NotImplementedError({message})"])
        try:
            ast.parse(stub)
        except SyntaxError:                                            # e.g. a docstring on the def line
            stub = f"{signature}\n    raise NotImplementedError({message})"
        stubs.append(stub)
    return "\n".join(leading + ["\n\n".join(stubs)])


NOTE = "\n\n> **Student edition.** {what} The worked solutions are in the solution edition, `notebooks/{name}`, " \
       "when your instructor hands it out."
WITH_CHECKS = ("Write each exercise's function where it says `raise NotImplementedError(...)`, then run the "
               "check cell under it to see how you are doing; answer the other exercises under \"Your answers\".")
WITHOUT_CHECKS = "Answer the exercises in the code cells under \"Your answers\"."


def exercise_numbers(cells):
    """{index of a solution cell: the exercise it answers, or None}: above the Solutions heading, the
    last "**Exercise N.**" before the cell (an exercise answered in place); under it, in order, the
    exercises not answered in place."""
    numbers, mentioned, under, last, solutions = {}, [], [], None, False
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            solutions = solutions or bool(SOLUTIONS_HEADING.search(cell.source))
            found = [int(n) for n in EXERCISE.findall(cell.source)]
            mentioned += [n for n in found if n not in mentioned]
            last = found[-1] if found else last
        elif is_solution(cell):
            if solutions:
                under.append(i)
            else:
                numbers[i] = last
    answered = set(numbers.values())
    numbers.update(zip(under, [n for n in mentioned if n not in answered]))
    return numbers


def studentise(nb, name="the solution notebook"):
    """A new notebook: the solution cells stubbed, the rest copied, outputs cleared, metadata lean.

    name: the solution notebook's file name, quoted in the note added to the first Markdown cell.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))       # a deep copy
    nb.cells = [c for c in nb.cells if not (tagged(c, NOTES_TAG) or is_answer_in_words(c))]   # kept back
    numbers = exercise_numbers(nb.cells)
    checks = any(c.cell_type == "code" and CHECK in c.source for c in nb.cells)
    first_markdown = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first_markdown is not None:
        first_markdown.source = first_markdown.source.rstrip("\n") + NOTE.format(
            what=WITH_CHECKS if checks else WITHOUT_CHECKS, name=name)
    for i, cell in enumerate(nb.cells):
        cell.pop("id", None)
        cell.metadata = {"tags": cell.metadata["tags"]} if cell.metadata.get("tags") else {}
        if cell.cell_type == "markdown":
            cell.source = SOLUTIONS_HEADING.sub(ANSWERS_HEADING, cell.source)
            continue
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if not is_solution(cell):
            continue
        number = numbers.get(i)
        stub = stub_functions(cell.source)
        cell.source = stub if stub is not None else (
            f"# Exercise {number}: your code here" if number else "# Exercise: your code here")
    nb.metadata = {"kernelspec": nb.metadata.get("kernelspec", {}), "language_info": {"name": "python"}}
    return nb


def shared_code_cells(solution_cells, student_cells):
    """How many code cells the student edition starts with that are the solution notebook's own.

    studentise copies every code cell up to the first solution cell unchanged, so the editions
    share the lesson's body and part ways at its first exercise.  Counts the leading code cells
    with the same source in both (cells as stored: dicts or NotebookNodes; Markdown is skipped).
    """
    solution = [c for c in solution_cells if c["cell_type"] == "code"]
    student = [c for c in student_cells if c["cell_type"] == "code"]
    return next((i for i, (a, b) in enumerate(zip(solution, student)) if a["source"] != b["source"]),
                min(len(solution), len(student)))


def solution_notebooks(source=SOURCE):
    return sorted(Path(source).glob("[0-9][0-9]_*.ipynb"))


def make_student(source=SOURCE, target=TARGET):
    """Write target/NN_*.ipynb for every source/NN_*.ipynb (not executed).  Returns the paths written."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in solution_notebooks(source):
        out = target / path.name
        nbformat.write(studentise(nbformat.read(path, as_version=4), path.name), out)
        written.append(out)
    stale = sorted(set(target.glob("[0-9][0-9]_*.ipynb")) - set(written))
    for path in stale:                                          # a solution notebook was renamed or removed
        path.unlink()
    return written


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(TARGET), help="where to write the student notebooks")
    args = parser.parse_args(argv)
    leaks = [f"  {path.name}, cell {i}: untagged Markdown {why}"
             for path in solution_notebooks(SOURCE) for i, why in untagged_answers(nbformat.read(path, 4).cells)]
    if leaks:
        sys.exit("make_student: these cells would copy an answer into the student edition; tag each "
                 "'solution' (left out) or 'notes' (a speaker note):\n" + "\n".join(leaks))
    for path in make_student(SOURCE, args.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main(sys.argv[1:])
