"""Test-wide settings: the notebooks' kernels find `emlib`, and BLAS uses one thread.

nbval starts each kernel as a new process: it does not see pytest's own sys.path, but it
inherits the environment, so the repository root goes on PYTHONPATH.

One BLAS thread per process: `make test` runs two processes on this project's two-core
machines, and OpenBLAS's own threads on top of them slow small triangular solves a
hundredfold.  The results do not depend on it (the suite also passes with
OPENBLAS_NUM_THREADS=2); set the variables yourself to override.
"""
import os
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import matplotlib  # noqa: E402  (after the thread settings: it imports numpy)
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(limits=int(os.environ["OPENBLAS_NUM_THREADS"]))
# Figures in the unit tests render off-screen; the notebooks' kernels use their inline backend.
matplotlib.use("Agg")
