"""The notebooks' kernels forked from the zygote (tests/kernel_zygote.py, conftest.py) behave as
kernels that nbval starts afresh: in the notebook's folder, with the environment and streams they
were given, a namespace with nothing in it, interrupted by an interrupt, and gone when nbval stops
them.  (That they run every lesson to its stored outputs, nbval checks on every notebook.)
"""
import os
import time
from pathlib import Path

import kernel_zygote
import pytest
from nbval import kernel as nbval_kernel

ZYGOTE = Path(__file__).with_name("kernel_zygote.py")
pytestmark = pytest.mark.skipif(not kernel_zygote.FORKED,
                                reason="kernels are started afresh here (not Linux, or EMLIB_FRESH_KERNELS=1)")


def start(folder, **options):
    """A kernel started as nbval starts a notebook's, in `folder`: (manager, client)."""
    return nbval_kernel.start_new_kernel(kernel_name=nbval_kernel.CURRENT_ENV_KERNEL_NAME, cwd=str(folder), **options)


def run(kc, code):
    """Run `code` in the kernel of client kc; returns what it printed."""
    printed = []
    reply = kc.execute_interactive(code, timeout=60, output_hook=lambda msg: printed.append(
        msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernel started in a folder of its own with EMLIB_ZYGOTE_TEST set and its standard error
    going to stderr.txt there, for the tests below (starting and stopping one took half a
    second); yields (manager, client, run, folder), run(code) returning what the code printed;
    stops it as nbval does.  No test defines a name that another reads."""
    folder = tmp_path_factory.mktemp("kernel")
    with open(folder / "stderr.txt", "w") as stderr:
        km, kc = start(folder, stderr=stderr, env={**os.environ, "EMLIB_ZYGOTE_TEST": "passed on"})
    try:
        yield km, kc, lambda code: run(kc, code), folder
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_kernel_is_forked_from_the_zygote_into_the_notebooks_folder_and_environment(kernel):
    km, _, run, folder = kernel
    assert km.kernel_spec.argv[1:5] == ["-I", "-S", str(ZYGOTE), "launch"]
    printed = run("import os, sys\n"
                  "print(os.getcwd(), sys.path[0], os.environ['EMLIB_ZYGOTE_TEST'], sep='|')\n"
                  "print(os.getppid() == km_pid, 'numpy' in sys.modules, 'np' in globals(), sep='|')"
                  .replace("km_pid", str(km.provisioner.process.pid)))
    where, parent = printed.splitlines()
    assert where.split("|") == [str(folder), str(folder), "passed on"]
    # what ipykernel takes from the environment it was started with, as a fresh kernel does
    assert run("from ipykernel.kernelapp import IPKernelApp\n"
               "print(IPKernelApp.instance().parent_handle == int(os.environ['JPY_PARENT_PID']) > 0)") == "True\n"
    # forked: not the launcher's child, numpy already imported; the namespace still empty
    assert parent.split("|") == ["False", "True", "False"]
    # what importing scikit-learn and ipykernel's debugger (debugpy) sets in a fresh kernel's
    # environment, the zygote's imports set in its own, and the kernel has
    assert run("print(os.environ.get('KMP_DUPLICATE_LIB_OK'), os.environ.get('PYDEVD_USE_FRAME_EVAL'))") == "True NO\n"


def test_its_standard_error_is_the_one_it_was_given(kernel):
    _, _, run, folder = kernel
    run("import os; os.write(2, b'written to fd 2\\n')")
    assert "written to fd 2" in (folder / "stderr.txt").read_text()


def test_an_interrupt_interrupts_the_running_cell(kernel):
    km, kc, _, _ = kernel
    msg_id = kc.execute("import time; print('in the cell', flush=True); time.sleep(60)")
    while True:                                   # until the cell runs: its code printed
        msg = kc.get_iopub_msg(timeout=30)
        if msg["msg_type"] == "stream" and msg["parent_header"].get("msg_id") == msg_id:
            break
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"


def test_stopping_it_as_nbval_does_ends_the_kernel_process(tmp_path):
    km, kc = start(tmp_path)
    pid = int(run(kc, "import os; print(os.getpid())"))
    kc.stop_channels()
    km.shutdown_kernel(now=True)                  # nbval's RunningKernel.stop: SIGKILL to the launcher
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"the kernel (pid {pid}) outlived its launcher")


def test_a_zygote_that_died_is_replaced(tmp_path):
    kernel_zygote.kernel_argv()                   # this process's zygote, started if it was not
    dead = kernel_zygote._zygote["process"]
    dead.kill()
    dead.wait()
    km, kc = start(tmp_path)
    try:
        assert run(kc, "print(1 + 1)") == "2\n"
        assert kernel_zygote._zygote["process"] is not dead
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
