# Two commands do the whole set-up on a fresh machine (Python >= 3.10 with venv):
#   make lab    create .venv on first use, then open the lessons in JupyterLab
#   make test   create .venv on first use, then run the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: lab test test-oldest figures bench student clean

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

clean:
	rm -rf $(VENV) .venv-oldest build *.egg-info
