# Tuanyuan Portal. `make run` serves the demo; `make test` runs the whole suite; `make bench` measures it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test test-sqlite test-postgres translations browser-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.runtime-installed

translations: $(VENV)/.runtime-installed
	$(BIN)/python scripts/i18n.py

## run: install, migrate, load the demo data, start the outbound worker, serve on http://127.0.0.1:$(PORT)
run: translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data
	PORT=$(PORT) scripts/run-dev.sh

browser-deps: node_modules/.installed
	scripts/ensure-browser.sh

# The Nu HTML Checker (vnu.jar) for the page-validity tests; they are skipped, saying why, without npm.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the Nu HTML Checker tests will be skipped"; fi

## test: the whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set
test: $(VENV)/.test-installed browser-deps
	$(BIN)/python scripts/i18n.py --check
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== SQLite pass (browser and concurrency tests run in the PostgreSQL pass) =="; \
	  env -u TEST_DATABASE_URL $(BIN)/python -m pytest -m "not slow" -q -p no:cacheprovider tests && \
	  echo "== PostgreSQL pass: $$TEST_DATABASE_URL ==" && \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests; \
	else \
	  echo "== SQLite pass (set TEST_DATABASE_URL to also run on PostgreSQL) =="; \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests; \
	fi

## bench: measure the portal against a bare Flask floor under gunicorn on PostgreSQL (README: Performance).
## Not part of make test or CI. BENCH_DATABASE_URL, BENCH_REDIS_URL: see bench/run.py.
bench: translations
	bench/ensure-wrk.sh
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance test-artifacts node_modules
