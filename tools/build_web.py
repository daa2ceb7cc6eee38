"""Build the offline HTML edition and the reveal.js slides of the lessons (no CDN, no kernel).

    python tools/build_web.py html   [--out build/html]   [--edition student|instructor] [NOTEBOOK ...]
    python tools/build_web.py slides [--out build/slides] [--edition student|instructor] [NOTEBOOK ...]

(`make html` and `make slides` run these.)  Each comes in two editions, each in its own folder,
OUT/student and OUT/instructor (both unless --edition names one):

  student     from notebooks/student/: the exercises without their solutions, no speaker notes.
              The folder to copy to a classroom machine or hand out: nothing in it links to the
              instructor edition or contains a solution (tests/test_web.py checks).
  instructor  from notebooks/: the worked solutions and the speaker notes (Markdown cells tagged
              "notes": in the slides' speaker view, press S; on the HTML pages, set apart).

NOTEBOOK ...: build just those, into the folder of --edition (default instructor).  The notebooks
are converted as they are stored, outputs included; nothing is executed.  Each folder gets one
page per notebook, an index.html that says which edition it is and lists the lessons by the
titles of their first headings, and _static/ with what the pages load: JupyterLab's style
sheets, the images the lessons' Markdown shows, MathJax 3 (both) and reveal.js 4 (the slides).
MathJax and reveal.js come from the npm registry, pinned by tools/web/package.json and
package-lock.json, and `npm ci` puts them in build/web/node_modules once (again only when the
lock file changes).  The folders are self-contained: copy one to a
USB stick, open index.html, and everything works without a network.

The templates in tools/web/templates extend nbconvert's `lab` and `reveal` ones, and leave out
what those fetch from CDNs (require.js, jQuery, mermaid, the widget manager).  A widget cannot
run on a static page (there is no kernel): its output shows its text form and a note saying so.

The slides are made for a lecture hall: a 1280 x 720 canvas shown unscaled on a 1280 x 720
screen, prose at 28 px and code and outputs at 24 px, code and outputs wrapped at spaces, wide
equations scaled to fit, figures grown to fill the room their slide leaves; the geometry and
type sizes are tools/slide_metadata.py's SLIDE, which also decides where the slides break
(see the template, tools/web/templates/emlib_slides/index.html.j2).
"""
import argparse
import contextlib
import fcntl
import filecmp
import functools
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import markupsafe
import nbformat
from jinja2 import pass_context
from nbconvert import HTMLExporter, SlidesExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import slide_metadata  # noqa: E402  (tools/ is a folder of scripts)

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "tools" / "web"
TEMPLATES = WEB / "templates"
#: Where `npm ci` installs MathJax and reveal.js (kept out of git with the rest of build/).
NPM_DIR = ROOT / "build" / "web"

#: What each edition copies out of node_modules into its _static/ folder.  MathJax: the
#: tex-chtml component and what it loads on demand (TeX extensions, CHTML fonts, menu,
#: accessibility); reveal.js: its script, styles, the theme the slides use (with the fonts)
#: and the speaker-notes plugin.
MATHJAX_SKIP = ("*.map", "output/svg")
REVEAL_PARTS = ("dist", "plugin/notes", "LICENSE")
MATHJAX_SCRIPT = "tex-chtml.js"
#: Slides: the canvas of tools/slide_metadata.py's SLIDE (reveal.js scales it to the screen), no
#: "In [n]:" prompts, so that code and figures get the width.
SLIDE_OPTIONS = {"reveal_width": str(slide_metadata.SLIDE["width"]),
                 "reveal_height": str(slide_metadata.SLIDE["height"]), "reveal_theme": "white",
                 "reveal_transition": "none", "reveal_number": "c/t"}
#: A displayed equation wider than the slide is scaled down to fit, but not below this (then it
#: is cut off, and tests/browsing.py says so: split it).
MATH_MIN_SCALE = 0.7
#: What the slides' template reads (resources["emlib"]).
SLIDE_RESOURCES = {"slide": slide_metadata.SLIDE, "math_min_scale": MATH_MIN_SCALE,
                   "figure_max_scale": slide_metadata.FIGURE_MAX_SCALE}

#: The two editions: the notebooks each is built from, its name, and what its index says.
EDITIONS = {
    "student": {
        "folder": ROOT / "notebooks" / "student",
        "about": "Student edition: the lessons with the exercises left for you to do; the check "
                 "under each says how you are doing. The worked solutions are not in this folder.",
    },
    "instructor": {
        "folder": ROOT / "notebooks",
        "about": "Instructor edition: the lessons with the worked solutions and the speaker notes. "
                 "Keep it back from the class: hand out the student edition instead (the folder "
                 "student beside this one).",
    },
}


def lessons(paths=None, edition="instructor"):
    """The notebooks to build: the given paths, or every NN_*.ipynb of the edition, in order."""
    if paths:
        return [Path(p) for p in paths]
    return sorted(EDITIONS[edition]["folder"].glob("[0-9][0-9]_*.ipynb"))


def title_of(nb):
    """The text of the notebook's first Markdown heading (the lesson's title), or None."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", cell.source, flags=re.MULTILINE)
            if m:
                return re.sub(r"[`*]", "", m.group(1)).strip()
    return None


# ------------------------------------------------------------------------------------------
# MathJax and reveal.js from the npm registry
# ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def locked(path):
    """An exclusive lock on `path` (two pytest workers may ask for node_modules at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def node_modules(npm_dir=NPM_DIR):
    """build/web/node_modules with MathJax and reveal.js as the lock file pins them.

    Runs `npm ci` (no install scripts) when node_modules is missing or was installed from
    another lock file; otherwise just returns the folder.  Raises RuntimeError when npm is
    missing or fails.
    """
    npm_dir = Path(npm_dir)
    modules = npm_dir / "node_modules"
    stamp = modules / ".emlib-package-lock.json"
    with locked(npm_dir / ".lock"):
        if stamp.exists() and filecmp.cmp(stamp, WEB / "package-lock.json", shallow=False):
            return modules
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm was not found: the HTML edition and the slides need Node.js "
                               "and npm to install MathJax and reveal.js (see the README)")
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(WEB / name, npm_dir / name)
        done = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                              cwd=npm_dir, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"npm ci failed in {npm_dir}:\n{done.stdout}\n{done.stderr}")
        shutil.copyfile(WEB / "package-lock.json", stamp)
    return modules


def copy_static(out, modules, reveal=False):
    """Copy MathJax (and reveal.js) into out/_static; returns the _static folder."""
    static = Path(out) / "_static"
    mathjax = Path(modules) / "mathjax" / "es5"
    other_bundles = [p.name for p in mathjax.glob("*.js") if p.name != MATHJAX_SCRIPT]
    shutil.copytree(mathjax, static / "mathjax", dirs_exist_ok=True,
                    ignore=_ignore(mathjax, [*MATHJAX_SKIP, *other_bundles]))
    shutil.copy2(Path(modules) / "mathjax" / "LICENSE", static / "mathjax" / "LICENSE")
    if reveal:
        source = Path(modules) / "reveal.js"
        other_themes = [p.name for p in (source / "dist" / "theme").glob("*.css")
                        if p.name != f"{SLIDE_OPTIONS['reveal_theme']}.css"]
        for part in REVEAL_PARTS:
            if (source / part).is_dir():
                shutil.copytree(source / part, static / "reveal.js" / part, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.map", "*.esm.js", *other_themes))
            else:
                shutil.copy2(source / part, static / "reveal.js" / part)
    return static


def _ignore(top, patterns):
    """A copytree `ignore` for file patterns and for sub-paths of `top` such as output/svg."""
    names = shutil.ignore_patterns(*[p for p in patterns if "/" not in p])
    paths = {Path(top) / p for p in patterns if "/" in p}

    def ignore(folder, entries):
        return set(names(folder, entries)) | {e for e in entries if Path(folder) / e in paths}
    return ignore


# ------------------------------------------------------------------------------------------
# The pages
# ------------------------------------------------------------------------------------------
#: JupyterLab's style sheets, which nbconvert's templates inline into every page (about 250 kB
#: each): linked from _static/jupyterlab/ instead, so that pages are smaller, faster to build
#: and to open, and the browser reads the style sheets once for a whole folder.
LINKED_CSS = ("static/index.css", "static/theme-light.css")


class _LinkedStyleSheets:
    """An exporter whose pages link LINKED_CSS from _static/jupyterlab/ instead of inlining it."""

    def _init_resources(self, resources):
        resources = super()._init_resources(resources)
        inline = resources["include_css"]

        def include_css(name):
            if name in LINKED_CSS:
                return markupsafe.Markup(f'<link rel="stylesheet" href="_static/jupyterlab/{Path(name).name}">')
            return inline(name)
        resources["include_css"] = include_css
        return resources

    def write_linked_css(self, out):
        """Write LINKED_CSS into out/_static/jupyterlab/ (without comments: see without_css_comments)."""
        folder = Path(out) / "_static" / "jupyterlab"
        folder.mkdir(parents=True, exist_ok=True)
        for name in LINKED_CSS:
            css = self.environment.loader.get_source(self.environment, name)[0]
            (folder / Path(name).name).write_text(re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL), encoding="utf-8")


#: What nbconvert's HTMLExporter adds, after rendering, for keyboard and screen-reader users:
#: a text alternative on an image that has none, and tabindex="0" on each cell's input and output
#: (so that Tab reaches them).
NO_ALT = '<img alt="No description has been provided for this image"'
FOCUSABLE = re.compile(r"""(<div\b[^>]*?\bclass="[^"]*(?<![\w-])(?:jp-Cell-inputWrapper|jp-OutputArea-output)(?![\w-])[^"]*")""")


#: Highlighted code, by (exporter, lexer, language, magics language, source), and Markdown rendered
#: as HTML, by (exporter, folder of embedded images, attachments, source): the four builds (two
#: kinds, two editions) show mostly the same cells, and Pygments and mistune were half of a build.
_HIGHLIGHTED = {}
_MARKDOWN = {}


def _highlighted(highlight, kind, source, language=None, metadata=None):
    """highlight(source, language, metadata), computed once: what Highlight2HTML reads of the
    metadata is its "magics_language"."""
    key = (*kind, language, (metadata or {}).get("magics_language"), source)
    if key not in _HIGHLIGHTED:
        _HIGHLIGHTED[key] = highlight(source, language, metadata)
    return _HIGHLIGHTED[key]


class _OwnNotebooks:
    """An exporter for the project's own notebooks, using under half the CPU time of nbconvert's
    HTML exporters and giving the same pages (the same document in a browser):

    - no bleach sanitising of the highlighted code (nbconvert's clean_html): Pygments writes
      only <div>, <pre> and <span class> with escaped text, which bleach lets through unchanged
      (it only rewrites escapes, such as &quot; as "); nbconvert already trusts the Markdown and
      the HTML outputs (sanitize_html is off), and the notebooks are ours (the lab template
      also passes raw cells and SVG outputs through clean_html: the lessons have none);
    - no BeautifulSoup pass over the rendered page (HTMLExporter.from_notebook_node parses and
      re-serialises the whole page to add two attributes): the same attributes (NO_ALT,
      FOCUSABLE) are added to the page's text instead;
    - the notebook is not validated against nbformat's schema again after each of nbconvert's
      dozen preprocessors (a fifth of a build): it was validated when read, none of those
      preprocessors runs code, and tests/test_regeneration.py validates every notebook;
    - a cell's highlighted code and rendered Markdown are made once for every build in the
      process (the two editions and the two kinds share most cells; _highlighted, _MARKDOWN).
    """

    def default_filters(self):
        yield from super().default_filters()
        yield ("clean_html", _as_text)

    def _validate_preprocessor(self, nbc, preprocessor):
        pass

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        path = context.get("resources", {}).get("metadata", {}).get("path", "") if self.embed_images else ""
        key = (type(self), path, json.dumps(cell.get("attachments", {}), sort_keys=True), source)
        if key not in _MARKDOWN:
            _MARKDOWN[key] = super().markdown2html(context, source)
        return _MARKDOWN[key]

    def from_notebook_node(self, nb, resources=None, **kw):
        # What HTMLExporter.from_notebook_node does before its BeautifulSoup pass.
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        self.register_filter("highlight_code", functools.partial(_highlighted, highlight, (type(self), lexer)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        page = re.sub(r"<img\b(?![^>]*\balt=)", NO_ALT, page)
        return FOCUSABLE.sub(r'\1 tabindex="0"', page), resources


def _as_text(element):
    """nbconvert's clean_html without bleach: the text as it is."""
    return element.decode() if isinstance(element, bytes) else str(element)


class _Pages(_OwnNotebooks, _LinkedStyleSheets, HTMLExporter):
    pass


class _Slides(_OwnNotebooks, _LinkedStyleSheets, SlidesExporter):
    pass


def _exporter(kind):
    # basedirs: where the two templates live; paths: where they find emlib_offline.j2.
    options = {"extra_template_basedirs": [str(TEMPLATES)], "extra_template_paths": [str(TEMPLATES)]}
    if kind == "html":
        exporter = _Pages(template_name="emlib_html", **options)
    else:
        exporter = _Slides(template_name="emlib_slides", exclude_input_prompt=True,
                           exclude_output_prompt=True, **options, **SLIDE_OPTIONS)
        exporter.reveal_url_prefix = "_static/reveal.js"
    exporter.mathjax_url = f"_static/mathjax/{MATHJAX_SCRIPT}"
    # Never used by the templates above; emptied so that no CDN address can slip into a page.
    for trait in ("require_js_url", "jquery_url", "jupyter_widgets_base_url", "widget_renderer_url",
                  "mermaid_js_url", "mermaid_layout_elk_js_url"):
        if exporter.has_trait(trait):
            setattr(exporter, trait, "")
    return exporter


def build(kind, out, paths=None, edition="instructor"):
    """Write one edition of the HTML pages (kind "html") or the slides ("slides") into `out`:
    the given notebooks (`paths`), or every lesson of the edition.

    Returns a list of (notebook path, page file name, title), in the order of the lessons.
    """
    if kind not in ("html", "slides"):
        raise ValueError(f"kind must be 'html' or 'slides', got {kind!r}")
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {', '.join(EDITIONS)}, got {edition!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    copy_static(out, node_modules(), reveal=(kind == "slides"))
    exporter = _exporter(kind)
    exporter.write_linked_css(out)
    suffix = ".slides.html" if kind == "slides" else ".html"
    notebooks = [(Path(p), nbformat.read(p, as_version=4)) for p in lessons(paths, edition)]
    pages = [(path, path.stem + suffix, title_of(nb) or path.stem) for path, nb in notebooks]
    links = [{"href": page, "title": title} for _, page, title in pages]
    for i, (path, nb) in enumerate(notebooks):
        static_widgets(nb)
        nb.metadata["title"] = f"{links[i]['title']} ({edition} edition)"   # the browser tab (in memory)
        nav = {"index": "index.html", "edition": f"{edition} edition",
               "previous": links[i - 1] if i > 0 else None,
               "next": links[i + 1] if i + 1 < len(links) else None}
        body, _ = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": path.stem, "path": str(path.parent)},
                           "lesson_nav": nav, "emlib": SLIDE_RESOURCES})
        body = local_images(body, path.parent, out)
        (out / links[i]["href"]).write_text(without_css_comments(body), encoding="utf-8")
    (out / "index.html").write_text(index_page(pages, kind, edition), encoding="utf-8")
    return pages


def build_editions(kind, out, editions=tuple(EDITIONS), paths=None):
    """Both editions (or those named) of kind "html" or "slides", each into out/<edition>.
    Returns {edition: folder}."""
    folders = {}
    for edition in editions:
        folders[edition] = Path(out) / edition
        build(kind, folders[edition], paths, edition)
    return folders


IMAGE_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])([^"']+)\2""", re.IGNORECASE)


def local_images(page, notebook_folder, out):
    """The page with each image its Markdown shows from a file (`![...](../figures/x.gif)`)
    copied into out/_static/images/ and its address changed to the copy, so that the folder
    holds everything it shows.  Raises RuntimeError naming a file that is not there."""
    def copy(match):
        address = match.group(3)
        if from_outside_or_inline(address):
            return match.group(0)
        source = (Path(notebook_folder) / html.unescape(address)).resolve()
        if not source.is_file():
            raise RuntimeError(f"a notebook in {notebook_folder} shows {address}, which is not there")
        target = Path(out) / "_static" / "images" / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return f"{match.group(1)}{match.group(2)}_static/images/{source.name}{match.group(2)}"
    return IMAGE_SRC.sub(copy, page)


def from_outside_or_inline(address):
    """True for data:, blob: and absolute addresses (a scheme or a host), which name no file here."""
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:|//)", address, flags=re.IGNORECASE))


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("<pre>{text}</pre>\n<p class=\"emlib-widget-note\"><em>An interactive widget: it runs "
               "in JupyterLab, with a kernel (open the notebook there).</em></p>")


def static_widgets(nb):
    """Replace each widget output by its text form and a note that it runs only in JupyterLab
    (in memory); and drop stored widget state, which would make nbconvert load a widget manager."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if data.pop(WIDGET_VIEW, None) is not None:
                data["text/html"] = WIDGET_NOTE.format(text=html.escape(data.get("text/plain", "widget")))
    return nb


def without_css_comments(page):
    """The page with the comments of its inline style sheets removed: JupyterLab's CSS, which
    nbconvert inlines, credits its sources by URL there, which only gets in the way of checking
    that the page loads nothing from the internet (grep http) and weighs every page."""
    return re.sub(r"(<style[^>]*>)(.*?)(</style>)",
                  lambda m: m.group(1) + re.sub(r"/\*.*?\*/", "", m.group(2), flags=re.DOTALL) + m.group(3),
                  page, flags=re.DOTALL)


def index_page(pages, kind, edition):
    """index.html: which edition this is, and the lessons in order, each linked by its title
    (the titles carry the lessons' numbers: the list itself is not numbered)."""
    what = "slides" if kind == "slides" else "lessons"
    items = "\n".join(f'  <li><a href="{html.escape(page)}">{html.escape(title)}</a></li>'
                      for _, page, title in pages)
    if kind == "slides":
        hint = ("Arrow keys (or the arrows at the bottom right) move between slides: right to the "
                "next idea, down to its details and solutions; F for full screen"
                + ("; S opens the speaker view, with the speaker notes and a timer." if edition == "instructor"
                   else "."))
    else:
        hint = ("Static pages: the code and its stored outputs, readable without Python. "
                "To run the code or use the widgets, open the notebooks in JupyterLab.")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>EM for Gaussian mixtures, step by step: the {what}, {edition} edition</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 48em; margin: 2em auto; padding: 0 1em;
       line-height: 1.5; }}
ul.lessons {{ list-style: none; padding-left: 0; }}
li {{ margin: 0.3em 0; }}
p.edition {{ font-weight: 600; }}
</style>
</head>
<body>
<h1>EM for Gaussian mixtures, step by step</h1>
<p class="edition" data-edition="{edition}">{html.escape(EDITIONS[edition]["about"])}</p>
<p>The {what}, in order. {html.escape(hint)}</p>
<ul class="lessons">
{items}
</ul>
</body>
</html>
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["html", "slides"])
    parser.add_argument("notebooks", nargs="*", help="default: every lesson of the edition")
    parser.add_argument("--out", type=Path, help="default: build/html or build/slides")
    parser.add_argument("--edition", choices=list(EDITIONS),
                        help="build only this edition (with NOTEBOOK ...: default instructor)")
    args = parser.parse_intermixed_args(argv)
    out = args.out or ROOT / "build" / args.kind
    editions = [args.edition] if args.edition else ["instructor"] if args.notebooks else list(EDITIONS)
    try:
        folders = build_editions(args.kind, out, editions, args.notebooks or None)
    except RuntimeError as err:
        sys.exit(str(err))
    for edition, folder in folders.items():
        print(f"wrote the {edition} edition to {folder} (open {folder / 'index.html'})")


if __name__ == "__main__":
    main()
