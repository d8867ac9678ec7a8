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

.PHONY: setup system-deps run ingest serve test test-fast eval lint typecheck bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip wheel setuptools
	# The CPU build of torch first, so nothing later pulls the CUDA one.
	$(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e '.[dev]'
	touch $(STAMP)

# Chromium and its driver for the browser test (Debian packages; needs root, as on CI).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

ingest: setup
	$(BIN)/career-rag ingest

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

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
