# One-word commands; `make ci` runs exactly what CI runs (.ci/run) in a fresh environment.
PYTHON ?= python3
BIN ?= .venv/bin

.PHONY: install lint format test bench ci

install:
	$(PYTHON) -m venv .venv
	$(BIN)/pip install -e ".[test,dev]"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict langchain_bedrock_claude

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test:
	$(BIN)/pytest

bench:
	$(BIN)/python -m benchmarks

ci:
	bash .ci/run
