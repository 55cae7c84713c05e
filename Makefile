# GovShare: `make run` (app with SQLite + demo data on http://127.0.0.1:5000) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
export DATABASE_URL ?= sqlite:///$(CURDIR)/instance/govshare.db
# The demo and the tests run in development (demo keys, demo sign-ins); unset means production.
export GOVSHARE_ENV ?= development
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Browser libraries (bpmn-js, echarts) from npm, served by the app from node_modules; never committed.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

setup: $(STAMP) $(NPM_STAMP)

run: $(STAMP) $(NPM_STAMP)
	mkdir -p instance
	$(BIN)/govshare db upgrade
	$(BIN)/govshare demo seed
	$(BIN)/govshare serve --host $(HOST) --port $(PORT)

test: $(STAMP) $(NPM_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/calendar_bench.py
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/catalog_search_bench.py
	$(BIN)/python bench/inbox_bench.py
	$(BIN)/python bench/decision_bench.py
	$(BIN)/python bench/gateway_bench.py
	$(BIN)/python bench/http_bench.py

clean:
	rm -rf $(VENV) node_modules instance/*.db* instance/audit-checkpoints.jsonl .pytest_cache .ruff_cache .mypy_cache
