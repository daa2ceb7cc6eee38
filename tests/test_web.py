"""The offline HTML pages and slides (`make html`, `make slides`), each in two editions (student,
instructor): one page per lesson, an index that says which edition it is, nothing loaded from
another host, and no solution and no speaker note in the student edition.

All four folders are built once per test run (the web_editions fixture of conftest.py, shared
with the browser tests, tests/test_browser_*.py), from the stored notebooks (nothing is executed), into a temporary
folder; MathJax and reveal.js come from build/web/node_modules (`npm ci` on first use).
What a page loads is read from its HTML: <script src>, <link href>, <img src>, and url(...) and
@import in its style sheets, following the local style sheets it links to; every address must be
relative (or data:), and the file it names must be there.  What the scripts load at run time is
checked in a real browser by tests/test_browser_*.py.

Solutions are found as tests/test_student_edition.py finds them (body_lines: the lines of each
cell tagged `solution` that are its solution), and looked for in the code and text of every
student page.
"""
import functools
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from helpers import LESSONS, STUDENT_LESSONS, cells, from_another_host, load_tool, source
from test_student_edition import body_lines, is_solution, read

ROOT = Path(__file__).resolve().parents[1]
SUFFIX = {"html": ".html", "slides": ".slides.html"}
EDITIONS = {"instructor": LESSONS, "student": STUDENT_LESSONS}
FOLDERS = [(kind, edition) for kind in SUFFIX for edition in EDITIONS]
FOLDER_IDS = [f"{kind}-{edition}" for kind, edition in FOLDERS]

pytestmark = pytest.mark.web


# ----------------------------------------------------------------------------------------
# Reading pages
# ----------------------------------------------------------------------------------------
class Page(HTMLParser):
    """The addresses a page loads, its links, its inline style sheets and scripts."""

    LOADS = {("script", "src"), ("link", "href"), ("img", "src"), ("source", "src"),
             ("iframe", "src"), ("embed", "src"), ("object", "data"), ("video", "src"),
             ("audio", "src")}

    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.loads, self.links, self.styles, self.scripts = [], [], [], []
        self._in, self._text, self._in_link = None, [], False
        self.feed(Path(path).read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for t, attr in self.LOADS:
            if tag == t and attrs.get(attr):
                self.loads.append(attrs[attr])
        if tag == "a" and attrs.get("href"):
            self.links.append([attrs["href"], ""])
            self._in_link = True
        if "style" in attrs:
            self.styles.append(attrs["style"])
        if tag in ("style", "script"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_link = False
        if tag == self._in:
            (self.styles if tag == "style" else self.scripts).append("".join(self._text))
            self._in, self._text = None, []

    def handle_data(self, data):
        if self._in:
            self._text.append(data)
        elif self._in_link:
            self.links[-1][1] += data


@functools.lru_cache(maxsize=None)
def _parsed(parser, path, mtime_ns, size):
    return parser(path)


def parsed(parser, path):
    """parser(path) (Page or CodeText), parsed once while the file is unchanged: the tests read
    each of the 56 pages several times, and parsing one takes tens of milliseconds."""
    path = Path(path).resolve()
    stat = path.stat()
    return _parsed(parser, path, stat.st_mtime_ns, stat.st_size)


def css_loads(css):
    """The addresses a style sheet loads: url(...) and @import, comments left out."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    urls = re.findall(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""", css)
    urls += re.findall(r"""@import\s+['"]([^'"]+)['"]""", css)
    return urls


def everything_loaded(page_path):
    """(address, file it names or None, where it was found) for a page and its local CSS.

    The file is None unless the address is relative (no scheme, no host): data:, file: and
    outside addresses name nothing in the folder.
    """
    page = parsed(Page, page_path)
    found = [(a, page_path) for a in page.loads]
    found += [(a, page_path) for css in page.styles for a in css_loads(css)]
    seen, result = set(), []
    while found:
        address, source_file = found.pop()
        parts, target = urlsplit(address), None
        if not parts.scheme and not parts.netloc:
            target = (source_file.parent / unquote(parts.path)).resolve()
            if target.suffix == ".css" and target.is_file() and target not in seen:
                seen.add(target)
                found += [(a, target) for a in css_loads(target.read_text(encoding="utf-8"))]
        result.append((address, target, source_file))
    return result


def outside_loads(folder):
    """What the pages of `folder` (and their style sheets) load from another host, and the
    addresses their inline scripts name (a dynamic import or a widget manager would load more
    at run time)."""
    outside = []
    for page in sorted(Path(folder).glob("*.html")):
        outside += [f"{where.name}: {address}" for address, _, where in everything_loaded(page)
                    if from_another_host(address)]
        outside += [f"{page.name}: a script names {url}" for script in parsed(Page, page).scripts
                    for url in re.findall(r"\w+://[^\s'\"]+", script)]
    return outside


def not_in_folder(folder):
    """What the pages of `folder` load from this machine but not from a file in `folder`."""
    folder = Path(folder).resolve()
    missing = []
    for page in sorted(folder.glob("*.html")):
        missing += [f"{where.relative_to(folder)}: {address}"
                    for address, target, where in everything_loaded(page)
                    if not address.startswith("data:") and not from_another_host(address)
                    and not (target and target.is_file() and target.is_relative_to(folder))]
    return missing


def first_heading(path):
    """The lesson's title as the index should show it: its first Markdown heading."""
    for cell in cells(path):
        if cell["cell_type"] == "markdown":
            for line in source(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip().replace("`", "")
    return path.stem


# ----------------------------------------------------------------------------------------
# The tests
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, edition", FOLDERS, ids=FOLDER_IDS)
def test_one_page_per_lesson(web_editions, kind, edition):
    folder = web_editions[kind][edition]
    pages = sorted(p.name for p in folder.glob("*.html") if p.name != "index.html")
    assert pages == [nb.stem + SUFFIX[kind] for nb in EDITIONS[edition]]
    for name in pages:
        assert (folder / name).stat().st_size > 10_000, name


@pytest.mark.parametrize("kind, edition", FOLDERS, ids=FOLDER_IDS)
def test_index_says_which_edition_and_links_every_lesson_in_order_by_its_title(web_editions, kind, edition):
    index_file = web_editions[kind][edition] / "index.html"
    index = parsed(Page, index_file)
    links = [(href, " ".join(text.split())) for href, text in index.links]
    assert links == [(nb.stem + SUFFIX[kind], first_heading(nb)) for nb in EDITIONS[edition]]
    text = index_file.read_text(encoding="utf-8")
    assert f"{edition.capitalize()} edition:" in text and f"{edition} edition</title>" in text
    assert "<ol" not in text, "the titles carry the lessons' numbers: a numbered list numbers them twice"
    assert ("press S" in text or "S opens the speaker view" in text) == (edition == "instructor" and kind == "slides")


@pytest.mark.parametrize("kind, edition", FOLDERS, ids=FOLDER_IDS)
def test_pages_load_nothing_from_another_host(web_editions, kind, edition):
    assert not outside_loads(web_editions[kind][edition])


@pytest.mark.parametrize("kind, edition", FOLDERS, ids=FOLDER_IDS)
def test_everything_a_page_loads_is_in_the_folder(web_editions, kind, edition):
    folder = web_editions[kind][edition]
    assert not not_in_folder(folder)
    assert (folder / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (folder / "_static" / "jupyterlab" / "index.css").is_file()


@pytest.mark.parametrize("kind", SUFFIX)
def test_the_student_folder_links_only_to_itself(web_editions, kind):
    """An instructor copies the student folder alone to a class machine: its links go to its own
    pages (or to other sites, such as a reference), never out of the folder."""
    folder = web_editions[kind]["student"].resolve()
    outside = []
    for page in sorted(folder.glob("*.html")):
        for href, _ in parsed(Page, page).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path:        # another site, or #anchor
                continue
            if not (page.parent / unquote(parts.path)).resolve().is_relative_to(folder):
                outside.append(f"{page.name}: {href}")
    assert not outside
    assert "instructor" not in (folder / "index.html").read_text(encoding="utf-8")


class CodeText(HTMLParser):
    """The lines of a page's code and text outputs: the text of its <pre> elements, which hold
    both the highlighted code and the outputs (syntax highlighting's tags left out); and whether
    it holds speaker notes (a cell tagged "notes", or reveal.js's <aside class="notes">)."""

    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.depth, self.text, self.notes = 0, [], False
        self.feed(Path(path).read_text(encoding="utf-8"))
        self.lines = {line.strip() for line in "".join(self.text).splitlines() if line.strip()}

    def handle_starttag(self, tag, attrs):
        self.depth += tag == "pre"
        classes = (dict(attrs).get("class") or "").split()
        self.notes |= "celltag_notes" in classes or (tag == "aside" and "notes" in classes)

    def handle_endtag(self, tag):
        if tag == "pre":
            self.depth -= 1
            self.text.append("\n")

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def solution_lines(path):
    """The lines of the solution notebook at `path` that are solutions (and appear in no other
    code cell of it), as tests/test_student_edition.py finds them."""
    code = [c for c in read(path).cells if c.cell_type == "code"]
    shared = {line.strip() for c in code if not is_solution(c) for line in c.source.split("\n")}
    return set().union(*(body_lines(c.source) for c in code if is_solution(c))) - shared


def leaks(page, solution_notebook):
    """The solution lines of `solution_notebook` that a page's code or outputs contain, and
    whether it holds speaker notes."""
    code = parsed(CodeText, page)
    return sorted(solution_lines(solution_notebook) & code.lines) + (["speaker notes"] if code.notes else [])


@pytest.mark.parametrize("kind", SUFFIX)
def test_no_solution_and_no_speaker_note_in_the_student_edition(web_editions, kind):
    leaked = {}
    for nb in LESSONS:
        found = leaks(web_editions[kind]["student"] / (nb.stem + SUFFIX[kind]), nb)
        if found:
            leaked[nb.stem] = found
    assert not leaked, f"the student edition's {kind} show solutions: {leaked}"
    # and the check can see them: the instructor edition shows every one of them
    for nb in LESSONS:
        instructor_page = web_editions[kind]["instructor"] / (nb.stem + SUFFIX[kind])
        assert solution_lines(nb) <= parsed(CodeText, instructor_page).lines


def test_a_leaked_solution_is_found(tmp_path):
    """The check above on a student notebook with one stub replaced by its solution, and a
    speaker note: both are found, in the HTML page and in the slides."""
    name = "02_e_step.ipynb"
    solution, student = read(ROOT / "notebooks" / name), read(ROOT / "notebooks" / "student" / name)
    i = next(i for i, c in enumerate(solution.cells) if is_solution(c) and "def my_e_step" in c.source)
    student.cells[i].source = solution.cells[i].source
    student.cells.insert(1, nbformat.v4.new_markdown_cell(
        "Ask the class first.", metadata={"tags": ["notes"], "slideshow": {"slide_type": "notes"}}))
    nbformat.write(student, tmp_path / name)
    build_web = load_tool("build_web")
    for kind in SUFFIX:
        build_web.build(kind, tmp_path / kind, [tmp_path / name], edition="student")
        found = leaks(tmp_path / kind / f"02_e_step{SUFFIX[kind]}", ROOT / "notebooks" / name)
        assert "speaker notes" in found and len(found) > 1, (kind, found)
        assert set(found) - {"speaker notes"} <= body_lines(solution.cells[i].source)


def test_an_image_the_markdown_shows_is_copied_into_the_folder(tmp_path):
    """A lesson may show a file from figures/ (`![...](../figures/em_animation_large.gif)`): the
    page shows a copy in the folder; a file that is not there stops the build, naming it."""
    build_web = load_tool("build_web")
    lesson = tmp_path / "notebooks" / "09_a_lesson.ipynb"
    lesson.parent.mkdir()
    (tmp_path / "figures").mkdir()
    shutil.copy(ROOT / "figures" / "em_animation_large.gif", tmp_path / "figures")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 09 · A lesson\n\n![EM converging](../figures/em_animation_large.gif)")])
    nbformat.write(nb, lesson)
    for kind in SUFFIX:
        build_web.build(kind, tmp_path / kind, [lesson])
        assert "_static/images/em_animation_large.gif" in parsed(Page, tmp_path / kind / f"09_a_lesson{SUFFIX[kind]}").loads
        assert not not_in_folder(tmp_path / kind)
    nb.cells[0].source += "\n\n![gone](../figures/no_such_figure.png)"
    nbformat.write(nb, lesson)
    with pytest.raises(RuntimeError, match="no_such_figure.png"):
        build_web.build("html", tmp_path / "again", [lesson])


def test_the_checks_find_what_a_page_should_not_load(tmp_path):
    """The two checks above on a page that breaks every rule: each address is reported."""
    (tmp_path / "local.css").write_text("@import 'https://cdn.example/b.css';\n"
                                        "p { background: url(missing.png); }")
    (tmp_path / "here.js").write_text("")
    (tmp_path / "page.html").write_text(
        '<script src="https://cdn.example/x.js"></script>'
        '<script src="here.js"></script>'
        '<link rel="stylesheet" href="//cdn.example/a.css">'
        '<link rel="stylesheet" href="local.css">'
        '<img src="data:image/png;base64,AAAA">'
        '<img src="file:///usr/share/javascript/mathjax/MathJax.js">'
        '<style>/* https://in.a.comment/ */ div { background: url("https://cdn.example/c.png"); }</style>'
        '<script>import("https://cdn.example/d.js")</script>', encoding="utf-8")
    assert sorted(outside_loads(tmp_path)) == [
        "local.css: https://cdn.example/b.css",
        "page.html: //cdn.example/a.css",
        "page.html: a script names https://cdn.example/d.js",
        "page.html: https://cdn.example/c.png",
        "page.html: https://cdn.example/x.js"]
    assert sorted(not_in_folder(tmp_path)) == [
        "local.css: missing.png", "page.html: file:///usr/share/javascript/mathjax/MathJax.js"]


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_pages_load_mathjax_and_the_slides_reveal_js(web_editions, edition):
    for nb in EDITIONS[edition]:
        page = web_editions["html"][edition] / f"{nb.stem}.html"
        assert "_static/mathjax/tex-chtml.js" in parsed(Page, page).loads, page.name
        page = web_editions["slides"][edition] / f"{nb.stem}.slides.html"
        deck = parsed(Page, page)
        assert {"_static/reveal.js/dist/reveal.js", "_static/reveal.js/dist/reveal.css",
                "_static/mathjax/tex-chtml.js"} <= set(deck.loads), page.name
        assert any("Reveal.initialize" in s for s in deck.scripts), page.name
        assert "<section" in page.read_text(encoding="utf-8"), page.name
