"""`python -m api`: the same as `career-rag serve`."""

from __future__ import annotations

import argparse

from api.cli import add_arguments, run

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the chat API.")
    add_arguments(parser)
    raise SystemExit(run(parser.parse_args()))
