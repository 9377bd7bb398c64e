# The two commands a newcomer runs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench bench-full fuzz clean

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tierplan demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -n 2

# While working: everything but the slow, browser, cluster and signal tests (markers in
# pyproject.toml); `make test` runs them all and is what CI runs.
test-fast: $(STAMP)
	$(BIN)/pytest -q -n 2 -m "not slow and not browser and not cluster and not signals"

fuzz: $(STAMP)
	TIERPLAN_FUZZ_EXAMPLES=$${TIERPLAN_FUZZ_EXAMPLES:-3000} $(BIN)/pytest -q -n 2 tests/test_fuzz.py --hypothesis-show-statistics

# Benchmarks need the peer library too (PyJobShop). `make bench`: quick versions (about
# 15 minutes); `make bench-full`: every benchmark at its full size (hours).
$(VENV)/.bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev,bench]"
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/run_all.py --quick

bench-full: $(VENV)/.bench
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
