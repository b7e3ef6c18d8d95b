# Two commands a new machine needs: `make run` (set up, index, web chat) and `make test`.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run chat test eval bench load
setup:
	bash scripts/setup.sh

run: setup
	$(BIN)/amzn-qa ingest
	$(BIN)/amzn-qa serve

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

# A question never builds the index: the targets that ask ingest first (nothing is re-embedded
# when nothing changed).
eval: setup
	$(BIN)/amzn-qa ingest
	$(BIN)/amzn-qa eval

chat: setup
	$(BIN)/amzn-qa ingest
	$(BIN)/amzn-qa chat

bench: setup
	$(BIN)/python scripts/benchmark.py
	$(BIN)/python scripts/bench_ingest.py

load: setup
	$(BIN)/amzn-qa ingest
	$(BIN)/python scripts/loadtest.py
