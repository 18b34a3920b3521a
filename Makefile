# hubnet: `make demo` runs the whole network, `make test` runs the tests.
# Both create .venv and install what they need the first time.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hubnet-installed

.PHONY: demo test lint format bench clean help chromium assets

help:
	@echo "make demo              run an aggregator and three hubs on this machine (Ctrl-C stops)"
	@echo "make demo ARGS=--once  do the round trip, print the national top 10, exit"
	@echo "make test              run the test suite (SQLite; set HUBNET_TEST_DATABASE_URL for PostgreSQL)"
	@echo "make lint              ruff and mypy --strict on federation/"
	@echo "make bench             run the benchmarks under bench/"
	@echo "make assets            refresh the NHS.UK frontend vendored under hub/static/nhsuk/ (needs npm)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hubnet needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hubnet demo $(ARGS)

# One worker per core; each test file stays on one worker, so its module fixtures start once.
# ARGS adds pytest options, e.g. make test ARGS="-n0 tests/hub" runs one folder in one process.
test: $(STAMP) chromium
	$(BIN)/python -m pytest -n auto --dist loadfile $(ARGS)

# The page tests drive a real browser: Debian's Chromium, installed if missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Chromium for the browser tests (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: install it (e.g. sudo apt-get install chromium) and run make test again"; \
	    exit 1; \
	  fi; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/summary.py
	$(BIN)/python bench/national.py

# The NHS.UK frontend (CSS, JS, icons) is vendored and committed; this refreshes it from npm.
assets:
	tools/assets.sh

clean:
	rm -rf var/demo .pytest_cache .ruff_cache .mypy_cache
