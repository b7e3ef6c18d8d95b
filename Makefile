# Two commands a new machine needs: `make run` (set up, index, chat) and `make test`.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test eval bench
setup:
	bash scripts/setup.sh

run: setup
	$(BIN)/amzn-qa ingest
	$(BIN)/amzn-qa chat

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

eval: setup
	$(BIN)/amzn-qa eval

bench: setup
	$(BIN)/python scripts/benchmark.py
