# The same commands for people and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run unit test check format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/pickpost demo

# The fast tier: pure unit tests and the buyer fixtures, no sockets, no databases (seconds).
unit: setup
	$(BIN)/pytest -q tests/unit tests/buyers

test: setup
	$(BIN)/pytest

check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/pickpost bench --overload-rate 400 --json docs/bench/results.json --plot docs/bench/overhead.png

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/*.db .pytest_cache .mypy_cache .ruff_cache
