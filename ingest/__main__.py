"""`python -m ingest`: the same command as `career-rag ingest`."""

from __future__ import annotations

import argparse
import sys

from ingest.cli import add_arguments, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
