"""The notebooks' kernels, forked from a process that has already imported what the lessons import.

A lesson's kernel spent most of its first two seconds starting Python and importing numpy, scipy,
matplotlib, scikit-learn, emlib and ipykernel: 1.3-1.9 s of the first cell and 0.65 s of
starting, for each of the fourteen lessons, a third of the notebooks' time in the test suite.
So the test processes (conftest.py) start one kernel *zygote* each: a Python that imports all that
once, then waits on a Unix socket.  The kernel command that nbval runs is this file's `launch`:
it hands the zygote its connection file, working folder, environment and standard streams; the
zygote forks; the child becomes the kernel (ipykernel, as `python -m ipykernel_launcher` would
run it) in that folder, with that environment and those streams.  The launcher stays as the
kernel's process for jupyter_client: it passes interrupts and terminations on to the kernel, and
when the launcher is killed (nbval stops a kernel with SIGKILL) the kernel ends too.

What a notebook sees is what a fresh kernel shows: its own namespace, nothing run in it, its
working folder first on sys.path; only the modules are already in sys.modules (an `import` in
the first cell finds them there).  nbval compares every output with the one stored by a fresh
kernel (tools/run_notebooks.py), so a difference would fail.  EMLIB_FRESH_KERNELS=1 runs every
notebook in a kernel started from scratch, as nbval does by itself.

In a test process: kernel_argv() is the kernel command (a kernel spec's argv), which starts this
process's zygote on first use; stop() stops it (conftest.py, at the end of the run).  The zygote
is `python kernel_zygote.py serve SOCKET`; the kernel command is
`python -I -S kernel_zygote.py launch SOCKET -f {connection_file}`.
"""
import json
import os
import signal
import socket
import sys

#: Forking, and passing the streams over a Unix socket: on Linux, unless EMLIB_FRESH_KERNELS asks
#: for kernels started afresh.
FORKED = sys.platform.startswith("linux") and os.environ.get("EMLIB_FRESH_KERNELS", "") in ("", "0")
_zygote = {}

#: What the lessons import (their first cells) and what ipykernel needs, imported once.
#: ipykernel.debugger: debugpy, which every kernel imported as it started (50 ms of each start).
#: Not matplotlib's inline backend: a kernel loads it when a figure is first drawn, and only with
#: IPython running does it hook itself in (loaded here, before, pyplot under matplotlib 3.7 then
#: failed to find IPython's backend2gui).  Not ipykernel.kernelapp (6 ms): its IPKernelApp takes
#: defaults from the kernel's environment (JPY_PARENT_PID) when it is imported.
PRELOAD = ("numpy", "scipy.linalg", "scipy.optimize", "scipy.special", "scipy.stats", "matplotlib.pyplot",
           "sklearn.cluster", "sklearn.datasets", "sklearn.metrics", "sklearn.mixture",
           "sklearn.model_selection", "emlib", "emlib.plotting", "emlib.widgets", "emlib.exercises",
           "ipykernel.ipkernel", "ipykernel.debugger")
READY = b"ready\n"
STREAMS = 3                         # stdin, stdout, stderr


def kernel_argv():
    """The command of a kernel forked from this process's zygote (started on first use).  Raises
    RuntimeError when the zygote cannot start (the caller then starts its kernels afresh)."""
    return [sys.executable, "-I", "-S", __file__, "launch", _socket(), "-f", "{connection_file}"]


def _socket():
    if "failed" in _zygote:                   # one that could not start is not tried again
        raise _zygote["failed"]
    if "process" in _zygote and _zygote["process"].poll() is not None:     # it died: start another
        stop()
    if "socket" not in _zygote:
        import atexit
        import shutil
        import subprocess
        import tempfile

        # short (a socket's path is at most 107 bytes), and a temporary folder: "tmp..." (tests/helpers.py)
        base = tempfile.gettempdir()
        folder = tempfile.mkdtemp(prefix="tmp-emlib-kernels-", dir=base if len(base) < 64 else "/tmp")
        path = os.path.join(folder, "zygote")
        process = subprocess.Popen([sys.executable, __file__, "serve", path], stdout=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL)
        if process.stdout.readline() != READY:
            process.wait()
            shutil.rmtree(folder, ignore_errors=True)
            _zygote["failed"] = RuntimeError(f"the kernel zygote ({__file__}) did not start: exit {process.returncode}")
            raise _zygote["failed"]

        def end():
            if process.poll() is None:
                process.kill()
                process.wait()
            shutil.rmtree(folder, ignore_errors=True)
        atexit.register(end)
        _zygote.update(socket=path, end=end, process=process)
    return _zygote["socket"]


def stop():
    """Stop this process's zygote, if it started one (the kernels it forked end with their launchers)."""
    if "end" in _zygote:
        _zygote.pop("end")()
        _zygote.clear()


def serve(path):
    """Import PRELOAD, listen on the Unix socket `path`, and fork a kernel for each launcher."""
    # What ipykernel itself sets before anything imports matplotlib (IPKernelApp.init_gui_pylab).
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    import contextlib
    import importlib
    import io
    before = dict(os.environ)
    # What an import writes to sys.stderr (debugpy warns that Python's frozen modules may hide
    # breakpoints) a fresh kernel sends on IOPub as it starts, before any cell: a client drops it.
    with contextlib.redirect_stderr(io.StringIO()):
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except ImportError:       # then the notebook that imports it fails as in a fresh kernel
                pass
    # What the imports set in the environment (scikit-learn KMP_DUPLICATE_LIB_OK and
    # KMP_INIT_AT_FORK, debugpy PYDEVD_USE_FRAME_EVAL, each only where it is not set), a fresh
    # kernel's imports set in its own: each kernel gets them too.
    set_by_imports = {name: value for name, value in os.environ.items() if before.get(name) != value}
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)        # the kernels need no reaping
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    listener.settimeout(1.0)
    sys.stdout.buffer.write(READY)
    sys.stdout.flush()
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            if os.getppid() != parent:        # the test process is gone (killed): so is the zygote
                return
            continue
        conn.settimeout(None)
        try:
            message, fds, _, _ = socket.recv_fds(conn, 1 << 20, STREAMS)
        except OSError:
            conn.close()
            continue
        if os.fork() == 0:
            listener.close()
            _become_kernel(conn, json.loads(message), fds, set_by_imports)      # never returns
        conn.close()
        for fd in fds:
            os.close(fd)


def _become_kernel(conn, request, fds, set_by_imports):
    """In the forked child: the launcher's folder, environment (and what the preloaded imports
    set in theirs) and streams, then ipykernel."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)       # the kernel's subprocesses are waited for
        for fd, std in zip(fds, range(STREAMS)):
            os.dup2(fd, std)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for name, value in set_by_imports.items():
            os.environ.setdefault(name, value)
        sys.path[0] = os.getcwd()             # as `python -m ipykernel_launcher` started here has it
        import importlib.util
        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *request["argv"]]
        conn.sendall(f"{os.getpid()}\n".encode())

        import threading

        def end_with_the_launcher():          # the launcher's end of the socket closed: it is gone
            conn.recv(1)
            os.kill(os.getpid(), signal.SIGKILL)
        threading.Thread(target=end_with_the_launcher, daemon=True).start()

        from ipykernel import kernelapp
        kernelapp.launch_new_instance()
    finally:
        os._exit(0)


def launch(path, argv):
    """The kernel command: ask the zygote at `path` for a kernel with the arguments `argv`; pass
    SIGINT and SIGTERM on to it; return when it has ended."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(conn, [json.dumps(request).encode()], list(range(STREAMS)))
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = conn.recv(64)
        if not chunk:
            return 1
        answer += chunk
    kernel = int(answer)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda s, _frame: os.kill(kernel, s))
    while conn.recv(64):                      # until the kernel's end of the socket closes
        pass
    return 0


if __name__ == "__main__":
    command, path, *rest = sys.argv[1:]
    if command == "serve":
        serve(path)
    else:
        sys.exit(launch(path, rest))
