# Tuanyuan Portal. `make run` serves the demo; `make test` runs the whole suite; `make bench` measures it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test test-sqlite test-postgres lint lock translations translations-update translations-check browser-deps pdf-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs come from the locks, every file checked against its hash (README: Dependencies and
# checks). The stamps skip an install that is already done; changing a lock installs again.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.txt
	touch $@ $(VENV)/.runtime-installed

## lock: compile requirements*.in into the locks with hashes; UPGRADE="-P NAME" upgrades NAME, UPGRADE=-U everything
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(UPGRADE)
lock: $(VENV)/.test-installed
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) requirements-test.in -o requirements-test.txt

## lint: ruff (pyproject.toml [tool.ruff]), mypy ([tool.mypy]) and the layer contracts (.importlinter); make test runs it
lint: $(VENV)/.test-installed
	$(BIN)/ruff check portal tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

## translations: compile each language's messages.po into the messages.mo the app reads (not committed)
translations: $(VENV)/.runtime-installed
	$(BIN)/pybabel compile -d translations

## translations-update: after adding or changing a string: regenerate messages.po from the code (README: Translations)
translations-update: $(VENV)/.runtime-installed
	$(BIN)/python scripts/translations.py update

## translations-check: fail, naming them, if a string lacks its Chinese or messages.po is stale against the code
translations-check: $(VENV)/.runtime-installed
	$(BIN)/python scripts/translations.py check

## run: install, migrate, load the demo data, start the outbound worker, serve on http://127.0.0.1:$(PORT)
run: translations pdf-deps
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data
	PORT=$(PORT) scripts/run-dev.sh

browser-deps: node_modules/.installed
	scripts/ensure-browser.sh

## pdf-deps: the Debian libraries and fonts WeasyPrint needs for PDF case files (docs/pdf.md); installed when root
pdf-deps:
	@scripts/ensure-pdf-deps.sh

# The Nu HTML Checker (vnu.jar) for the page-validity tests; they are skipped, saying why, without npm.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the Nu HTML Checker tests will be skipped"; fi

# pytest in PYTEST_WORKERS processes (pytest-xdist; 0: in this one). Each worker has its own
# database; tests that share something else run in one worker (tests/conftest.py: XDIST_GROUPS).
PYTEST_WORKERS ?= 2
PYTEST = $(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadgroup

## test: lint, then the whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set
test: $(VENV)/.test-installed browser-deps pdf-deps lint
	$(BIN)/python scripts/translations.py check
	$(BIN)/pybabel compile -d translations
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== SQLite pass (browser and concurrency tests run in the PostgreSQL pass) =="; \
	  env -u TEST_DATABASE_URL $(PYTEST) -m "not slow" tests && \
	  echo "== PostgreSQL pass: $$TEST_DATABASE_URL ==" && \
	  $(PYTEST) tests; \
	else \
	  echo "== SQLite pass (set TEST_DATABASE_URL to also run on PostgreSQL) =="; \
	  $(PYTEST) tests; \
	fi

## bench: measure the portal against a bare Flask floor under gunicorn on PostgreSQL (README: Performance).
## Not part of make test or CI. BENCH_DATABASE_URL, BENCH_REDIS_URL: see bench/run.py.
bench: translations
	bench/ensure-wrk.sh
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance test-artifacts node_modules
