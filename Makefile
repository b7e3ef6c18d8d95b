# Two commands a new machine needs: `make run` (set up, index, web chat) and `make test`.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run chat test test-fast eval bench load
setup:
	bash scripts/setup.sh

run: setup
	$(BIN)/amzn-qa ingest
	$(BIN)/amzn-qa serve

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The tests that load neither the local LLM nor the embedder, in about a minute (README "Tests
# and CI"); CI runs `make test`, all of them. Both run in two workers (pyproject's addopts).
test-fast: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not llm and not embedder"

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
