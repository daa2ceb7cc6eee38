"""Test-wide settings: the notebooks' kernels find `emlib` (and are forked from a process that has
imported it: tests/kernel_zygote.py), and BLAS uses one thread.

nbval starts each kernel as a new process: it does not see pytest's own sys.path, but it
inherits the environment, so the repository root goes on PYTHONPATH.

One BLAS thread per process: `make test` runs two processes on this project's two-core
machines, and OpenBLAS's own threads on top of them slow small triangular solves a
hundredfold.  The results do not depend on it (the suite also passes with
OPENBLAS_NUM_THREADS=2); set the variables yourself to override.

The two editions of a lesson: its body is executed once, its exercises once per edition.
nbval runs every notebook (pyproject.toml's addopts): each code cell is a test, executed in the
notebook's own kernel and its outputs compared with the stored ones.  A student notebook,
notebooks/student/NN_*.ipynb, is its solution notebook, notebooks/NN_*.ipynb, with the solution
cells stubbed (tools/make_student.py): its code cells up to the first exercise are the solution
notebook's, source for source, and tests/test_student_edition.py checks that their stored outputs
are the solution notebook's, output for output.  Executing that shared body a second time would
repeat the same computation and compare the same outputs (it was most of the student edition's
time, and a third of the suite's).

So, when a run collects both editions of a lesson, the student notebook's own cells, from its
first exercise to the end, run in the solution notebook's kernel right after the shared body (the
state a student's kernel is in there), and are compared with the student notebook's stored outputs;
then the solution notebook's exercises run, as nbval would run them.  In the report they are
`notebooks/NN_*.ipynb::student Cell N` (N counted in the student notebook, as nbval counts).  The
student notebook is not collected again.  A run that collects only the student edition
(`pytest notebooks/student/`) runs it whole, in its own kernel, as nbval does.

The solutions thus run after the student's stubs and checks, where nbval alone would run them
straight after the body: a stub defines only names its solution cell defines again before they are
used (make_student keeps the solution's signatures), and the check cells are the same in both
editions.  Anything a stub or check left behind that a solution depended on would show as outputs
that differ from the stored ones, that is, as a failing test.
"""
import atexit
import os
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import pytest


def _leave_without_teardown():
    """The last thing an xdist worker of the run does (this exit handler is registered before
    the others, so it runs after them): leave without tearing the interpreter down.  By then
    the worker has sent every report to the controller, its session is over and the other exit
    handlers have run (the kernel zygote's among them); only the freeing of every object of a
    session of two thousand tests is left, which took 1.8-2.3 s at the end of `make test` while
    the controller waited for its workers to exit.  (The controller's exit status says
    whether the run passed; a worker's is not read.)"""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if os.environ.get("PYTEST_XDIST_WORKER"):
    atexit.register(_leave_without_teardown)

# jsonschema, which nbformat imports, imports rfc3987_syntax when it is installed (a checker of
# the "iri" string format, which nbformat's schemas never ask for), and that builds a Lark grammar
# on import: 1.2 s in each test process, on the way to the first test.  So it is not imported
# here, and nbval (whose import imports nbformat) is loaded from this file, after this line,
# instead of as an installed plugin (pyproject.toml's addopts: -p no:nbval).
sys.modules.setdefault("rfc3987_syntax", None)
pytest.register_assert_rewrite("nbval")     # as an installed plugin's package is (Makefile)
pytest_plugins = ["nbval.plugin"]

ROOT = str(Path(__file__).resolve().parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import matplotlib  # noqa: E402  (after the thread settings: it imports numpy)
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(limits=int(os.environ["OPENBLAS_NUM_THREADS"]))
# Figures in the unit tests render off-screen; the notebooks' kernels use their inline backend.
matplotlib.use("Agg")

import nbformat  # noqa: E402
from nbval.plugin import IPyNbCell, IPyNbFile, find_comment_markers, find_metadata_tags  # noqa: E402

LESSONS = Path(ROOT) / "notebooks"
STUDENT = LESSONS / "student"


sys.path.insert(0, str(Path(ROOT) / "tests"))    # tests/helpers.py, as tests/conftest.py imports it
from helpers import load_tool  # noqa: E402

shared_code_cells = load_tool("make_student").shared_code_cells


class StudentCell(IPyNbCell):
    """A code cell of the student edition, run in the solution notebook's kernel."""

    def __init__(self, *args, student_path, **kwargs):
        super().__init__(*args, **kwargs)
        self.student_path = student_path

    def reportinfo(self):
        return self.path, 0, f"{self.student_path.relative_to(LESSONS.parent)}::Cell {self.cell_num}"


class Lesson(IPyNbFile):
    """A solution notebook, with the exercises of its student edition (see the module docstring)."""

    def collect(self):
        solution = list(super().collect())            # reads self.nb: nbval's items, Cell 0 ...
        student_path = STUDENT / self.path.name
        student = nbformat.read(student_path, as_version=4)
        shared = shared_code_cells(self.nb.cells, student.cells)
        own = [c for c in student.cells if c.cell_type == "code"][shared:]
        yield from solution[:shared]
        for number, cell in enumerate(own, start=shared):
            # the cell's options (tags such as raises-exception, comment markers), as nbval reads them
            options = defaultdict(bool, find_metadata_tags(cell.metadata))
            options.update(find_comment_markers(cell.source))
            options.setdefault("check", self.compare_outputs)
            yield StudentCell.from_parent(self, name=f"student Cell {number}", cell_num=number, cell=cell,
                                          options=options, student_path=student_path)
        yield from solution[shared:]


@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path, parent):
    """A solution notebook with a student edition beside it is collected as a Lesson."""
    outcome = yield
    if file_path.parent == LESSONS and (STUDENT / file_path.name).exists():
        outcome.force_result([Lesson.from_parent(parent, path=file_path) if type(c) is IPyNbFile else c
                              for c in outcome.get_result()])


def work_unit(nodeid):
    """What xdist hands a worker whole: the test's file, or "browser" for all the files that drive
    headless Chromium or build the web editions (tests/test_browser_*.py, tests/test_web.py).

    A file: a notebook's cells share one kernel and must run in order, in one process.  The
    browser files together: on one worker, one after another, they share one Chromium and the
    web editions that worker builds, while the other worker runs unit tests and notebooks.  Spread
    over both workers, two Chromiums, the JupyterLab server and its kernels ran at once on the two
    cores: `make test` took 105.0 s on average over four runs, 100.0 s with them together (in
    alternation, on one machine in one hour)."""
    file = nodeid.split("::", 1)[0]
    name = file.rsplit("/", 1)[-1]
    return "browser" if name.startswith("test_browser_") or name == "test_web.py" else file


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Whole work_unit()s to each worker, whatever --dist says (`pytest -n 2` alone hands out
    single tests)."""
    from xdist.scheduler import LoadFileScheduling

    class WorkUnits(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    return WorkUnits(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Deselect a student notebook whose exercises run with its solution notebook (the summary
    line counts its cells as deselected).

    Then put the longest work first, so that `make test`'s two workers finish together: xdist
    hands out whole work_unit()s in this order (--no-loadscope-reorder), and a long one started
    last keeps one worker busy while the other waits.  First the browser tests and
    tests/test_web.py (one unit, about 70 s; they share the web editions that tests/conftest.py's
    web_editions builds), then the unit tests (test_figures.py and test_widgets.py take 10-20 s),
    in the order of collection, and last the notebooks, 3 to 10 s each, the last lesson first:
    the short early lessons fill in at the end.
    """
    with_solution = {item.student_path for item in items if isinstance(item, StudentCell)}
    left_out = [item for item in items if isinstance(item, IPyNbCell) and item.path in with_solution]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        dropped = set(map(id, left_out))
        items[:] = [item for item in items if id(item) not in dropped]

    last_first = {path: -i for i, path in enumerate(sorted({i.path for i in items if isinstance(i, IPyNbCell)}))}

    def order(item):
        if work_unit(item.nodeid) == "browser":
            return 0, 0
        return (2, last_first[item.path]) if isinstance(item, IPyNbCell) else (1, 0)
    items.sort(key=order)


# ----------------------------------------------------------------------------------------
# The notebooks' kernels, ready once they answer; forked from a zygote that has imported what
# the lessons import (tests/kernel_zygote.py says how and why); EMLIB_FRESH_KERNELS=1 starts
# each from scratch.
# ----------------------------------------------------------------------------------------
import time  # noqa: E402
from queue import Empty  # noqa: E402

import kernel_zygote  # noqa: E402  (tests/, on sys.path above)
from jupyter_client.manager import KernelManager  # noqa: E402
from nbval import kernel as nbval_kernel  # noqa: E402


def _start_new_kernel(startup_timeout=60, kernel_name="python", **kwargs):
    """nbval's start_new_kernel (nbval/kernel.py), ready as soon as the kernel answers.

    jupyter_client's wait_for_ready, which nbval's calls, waits until the kernel answers a
    kernel_info request on the shell channel and IOPub delivers a message (a subscription
    connects late: without this, the first cell's outputs could be lost), as this does; and then
    until IOPub has been silent for 0.2 s, to drop the kernel's start-up messages.  nbval reads
    only the IOPub messages that answer the cell it runs (it skips the others by their parent's
    msg_id: kernel.py's await_idle, plugin.py's runtest), so that 0.2 s, with nothing to do, came
    with each of the seventeen kernels a run starts this way."""
    km = KernelManager(kernel_name=kernel_name, kernel_spec_manager=nbval_kernel.NbvalKernelspecManager())
    km.start_kernel(**kwargs)
    kc = km.client()
    kc.start_channels()
    deadline = time.monotonic() + startup_timeout
    try:
        while True:
            kc.kernel_info()
            try:
                reply = kc.get_shell_msg(timeout=1)
                if reply["msg_type"] == "kernel_info_reply":
                    kc.get_iopub_msg(timeout=0.2)
                    adapt = getattr(kc, "_handle_kernel_info_reply", None)   # jupyter_client >= 7
                    if adapt:
                        adapt(reply)                        # the protocol version, as wait_for_ready
                    return km, kc
            except Empty:
                pass
            if not kc.is_alive():
                raise RuntimeError("the kernel died before answering kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the kernel did not answer kernel_info within {startup_timeout} s")
    except BaseException:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        raise


nbval_kernel.start_new_kernel = _start_new_kernel

if kernel_zygote.FORKED:
    from jupyter_client.kernelspec import KernelSpec

    _current_env_spec = nbval_kernel.NbvalKernelspecManager.get_kernel_spec

    def _forked_kernel_spec(self, kernel_name):
        """nbval's kernel of this Python (--nbval-current-env), forked from the zygote."""
        spec = _current_env_spec(self, kernel_name)
        if kernel_name != nbval_kernel.CURRENT_ENV_KERNEL_NAME:
            return spec
        try:
            argv = kernel_zygote.kernel_argv()
        except RuntimeError as err:
            warnings.warn(f"{err}; the notebooks' kernels start afresh", stacklevel=2)
            return spec
        return KernelSpec(**{**spec.to_dict(), "argv": argv}, resource_dir=spec.resource_dir)

    nbval_kernel.NbvalKernelspecManager.get_kernel_spec = _forked_kernel_spec


def pytest_unconfigure(config):
    kernel_zygote.stop()
