# Two entry points for a newcomer: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KEDRO_DISABLE_TELEMETRY := 1

.PHONY: install run test lint viz viz-build benchmark clean-data

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/kedro run

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

viz: install
	$(BIN)/kedro viz run --no-browser --host 127.0.0.1

viz-build: install
	$(BIN)/kedro viz build --include-previews

benchmark: install
	$(BIN)/python benchmarks/run_benchmarks.py
