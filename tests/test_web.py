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

import pytest
from helpers import LESSONS, cells, from_another_host, source

SUFFIX = {"html": ".html", "slides": ".slides.html"}

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
    page = Page(page_path)
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
        outside += [f"{page.name}: a script names {url}" for script in Page(page).scripts
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
@pytest.mark.parametrize("kind", SUFFIX)
def test_one_page_per_lesson(web_editions, kind):
    pages = sorted(p.name for p in web_editions[kind].glob("*.html") if p.name != "index.html")
    assert pages == [nb.stem + SUFFIX[kind] for nb in LESSONS]
    for name in pages:
        assert (web_editions[kind] / name).stat().st_size > 10_000, name


@pytest.mark.parametrize("kind", SUFFIX)
def test_index_links_every_lesson_in_order_by_its_title(web_editions, kind):
    index = Page(web_editions[kind] / "index.html")
    links = [(href, " ".join(text.split())) for href, text in index.links]
    assert links == [(nb.stem + SUFFIX[kind], first_heading(nb)) for nb in LESSONS]


@pytest.mark.parametrize("kind", SUFFIX)
def test_pages_load_nothing_from_another_host(web_editions, kind):
    assert not outside_loads(web_editions[kind])


@pytest.mark.parametrize("kind", SUFFIX)
def test_everything_a_page_loads_is_in_the_folder(web_editions, kind):
    assert not not_in_folder(web_editions[kind])
    assert (web_editions[kind] / "_static" / "mathjax" / "tex-chtml.js").is_file()


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


def test_the_pages_load_mathjax_and_the_slides_reveal_js(web_editions):
    for nb in LESSONS:
        page = web_editions["html"] / f"{nb.stem}.html"
        assert "_static/mathjax/tex-chtml.js" in Page(page).loads, page.name
        page = web_editions["slides"] / f"{nb.stem}.slides.html"
        parsed = Page(page)
        assert {"_static/reveal.js/dist/reveal.js", "_static/reveal.js/dist/reveal.css",
                "_static/mathjax/tex-chtml.js"} <= set(parsed.loads), page.name
        assert any("Reveal.initialize" in s for s in parsed.scripts), page.name
        assert "<section" in page.read_text(encoding="utf-8"), page.name
