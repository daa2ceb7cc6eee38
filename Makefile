# Two commands do the whole set-up on a fresh machine (Python >= 3.10 with venv):
#   make lab    create .venv on first use, then open the lessons in JupyterLab
#   make test   create .venv on first use, then run the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# The folder JupyterLab opens (make lab LESSONS=notebooks/student/: the student edition), and
# further arguments for it, e.g. make lab LAB_ARGS="--port 8890 --no-browser"
LESSONS  ?= notebooks/
LAB_ARGS ?=
# JupyterLab refuses to run as root (containers, classroom images) unless told it may.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test test-oldest figures bench student html slides clean

# pip -qq: its errors only (the editable install's notes and index warnings are not news).
$(STAMP): pyproject.toml $(PIP_CONSTRAINT)
	@echo "Setting up $(VENV) with $(PYTHON): pip installs emlib and the packages it needs (about a minute, once)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[test]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_ROOT) $(LAB_ARGS) $(LESSONS)

# Unit tests and every notebook through nbval, on both cores (a file or notebook stays on one
# worker, and the browser tests all on one; conftest.py hands out the longest first, and
# --no-loadscope-reorder keeps that order).
# Only the plugins the suite uses: xdist here, nbval from conftest.py.  pytest rewrites the
# asserts of every module of every installed plugin's package when it is imported, and each
# worker imported hypothesis's and anyio's 130 modules that way (2 s each, on every run).
test: $(STAMP)
	PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(BIN)/python -m pytest -p xdist.plugin -n 2 --dist loadfile \
	  --no-loadscope-reorder $(PYTEST_ARGS)

# The same suite with the oldest numpy, scipy and matplotlib that pyproject.toml allows and that
# have wheels for this Python (tests/oldest/constraints-X.Y.txt); it refuses, before installing
# anything, a Python without such a file.  PYTHON=python3.12 make test-oldest picks another Python.
PYTHON_VERSION = $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
OLDEST_PYTHONS = $(patsubst tests/oldest/constraints-%.txt,%,$(wildcard tests/oldest/constraints-*.txt))
comma := ,
test-oldest:
	@test -f tests/oldest/constraints-$(PYTHON_VERSION).txt || { \
	  echo "make test-oldest: no oldest versions are known for Python $(PYTHON_VERSION) ($(PYTHON));" \
	       "it runs on Python $(subst $() ,$(comma) ,$(OLDEST_PYTHONS)), e.g. PYTHON=/path/to/python$(lastword $(OLDEST_PYTHONS)) make test-oldest" >&2; \
	  exit 2; }
	$(MAKE) test VENV=.venv-oldest-$(PYTHON_VERSION) PIP_ONLY_BINARY=numpy,scipy,matplotlib \
	  PIP_CONSTRAINT=$(CURDIR)/tests/oldest/constraints-$(PYTHON_VERSION).txt

figures: $(STAMP)
	$(BIN)/python -m emlib.figures figures

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_em.py

# The student edition, notebooks/student/, from the solution notebooks: solution cells stubbed,
# executed (so that nbval proves they run), then given their slide types (which depend on the
# outputs). Run it after editing a solution notebook; tests/test_student_edition.py fails until then.
# The edition as it was is kept in build/student-stored, so that a cell whose outputs show the
# same keeps its stored ones (run_notebooks.py --stored): an unchanged edition stays unchanged.
student: $(STAMP)
	rm -rf build/student-stored && mkdir -p build && cp -R notebooks/student build/student-stored
	$(BIN)/python tools/make_student.py
	$(BIN)/python tools/run_notebooks.py --stored build/student-stored notebooks/student/[0-9][0-9]_*.ipynb
	$(BIN)/python tools/slide_metadata.py notebooks/student/[0-9][0-9]_*.ipynb

# The classroom editions, offline, each in two folders: student/ (from notebooks/student/: no
# solutions, no speaker notes; the one to copy to a class machine) and instructor/ (from notebooks/:
# solutions, speaker notes). build/html: one page per lesson and index.html; build/slides: reveal.js
# decks for a 1280 x 720 projector. Needs node and npm: MathJax and reveal.js come from the npm
# registry, pinned by tools/web/package-lock.json, installed once into build/web. Nothing is executed.
html: $(STAMP)
	$(BIN)/python tools/build_web.py html --out build/html

slides: $(STAMP)
	$(BIN)/python tools/build_web.py slides --out build/slides

clean:
	rm -rf $(VENV) .venv-oldest-* build *.egg-info
