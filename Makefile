# Two commands matter: `make demo` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
STUDENTS ?= 200000
YEARS ?= 3
WAREHOUSE ?= warehouse

export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: setup demo test bench ui docs lock clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@mkdir -p $(DAGSTER_HOME) && touch $(DAGSTER_HOME)/dagster.yaml
	@rm -f $(VENV)/.installed-* && touch $@

demo: setup
	$(BIN)/spt demo --warehouse $(WAREHOUSE)

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/pipeline_bench.py --students $(STUDENTS) --years $(YEARS)
	$(BIN)/python bench/sgp_bench.py
	$(BIN)/python bench/hostile_bench.py

ui: setup
	SPT_LANDING_DIR=$(CURDIR)/demo/landing SPT_WAREHOUSE_DIR=$(CURDIR)/$(WAREHOUSE) \
	SPT_BUILD_DB=$(CURDIR)/$(WAREHOUSE)/build.duckdb PATH=$(CURDIR)/$(BIN):$$PATH \
	$(BIN)/dagster dev -m orchestration.definitions

docs: setup
	@mkdir -p $(WAREHOUSE)
	cd dbt_project && SPT_BUILD_DB=$(CURDIR)/$(WAREHOUSE)/build.duckdb SPT_STUDENT_KEY_SECRET=docs-only ../$(BIN)/dbt docs generate --profiles-dir . --quiet
	@echo "dbt docs: $(CURDIR)/dbt_project/target/index.html (serve with: cd dbt_project && ../$(BIN)/dbt docs serve --profiles-dir .)"

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(WAREHOUSE) demo dbt_project/target dbt_project/logs .pytest_cache
