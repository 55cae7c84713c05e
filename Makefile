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

.PHONY: run test setup lint format bench clean lock upgrade dist messages

# Every Python package from the hashed lock (requirements/dev.lock: the app's and the tools'), nothing resolved
# on install day; then GovShare itself, editable, built with the locked setuptools.
$(STAMP): pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# After a change of pyproject.toml's dependencies: the locks again, keeping every version that still fits.
# `make upgrade`: every package to the newest its range allows (then run make test).
LOCK_ARGS := --generate-hashes --universal --python-version 3.11 --custom-compile-command "make lock" --quiet
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_ARGS) -o requirements/runtime.lock $(UPGRADE)
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_ARGS) -o requirements/dev.lock $(UPGRADE)

upgrade:
	$(MAKE) lock UPGRADE=--upgrade

# The pages' texts for a translation (the UI is Chinese only today: README, Languages).
messages: $(STAMP)
	mkdir -p dist
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o dist/messages.pot .

# A release for hosts without any registry (#32): dist/release/wheels holds the GovShare wheel (browser files
# inside) and a wheel of every locked runtime dependency. On the host:
#   python3 -m venv /opt/govshare && /opt/govshare/bin/pip install --no-index --find-links wheels govshare
# then `govshare db upgrade` and the systemd units of deploy/ (README, Production).
dist: $(STAMP) $(NPM_STAMP)
	rm -rf dist/release build app/vendor
	mkdir -p dist/release/wheels
	$(BIN)/python scripts/bundle_vendor.py
	$(BIN)/pip wheel --quiet --no-deps --no-build-isolation -w dist/release/wheels .
	rm -rf app/vendor build
	$(BIN)/pip wheel --quiet --require-hashes --no-deps -r requirements/runtime.lock -w dist/release/wheels
	cp -r deploy requirements/runtime.lock dist/release/
	@ls dist/release/wheels | wc -l | xargs echo "wheels:"

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
