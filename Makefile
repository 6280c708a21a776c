# xmpi developer commands. Only Python >= 3.11 is needed: every target creates .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# setuptools prints an "Editable installation." notice (information only, with a banner) for
# every editable install of a project with a package-dir mapping; a plain `pip install .`
# prints nothing. Silence only that notice, by its message.
PIP    := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip --disable-pip-version-check -q

# The demo, the test suite and the docs build start many Python processes (pytest-xdist
# workers, command-line and benchmark subprocesses, notebook kernels): they write bytecode
# caches (__pycache__/) even when the environment sets PYTHONDONTWRITEBYTECODE (an empty value
# turns it off), so the package's modules are compiled once, not by every process, and pytest
# rewrites each test module once. (pip --no-compile was tried: the install took 16 s instead
# of 41 s, but make test as a whole got slower, 6:47 against 6:39, as every worker then
# compiled the libraries it imports.)
demo test docs bench: export PYTHONDONTWRITEBYTECODE :=

.PHONY: demo test docs bench lint clean venv

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "xmpi needs Python >= 3.11; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

venv: $(BIN)/python

# one stamp per set of extras, redone when pyproject.toml changes
$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@
$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[test]"
	@touch $@
$(VENV)/.docs: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[test,docs]"
	@touch $@

## demo: the command line on the bundled data (what a poverty office runs on its own files):
## the person-weighted global MPI of the latest survey round by region with design-based CIs
## (report/report.html, report.xlsx, tables/, charts/), the change between the two rounds
## (report/change/) and the registry panel's dynamics (report/panel/)
demo: $(VENV)/.core
	$(BIN)/mpi datasets export dhs_rounds report/data
	$(BIN)/mpi datasets export registry_panel report/data
	$(BIN)/mpi measure report/data/dhs_rounds.csv --spec global_mpi_2018 --weight weight --size hh_size --by region --query "round == 2020" --strata stratum --psu psu --out report
	$(BIN)/mpi change report/data/dhs_rounds.csv --spec global_mpi_2018 --rounds round --weight weight --size hh_size --strata stratum --psu psu --out report/change
	$(BIN)/mpi panel report/data/registry_panel.csv --spec china_2b3g --unit unit --time time --weight weight --by county --bootstrap 200 --seed 2020 --monitor-line monitoring_line --monitor-income income_per_capita --monitor-start 2020 --monitor-exited poverty_status --monitor-exited-values exited --monitor-labour labour_capacity --monitor-events shock_illness,shock_disaster --out report/panel
	@echo "open report/report.html (survey), report/change/report.html, report/panel/report.html"

## test: the layer contracts (import-linter), then the test suite (unit, oracle, property,
## reference, doc-example, architecture and docstring tests) on every core (pytest-xdist)
test: $(VENV)/.test
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n auto

## docs: the Sphinx site (tutorials executed), warnings are errors
docs: $(VENV)/.docs
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

## bench: timings against X.sum(), plain numpy and pandas (see benchmarks/README.md)
bench: $(VENV)/.core
	$(BIN)/python benchmarks/run.py

lint: $(VENV)/.test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) report docs/_build docs/api/generated .pytest_cache .hypothesis
