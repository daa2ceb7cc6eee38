"""The offline HTML edition and slides (`make html`, `make slides`): one page per lesson, an index,
and nothing loaded from another host.

Both are built once per test run (the web_editions fixture of conftest.py, shared with
tests/test_browser.py), from the stored notebooks (nothing is executed), into a temporary folder;
MathJax and reveal.js come from build/web/node_modules (`npm ci` on first use).
What a page loads is read from its HTML: <script src>, <link href>, <img src>, and url(...) and
@import in its style sheets, following the local style sheets it links to; every address must be
relative (or data:), and the file it names must be there.  What the scripts load at run time is
checked in a real browser by tests/test_browser.py.
"""
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SUFFIX = {"html": ".html", "slides": ".slides.html"}

pytestmark = pytest.mark.web


@pytest.fixture(scope="module")
def built(web_editions):
    """{"html": folder, "slides": folder}, each built from every notebook (see conftest.py)."""
    return web_editions


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


def css_loads(css):
    """The addresses a style sheet loads: url(...) and @import, comments left out."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    urls = re.findall(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""", css)
    urls += re.findall(r"""@import\s+['"]([^'"]+)['"]""", css)
    return urls


def is_local(address):
    parts = urlsplit(address)
    return parts.scheme in ("", "data") and not address.startswith("//")


def everything_loaded(page_path):
    """(address, file it resolves to or None, where it was found) for a page and its local CSS."""
    page = Page(page_path)
    found = [(a, page_path) for a in page.loads]
    found += [(a, page_path) for css in page.styles for a in css_loads(css)]
    seen, result = set(), []
    while found:
        address, source = found.pop()
        target = None
        if is_local(address) and not address.startswith("data:"):
            target = (source.parent / unquote(urlsplit(address).path)).resolve()
            if target.suffix == ".css" and target.exists() and target not in seen:
                seen.add(target)
                found += [(a, target) for a in css_loads(target.read_text(encoding="utf-8"))]
        result.append((address, target, source))
    return result


def first_heading(path):
    """The lesson's title as the index should show it: its first Markdown heading."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip().replace("`", "")
    return path.stem


# ----------------------------------------------------------------------------------------
# The tests
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", SUFFIX)
def test_one_page_per_lesson(built, kind):
    pages = sorted(p.name for p in built[kind].glob("*.html") if p.name != "index.html")
    assert pages == [nb.stem + SUFFIX[kind] for nb in NOTEBOOKS]
    for name in pages:
        assert (built[kind] / name).stat().st_size > 10_000, name


@pytest.mark.parametrize("kind", SUFFIX)
def test_index_links_every_lesson_in_order_by_its_title(built, kind):
    index = Page(built[kind] / "index.html")
    links = [(href, " ".join(text.split())) for href, text in index.links]
    assert links == [(nb.stem + SUFFIX[kind], first_heading(nb)) for nb in NOTEBOOKS]


@pytest.mark.parametrize("kind", SUFFIX)
def test_pages_load_nothing_from_another_host(built, kind):
    outside = []
    for page in sorted(built[kind].glob("*.html")):
        outside += [f"{source.name}: {address}" for address, _, source in everything_loaded(page)
                    if not is_local(address)]
        # Scripts that load more at run time (a dynamic import, a widget manager) name their hosts.
        outside += [f"{page.name}: a script names {url}" for script in Page(page).scripts
                    for url in re.findall(r"\w+://[^\s'\"]+", script)]
    assert not outside


@pytest.mark.parametrize("kind", SUFFIX)
def test_everything_a_page_loads_is_in_the_folder(built, kind):
    missing = []
    for page in sorted(built[kind].glob("*.html")):
        missing += [f"{source.relative_to(built[kind])}: {address}"
                    for address, target, source in everything_loaded(page)
                    if target is not None and not target.is_file()]
    assert not missing
    assert (built[kind] / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_the_pages_load_mathjax_and_the_slides_reveal_js(built):
    for page in built["html"].glob("[0-9]*.html"):
        assert "_static/mathjax/tex-chtml.js" in Page(page).loads, page.name
    for page in built["slides"].glob("[0-9]*.html"):
        parsed = Page(page)
        assert {"_static/reveal.js/dist/reveal.js", "_static/reveal.js/dist/reveal.css",
                "_static/mathjax/tex-chtml.js"} <= set(parsed.loads), page.name
        assert any("Reveal.initialize" in s for s in parsed.scripts), page.name
        assert "<section" in page.read_text(encoding="utf-8"), page.name
