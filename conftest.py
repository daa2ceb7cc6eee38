"""Make `emlib` importable by the notebooks' kernels even when the project is not installed.

nbval starts each kernel as a new process: it does not see pytest's own sys.path, but it
inherits the environment, so the repository root goes on PYTHONPATH.
"""
import os
from pathlib import Path

import matplotlib

ROOT = str(Path(__file__).resolve().parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
# Figures in the unit tests render off-screen; the notebooks' kernels use their inline backend.
matplotlib.use("Agg")
