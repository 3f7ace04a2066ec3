# Two commands on a fresh clone: `make run` and `make test`. Both create .venv and install on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000

# The data dir; the Dagster home is derived from it by the CLI (<MDW_DATA_DIR>/dagster_home) unless
# DAGSTER_HOME is set, so `MDW_DATA_DIR=/elsewhere make run` keeps everything under /elsewhere.
export MDW_DATA_DIR ?= $(CURDIR)/data

.PHONY: run test test-fast lint test-e2e ui sql bench backfill clean install

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s); set PYTHON=python3.x" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# PYTHONWARNINGS: setuptools prints an "InformationOnly" note on every editable install; nothing to act on
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## The main job on the bundled data: land, parse, model; prints a summary.
run: $(STAMP)
	$(BIN)/mdw run

## The linters (ruff; the import contracts: imports point down, the core knows nothing of Dagster), then the
## test suite (hermetic: temp dirs, loopback HTTP only), the browser test of the UI included.
test: lint
	@scripts/ensure-chromium.sh
	$(BIN)/python -m pytest

## The inner loop: the linters and every test but the end-to-end ones (no browser, no CLI subprocesses).
test-fast: lint
	$(BIN)/python -m pytest -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check dagster_project tests bench scripts
	$(BIN)/lint-imports

## Only the end-to-end tests: the CLI in subprocesses, crashes and concurrent runs, the UI in a real browser.
test-e2e: $(STAMP)
	@scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -m e2e

## The Dagster UI on 127.0.0.1:$(PORT) with the project's Dagster home (runs from `make run` show up).
ui: $(STAMP)
	$(BIN)/mdw ui --port $(PORT)

## The DuckDB CLI on the warehouse catalog (read-only: it never blocks a run; on an S3 lake it loads httpfs and reads the AWS_* variables).
sql: $(STAMP)
	$(BIN)/mdw sql

## Every bundled history through the partitioned assets, their checks and the models: the ECB's 27 years and the
## central banks' recordings (Taiwan's from 1993 is loaded from 1999, the first month partition), 334 months in 3 runs.
backfill: $(STAMP)
	$(BIN)/mdw backfill --from 1999-01-04 --to 2026-10-30

## Benchmark: history at scale, Dagster on Postgres vs SQLite, N parallel runs vs one, the lake on S3 vs local disk, against the Dagster floor, a bare DuckDB script, pandas, currencyconverter; scale 1x/4x/16x; bench/results.md records how long the last run took.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.run

clean:
	rm -rf "$(MDW_DATA_DIR)/warehouse" "$(MDW_DATA_DIR)/parsed_inputs" "$(MDW_DATA_DIR)/raw" "$(MDW_DATA_DIR)/dagster_home" "$(MDW_DATA_DIR)/warehouse.duckdb" "$(MDW_DATA_DIR)/warehouse.duckdb.wal" "$(MDW_DATA_DIR)/warehouse.duckdb.stamp"
