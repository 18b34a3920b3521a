# hubnet: `make demo` runs the whole network, `make test` runs the tests.
# Both create .venv and install what they need the first time.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hubnet-installed

.PHONY: demo test lint format bench clean help

help:
	@echo "make demo              run an aggregator and three hubs on this machine (Ctrl-C stops)"
	@echo "make demo ARGS=--once  do the round trip, print the national top 10, exit"
	@echo "make test              run the test suite (SQLite; set HUBNET_TEST_DATABASE_URL for PostgreSQL)"
	@echo "make lint              ruff and mypy --strict on federation/"
	@echo "make bench             run the benchmarks under bench/"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hubnet needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hubnet demo $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/summary.py

clean:
	rm -rf var/demo .pytest_cache .ruff_cache .mypy_cache
