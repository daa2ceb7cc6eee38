"""INSTRUCTORS.md and the course map (emlib.course) agree with the notebooks.

- every lesson notebook, notebooks/NN_*.ipynb, has exactly one section in the guide's
  "Lesson by lesson" and a row in emlib.course.LESSONS (a node of the course map), and every
  section and row has its notebook;
- the `emlib` functions a section lists are exactly those the notebook's code cells call
  (`module.function(` on an emlib module, or a name imported from one), and the checks it names
  exist in emlib.exercises and are exactly the ones the notebook calls;
- a lesson builds only on earlier lessons, and the guide says so as the course data does.
- each lesson's times follow the guide's rule: its slides before the exercises at a minute and
  a half each, its exercises at 15 minutes with a check and 10 without.
"""
import ast
import re
from pathlib import Path

import pytest
from helpers import cells, source

import emlib.exercises
from emlib import course

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "INSTRUCTORS.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSONS_HEADING = "## Lesson by lesson"
SECTION = re.compile(r"^### (\d\d) · ", re.MULTILINE)
FIELD = re.compile(r"^\*\*(?P<name>[^*]+):\*\* *(?P<value>.*)$", re.MULTILINE)
NAME = re.compile(r"`([\w.]+)`")


# ----------------------------------------------------------------------------------------
# Reading the guide
# ----------------------------------------------------------------------------------------
def block(text, heading):
    """The text under `heading` (a level-2 heading), up to the next level-2 heading."""
    start = text.find("\n" + heading + "\n")
    assert start >= 0, f"INSTRUCTORS.md has no heading {heading!r}"
    end = text.find("\n## ", start + len(heading) + 2)
    return text[start:] if end < 0 else text[start:end]


def sections(text):
    """[(number, section text)] of the ### NN · sections of a block, in order."""
    starts = list(SECTION.finditer(text))
    ends = [m.start() for m in starts[1:]] + [len(text)]
    return [(m.group(1), text[m.start():end]) for m, end in zip(starts, ends)]


def fields(section):
    """The **Name:** value lines of a section, as {name: value}."""
    found = {}
    for m in FIELD.finditer(section):
        assert m["name"] not in found, f"two **{m['name']}:** lines in one section"
        found[m["name"]] = m["value"]
    return found


FROM_IMPORT = re.compile(r"`from ([\w.]+) import ([\w, ]+)`")


def names(value):
    """The `backticked` names of a field, as a set ("none" gives the empty set); a backticked
    `from module import a, b` gives module.a and module.b (for a module whose name a function
    shadows, as the function emlib.kmeans shadows the module emlib.kmeans)."""
    imported = {f"{module}.{name.strip()}" for module, listed in FROM_IMPORT.findall(value)
                for name in listed.split(",")}
    return imported | set(NAME.findall(FROM_IMPORT.sub("", value)))


def guide_sections(heading=LESSONS_HEADING):
    """[(number, section text)] of the guide's block under `heading`."""
    return sections(block(GUIDE.read_text(encoding="utf-8"), heading))


# ----------------------------------------------------------------------------------------
# Reading a notebook's code
# ----------------------------------------------------------------------------------------
def code_cells(path):
    return [source(c) for c in cells(path) if c["cell_type"] == "code"]


def _dotted(node):
    """"a.b.c" for the expression a.b.c, None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def emlib_calls(sources):
    """The fully qualified emlib names the code calls, such as emlib.fit, emlib.data.seed_data,
    emlib.kmeans.assign (through `from emlib.kmeans import assign`)."""
    trees = [ast.parse("\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))))
             for src in sources]
    bound = {}                                    # local name -> fully qualified emlib name
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "emlib":
                        bound[alias.asname or alias.name.split(".")[0]] = alias.asname and alias.name or "emlib"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "emlib":
                for alias in node.names:
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    calls = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (name := _dotted(node.func)):
                head, _, rest = name.partition(".")
                if head in bound:
                    calls.add(bound[head] + ("." + rest if rest else ""))
    return calls


def notebook_of(number):
    matches = [p for p in NOTEBOOKS if p.name.startswith(number + "_")]
    assert len(matches) == 1, f"{len(matches)} notebooks numbered {number}"
    return matches[0]


def uses(number):
    """(emlib functions but the checks, checks) that lesson `number`'s code cells call."""
    calls = emlib_calls(code_cells(notebook_of(number)))
    checks = {c for c in calls if c.startswith("emlib.exercises.")}
    return calls - checks, {c.rsplit(".", 1)[1] for c in checks}


# ----------------------------------------------------------------------------------------
# One notebook, one section, one node
# ----------------------------------------------------------------------------------------
def numbers_on_disk():
    return [p.name[:2] for p in NOTEBOOKS]


def test_every_notebook_has_exactly_one_section_and_every_section_a_notebook():
    in_guide = [number for number, _ in guide_sections()]
    duplicated = sorted({n for n in in_guide if in_guide.count(n) > 1})
    assert not duplicated, f"INSTRUCTORS.md has more than one section for lesson(s) {duplicated}"
    assert sorted(in_guide) == in_guide, f"the sections of {LESSONS_HEADING!r} are out of order: {in_guide}"
    missing = sorted(set(numbers_on_disk()) - set(in_guide))
    orphans = sorted(set(in_guide) - set(numbers_on_disk()))
    assert not missing, f"notebook(s) {missing} have no section under {LESSONS_HEADING!r} in INSTRUCTORS.md"
    assert not orphans, f"INSTRUCTORS.md has sections for lesson(s) {orphans}, which have no notebook"


def test_every_notebook_is_a_node_of_the_course_map_and_every_node_a_notebook():
    stems = [item.stem for item in course.LESSONS]
    on_disk = [p.stem for p in NOTEBOOKS]
    assert stems == on_disk, ("emlib.course.LESSONS must list the notebooks of notebooks/, in order: "
                              f"missing {sorted(set(on_disk) - set(stems))}, without a notebook "
                              f"{sorted(set(stems) - set(on_disk))} (then `make figures`)")


def test_each_section_names_its_notebook():
    for number, section in guide_sections():
        assert f"`notebooks/{course.lesson(number).stem}.ipynb`" in fields(section).get("Notebook", ""), \
            f"lesson {number}: its **Notebook:** line does not name notebooks/{course.lesson(number).stem}.ipynb"


# ----------------------------------------------------------------------------------------
# What each section says
# ----------------------------------------------------------------------------------------
SECTIONS = guide_sections() if GUIDE.exists() else []


@pytest.mark.parametrize("number, section", SECTIONS, ids=[n for n, _ in SECTIONS])
def test_the_emlib_functions_listed_are_those_the_notebook_calls(number, section):
    listed = names(fields(section).get("emlib", ""))
    called, _ = uses(number)
    assert listed == called, (f"lesson {number}: the guide lists emlib functions the notebook does not call: "
                              f"{sorted(listed - called)}; and misses ones it calls: {sorted(called - listed)}")


@pytest.mark.parametrize("number, section", SECTIONS, ids=[n for n, _ in SECTIONS])
def test_the_checks_named_exist_and_are_those_the_notebook_calls(number, section):
    named = names(fields(section).get("Checks", ""))
    unknown = sorted(c for c in named if not callable(getattr(emlib.exercises, c, None)))
    assert not unknown, f"lesson {number}: emlib.exercises has no {unknown}"
    _, called = uses(number)
    assert named == called, (f"lesson {number}: the guide names checks the notebook does not call: "
                             f"{sorted(named - called)}; and misses ones it calls: {sorted(called - named)}")


def test_a_lesson_builds_only_on_earlier_lessons():
    order = [item.number for item in course.LESSONS]
    assert order == sorted(order), f"lessons out of order: {order}"
    assert len(set(order)) == len(order), f"a lesson number appears twice: {order}"
    for item in course.LESSONS:
        wrong = [n for n in item.builds_on if n >= item.number or n not in order]
        assert not wrong, f"lesson {item.number} builds on {wrong}: a lesson builds only on earlier lessons"
        assert item.part in course.PARTS, f"lesson {item.number}: no part {item.part!r}"


def test_the_guide_says_what_each_lesson_builds_on_as_the_course_data_does():
    data = {item.number: item for item in course.LESSONS}
    for number, section in guide_sections():
        said = fields(section).get("Builds on", "")
        listed = re.findall(r"\b\d\d\b", said)
        assert tuple(listed) == data[number].builds_on, \
            f"lesson {number}: the guide says it builds on {listed}, emlib.course on {list(data[number].builds_on)}"


# ----------------------------------------------------------------------------------------
# The parser itself
# ----------------------------------------------------------------------------------------
def test_emlib_calls_resolves_every_way_of_importing():
    code = ["import emlib\nfrom emlib import data, exercises as ex\nfrom emlib.kmeans import assign\n"
            "import emlib.seed as seed_module\nimport numpy as np",
            "%matplotlib inline\nX, _ = data.seed_data()\nemlib.fit(X, 3)\nemlib.seed.em_seed(X)\n"
            "assign(X, X)\nex.check_bic(f)\nseed_module.run_seed()\nnp.log(2)\nresult.params.means.sum()"]
    assert emlib_calls(code) == {"emlib.data.seed_data", "emlib.fit", "emlib.seed.em_seed",
                                 "emlib.kmeans.assign", "emlib.exercises.check_bic", "emlib.seed.run_seed"}


def test_names_reads_backticked_names_and_from_imports():
    value = "`emlib.kmeans` (the function); from the module: `from emlib.kmeans import assign, inertia`, `emlib.fit`"
    assert names(value) == {"emlib.kmeans", "emlib.kmeans.assign", "emlib.kmeans.inertia", "emlib.fit"}
    assert names("none") == set()


# ----------------------------------------------------------------------------------------
# Times follow the guide's own rule
# ----------------------------------------------------------------------------------------
#: The guide's rule (its "Times" paragraph): minutes a slide before the exercises, minutes a
#: checked and an unchecked exercise; each lecture time rounded to 5 minutes.
MINUTES_A_SLIDE, CHECKED, UNCHECKED = 1.5, 15, 10
TIME = re.compile(r"lecture (\d+) min\b.*\blab (\d+) min")
EXERCISE = re.compile(r"(?:^|[,;.] )(\d+) \(")


def slides_before_exercises(path):
    """The slides and subslides of a notebook before its "## Exercises" heading."""
    count = 0
    for cell in cells(path):
        if cell["cell_type"] == "markdown" and source(cell).startswith("## Exercises"):
            return count
        count += cell.get("metadata", {}).get("slideshow", {}).get("slide_type") in ("slide", "subslide")
    raise AssertionError(f"{path.name} has no '## Exercises' heading")


def round5(minutes):
    return 5 * int(minutes / 5 + 0.5)


@pytest.mark.parametrize("number, section", SECTIONS, ids=[n for n, _ in SECTIONS])
def test_the_times_follow_the_guides_rule(number, section):
    said = fields(section)
    lecture, lab = map(int, TIME.search(said["Time"]).groups())
    slides = slides_before_exercises(notebook_of(number))
    exercises = len(EXERCISE.findall(said["Exercises"]))
    checked = len(names(said.get("Checks", "")))
    assert exercises >= checked > 0 or checked == 0, f"lesson {number}: {exercises} exercises, {checked} checks"
    assert lecture == round5(MINUTES_A_SLIDE * slides), (
        f"lesson {number}: {slides} slides before the exercises make {round5(MINUTES_A_SLIDE * slides)} min, "
        f"the guide says {lecture}")
    assert lab == CHECKED * checked + UNCHECKED * (exercises - checked), (
        f"lesson {number}: {checked} checked and {exercises - checked} other exercises make "
        f"{CHECKED * checked + UNCHECKED * (exercises - checked)} min of lab, the guide says {lab}")
