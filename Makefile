# Two commands do the whole set-up on a fresh machine (Python >= 3.10 with venv):
#   make lab    create .venv on first use, then open the lessons in JupyterLab
#   make test   create .venv on first use, then run the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: lab test test-oldest figures bench student html slides clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# Unit tests and every notebook through nbval, on both cores (a notebook stays on one worker).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# The same suite with the oldest numpy, scipy and matplotlib that pyproject.toml allows.
test-oldest:
	$(MAKE) test VENV=.venv-oldest PIP_CONSTRAINT=$(CURDIR)/tests/oldest-constraints.txt

figures: $(STAMP)
	$(BIN)/python -m emlib.figures figures

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_em.py

# The student edition, notebooks/student/, from the solution notebooks: solution cells stubbed,
# executed (so that nbval proves they run), then given their slide types (which depend on the
# outputs). Run it after editing a solution notebook; tests/test_student_edition.py fails until then.
student: $(STAMP)
	$(BIN)/python tools/make_student.py
	$(BIN)/python tools/run_notebooks.py notebooks/student/[0-9][0-9]_*.ipynb
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
	rm -rf $(VENV) .venv-oldest build *.egg-info
