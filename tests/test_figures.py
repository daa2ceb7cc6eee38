"""The files in figures/ are what `python -m emlib.figures` makes, and it makes them reproducibly.

Every figure is regenerated into a temporary folder (once for the module, a few seconds, in a new
Python as `make figures` does) and compared with the committed one: PNGs pixel by pixel within a small tolerance (font hinting may
differ between machines; a changed figure does not pass), SVGs and the GIFs by their presence
and size (the GIFs regenerated with their first TEST_ITERATIONS iterations only; the committed
ones have every frame).  The reproducibility tests compare a second run (in this test process, after
other tests, and in another under another OpenBLAS kernel) byte for byte with that first one.  When a test here
fails after an intended change, run `make figures` and commit the new files.
"""
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from helpers import LESSONS, cells, source  # noqa: E402
from matplotlib.testing.compare import compare_images  # noqa: E402
from PIL import Image  # noqa: E402

from emlib import figures  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "figures"
#: RMS difference allowed between a committed PNG and a regenerated one, in grey levels (0-255).
#: A different font rasteriser moves the RMS by about 1; a changed covariance in one figure, by ~25.
PNG_TOLERANCE = 2.0
FIGURES = figures.FIGURES
NAMES = list(FIGURES)
REGENERATE = "the committed figures are out of date: run `make figures` and commit figures/"


#: The figures whose bytes depended on the BLAS kernel before their values were rounded.
SENSITIVE = ["m_step_one_iteration", "snapshots"]


#: The GIFs regenerated here are the committed ones' first iterations: drawing all
#: ANIMATION_ITERATIONS + 1 frames at both sizes took half of this module's time, and a frame is
#: drawn by the same code whichever iteration it shows.
TEST_ITERATIONS = 2


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """What figures.generate writes, its GIFs with TEST_ITERATIONS iterations, in a new Python, as
    `make figures` runs it: not in this test process, whose earlier tests may have left state
    behind (under matplotlib 3.7, snapshots.svg drawn here after other tests placed a label
    1e-6 px from where a new process places it)."""
    outdir = tmp_path_factory.mktemp("figures")
    generate = ("import functools, sys; from emlib import figures; "
                f"figures.save_animation = functools.partial(figures.save_animation, iterations={TEST_ITERATIONS}); "
                "figures.generate(sys.argv[1])")
    subprocess.run([sys.executable, "-c", generate, str(outdir)], check=True, capture_output=True, cwd=ROOT,
                   timeout=300)
    return outdir


@pytest.fixture(scope="module")
def command_line(tmp_path_factory):
    """The folder that `python -m emlib.figures OUTDIR --only SENSITIVE` writes, run under another
    OpenBLAS kernel: Nehalem, OpenBLAS's SSE kernels, another summation order than this machine's
    (the fits differ by ~1e-13); a build of OpenBLAS without that kernel ignores the request."""
    outdir = tmp_path_factory.mktemp("command_line")
    env = {**os.environ, "OPENBLAS_CORETYPE": "Nehalem", "OPENBLAS_NUM_THREADS": "2"}
    subprocess.run([sys.executable, "-m", "emlib.figures", str(outdir), "--only", *SENSITIVE],
                   env=env, check=True, capture_output=True, cwd=ROOT, timeout=300)
    return outdir


def same_matplotlib():
    """Skip a pixel-exact check when figures/ was drawn by another matplotlib version."""
    recorded = figures.made_with((COMMITTED / "README.md").read_text(encoding="utf-8"))
    if recorded != matplotlib.__version__:
        pytest.skip(f"figures/ was drawn with matplotlib {recorded}, this is {matplotlib.__version__}: "
                    "text and layout differ between versions, so pixels are compared only under "
                    "the recorded one (regenerate with `make figures` to adopt this version)")


def committed(name):
    path = COMMITTED / name
    if not path.exists():
        pytest.fail(f"figures/{name} is missing; {REGENERATE}")
    return path


# ----------------------------------------------------------------------------------------
# The committed files are what the code makes
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_png_matches_the_committed_one(generated, name, tmp_path):
    same_matplotlib()
    expected = committed(f"{name}.png")
    actual = tmp_path / f"{name}.png"          # compare_images writes its diff image beside it
    shutil.copyfile(generated / f"{name}.png", actual)
    with Image.open(expected) as e, Image.open(actual) as a:
        assert e.size == a.size, f"{name}.png: size {a.size}, committed {e.size}; {REGENERATE}"
    failure = compare_images(str(expected), str(actual), tol=PNG_TOLERANCE)
    assert failure is None, f"{failure}\n{REGENERATE}"


def svg_size(path):
    root = ET.parse(path).getroot()
    return root.get("width"), root.get("height"), root.get("viewBox")


@pytest.mark.parametrize("name", NAMES)
def test_svg_is_written_like_the_committed_one(generated, name):
    actual = generated / f"{name}.svg"
    assert actual.stat().st_size > 0
    assert svg_size(actual) == svg_size(committed(f"{name}.svg")), REGENERATE
    text = actual.read_text(encoding="utf-8")
    assert "<dc:date>" not in text and "Matplotlib v" not in text     # no date, no version


@pytest.mark.parametrize("name, size", [(figures.ANIMATION_NAME, (576, 518)),
                                        (figures.ANIMATION_LARGE_NAME, (720, 648))])
def test_animation_has_one_frame_per_iteration(generated, name, size):
    actual, expected = generated / name, committed(name)
    with Image.open(actual) as a, Image.open(expected) as e:
        assert a.n_frames == TEST_ITERATIONS + 1
        assert a.size == size                # 6.0 x 5.4 inches at 96 and 120 dpi
        assert e.n_frames == figures.ANIMATION_ITERATIONS + 1 and e.size == a.size, REGENERATE
    assert expected.stat().st_size < 1.5e6


def test_the_command_writes_exactly_the_expected_files(generated):
    assert sorted(p.name for p in generated.iterdir()) == figures.expected_files()


def test_every_committed_figure_is_generated():
    on_disk = {p.name for p in COMMITTED.iterdir() if p.is_file()}
    made = set(figures.expected_files())
    orphans = sorted(on_disk - made)
    missing = sorted(made - on_disk)
    assert not orphans, f"figures/ holds files that no code generates (delete or add them to emlib.figures): {orphans}"
    assert not missing, f"figures/ lacks {missing}; {REGENERATE}"


def test_readme_indexes_every_figure():
    readme = committed("README.md").read_text(encoding="utf-8")
    for name in [*NAMES, figures.ANIMATION_STEM]:
        assert f"| `{name}` |" in readme, f"figures/README.md has no row for {name}"
    for notebook in {nb for draw in FIGURES.values() for nb in draw.notebooks} - set(figures.DOCUMENTS):
        assert (ROOT / "notebooks" / f"{notebook}.ipynb").exists(), f"no notebook {notebook}"
    def unversioned(text):   # the version line is checked by same_matplotlib()
        return [line for line in text.splitlines() if not line.startswith(figures.MADE_WITH)]

    assert unversioned(readme) == unversioned(figures.readme_text()), REGENERATE
    assert figures.made_with(readme), "figures/README.md does not record the matplotlib version"


def shows(notebook, draw):
    """True when a code cell of the lesson makes every plotting call of the figure (draw.calls)."""
    return any(all(call in source(cell) for call in draw.calls)
               for cell in cells(notebook) if cell["cell_type"] == "code")


@pytest.mark.parametrize("name", NAMES)
def test_the_lessons_listed_for_a_figure_are_those_that_show_it(name):
    """figures/README.md says truly where each figure is shown: a lesson listed under "shown in" draws
    it (a code cell makes every one of its plotting calls), and every lesson that draws it is listed."""
    draw = FIGURES[name]
    assert draw.calls, f"{name}: name the plotting calls that draw it (calls=...)"
    drawing = {nb.stem for nb in LESSONS if shows(nb, draw)}
    documents = set(draw.notebooks) & set(figures.DOCUMENTS)
    for document in documents - {figures.REPO_README}:      # a document shows the committed image
        path = ROOT / document.rsplit(", ", 1)[-1]
        assert f"figures/{name}.png" in path.read_text(encoding="utf-8"), f"{document} does not show {name}"
    listed = set(draw.notebooks) - documents
    assert not listed - drawing, (f"{name} is listed for {sorted(listed - drawing)}, but no code cell there makes "
                                  f"all of {draw.calls}: correct its notebooks=... in emlib/figures.py")
    assert not drawing - listed, (f"{sorted(drawing - listed)} draw {name} ({draw.calls}) but are not listed: "
                                  "add them to its notebooks=... in emlib/figures.py")


def test_the_animation_is_shown_where_the_index_says():
    for place in figures.ANIMATION_NOTEBOOKS:
        assert place == figures.REPO_README, f"{place}: only the repository's README shows the animation"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"figures/{figures.ANIMATION_NAME}" in readme
    embedded = [nb.stem for nb in LESSONS for cell in cells(nb) if figures.ANIMATION_STEM in source(cell)]
    assert not embedded, f"{embedded} show the animation: list them in ANIMATION_NOTEBOOKS"


# ----------------------------------------------------------------------------------------
# Every figure is a proper figure
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_figure_has_titles_and_labelled_axes(name):
    fig = figures.render(name)
    assert fig.axes
    suptitle = fig._suptitle.get_text() if fig._suptitle else ""   # get_suptitle: matplotlib >= 3.8
    for ax in fig.axes:
        assert ax.get_title() or suptitle, f"{name}: an Axes without a title"
        if not ax.axison:                   # a diagram (the course map): no axis to label
            continue
        # panels of a shared grid show their labels on the outer panels only (label_outer)
        xlabels = {a.get_xlabel() for a in ax.get_shared_x_axes().get_siblings(ax)} - {""}
        ylabels = {a.get_ylabel() for a in ax.get_shared_y_axes().get_siblings(ax)} - {""}
        assert xlabels and ylabels, f"{name}: an Axes without axis labels"


# ----------------------------------------------------------------------------------------
# Reproducible
# ----------------------------------------------------------------------------------------
def test_one_figure_twice_is_byte_identical(tmp_path, generated):
    name = "m_step_one_iteration"             # text, mathtext, ellipses, arrows, legend: all of it
    for path in figures.save_figure(name, tmp_path):       # the second run in this process
        assert path.read_bytes() == (generated / path.name).read_bytes(), f"{path.name} differs between two runs"


def test_the_callers_style_does_not_leak_in(tmp_path, generated):
    with matplotlib.rc_context({"font.size": 22, "lines.linewidth": 6, "axes.facecolor": "yellow",
                                "svg.fonttype": "none", "svg.hashsalt": None}):
        paths = figures.save_figure("density_1d", tmp_path)       # axes, lines, bars, text, legend
    for path in paths:
        assert path.read_bytes() == (generated / path.name).read_bytes()
    assert matplotlib.rcParams["font.size"] != 22     # and the caller's settings came back


def test_animation_twice_is_byte_identical(tmp_path, generated):
    second = figures.save_animation(tmp_path, iterations=TEST_ITERATIONS)   # the second run in this process
    assert second.read_bytes() == (generated / second.name).read_bytes()


def test_command_line_writes_the_named_figures(command_line):
    assert sorted(p.name for p in command_line.iterdir()) == sorted(
        f"{name}.{ext}" for name in SENSITIVE for ext in ("png", "svg"))
    assert figures.DEFAULT_OUTDIR == COMMITTED


#: A number in an SVG (a coordinate, a length, a glyph's code).
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
#: How far two numbers of an SVG drawn by another matplotlib than figures/'s may lie apart, in px.
#: matplotlib 3.7.0 does not place every label at the same sixth decimal from one process to the
#: next: `python -m emlib.figures` run four times in a row put a y label of snapshots.svg at
#: x = 13.638053 twice and 13.638052 twice, under one BLAS kernel (six runs under 3.11 were
#: byte-identical).
SVG_TOLERANCE = 1e-4


def same_svg(a, b, tolerance):
    """Whether two SVG texts are the same but for numbers that differ by at most `tolerance`."""
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return False
    return all(abs(float(x) - float(y)) <= tolerance for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)))


def same_figure(path, other):
    """Byte for byte under figures/'s matplotlib; an SVG under another, within SVG_TOLERANCE."""
    a, b = path.read_bytes(), other.read_bytes()
    if a == b:
        return True
    recorded = figures.made_with((COMMITTED / "README.md").read_text(encoding="utf-8"))
    return (path.suffix == ".svg" and recorded != matplotlib.__version__
            and same_svg(a.decode("utf-8"), b.decode("utf-8"), SVG_TOLERANCE))


def test_same_svg_allows_only_small_differences_in_numbers():
    label = '<g transform="translate(13.638053 121.35477) rotate(-90)">'
    assert same_svg(label, label.replace("13.638053", "13.638052"), SVG_TOLERANCE)
    assert not same_svg(label, label.replace("13.638053", "13.6392"), SVG_TOLERANCE)
    assert not same_svg(label, label.replace("rotate(-90)", "rotate(-45)"), SVG_TOLERANCE)
    assert not same_svg(label, label.replace("translate", "scale"), SVG_TOLERANCE)


def test_figures_are_byte_identical_under_another_blas_kernel(command_line, generated):
    """Byte for byte under figures/'s matplotlib; under another (make test-oldest), an SVG's
    numbers within SVG_TOLERANCE, which that matplotlib does not hold from run to run."""
    names = sorted(p.name for p in command_line.iterdir())
    assert len(names) == 2 * len(SENSITIVE)
    differ = [name for name in names if not same_figure(generated / name, command_line / name)]
    assert not differ, f"{differ} depend on the BLAS kernel"
