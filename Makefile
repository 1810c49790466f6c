# Two commands from a fresh machine:  `make demo`  and  `make test`.
# Each creates the virtual environment it needs (Python 3.11+ and pip are all it assumes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test test-fast typecheck bench bench-national clean

# Python keeps the byte code it compiles (and pytest its rewritten test modules), so the test workers, the
# subprocesses the tests start and each demo command reuse what the first process compiled; an environment
# that sets PYTHONDONTWRITEBYTECODE made every one of them compile the whole package again (~2.7 s each).
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench,spark]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash examples/demo.sh

# mypy's default checks on src/totalplace, as [tool.mypy] in pyproject.toml sets them (cached in .mypy_cache).
typecheck: $(STAMP)
	$(BIN)/python -m mypy

# Type checking first; then the browser tests drive Debian's chromium, the Spark parity tests
# need Java 17, and the PostgreSQL tests start their own throwaway server. loadfile keeps the
# Spark file on one worker (its fixture built once); tests/support/suite.py puts it first, and
# --no-loadscope-reorder keeps it there (xdist would otherwise start the files with most tests first).
test: $(STAMP) typecheck
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-java.sh
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# The quick check for your own loop: everything but the Spark, browser, PostgreSQL and slow tests
# (README, "Tests"), each property with a fifth of its examples, at least 10 (tests/support/properties.py).
# loadfile keeps each file on one worker, so a module's fixture is built once.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not spark and not browser and not postgres and not slow" --hypothesis-profile fast

# Each benchmark prints its figures and its ratio against a baseline measured in the same run.
BENCHMARKS := run topdown cohort appraisal estate web_load unit_costs

bench: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	test -d demo/bradford || $(MAKE) demo
	for b in $(BENCHMARKS); do echo "== benchmarks/$$b.py"; $(BIN)/python benchmarks/$$b.py || exit 1; done

# Not in `bench`: issue 8's national scale (100M lines, 10M people, 200M events; about 6 GB of
# Parquet under /tmp, removed afterwards) takes an hour or more on 2 cores. Needs Java 17.
bench-national: $(STAMP)
	bash scripts/ensure-java.sh
	$(BIN)/python benchmarks/national.py

clean:
	rm -rf $(VENV) demo
