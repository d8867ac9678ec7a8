"""`python -m evals` is `career-rag eval`."""

from __future__ import annotations

import argparse

from evals.cli import add_arguments, run

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m evals", description="Score answer quality.")
    add_arguments(parser)
    raise SystemExit(run(parser.parse_args()))
