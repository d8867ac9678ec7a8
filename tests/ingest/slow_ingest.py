"""`ingest.cli` with a slow fake embedder that writes its call count to a file: for kill tests.

Run as `python -m tests.ingest.slow_ingest --corpus DIR --data-dir DIR --marker FILE`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ingest.cli import add_arguments, run
from tests.fakes import FakeEmbedder


class SlowEmbedder(FakeEmbedder):
    """Reports each call in `marker`, then sleeps, so a test can kill the process mid-embedding."""

    def __init__(self, marker: Path, delay: float) -> None:
        super().__init__()
        self.marker = marker
        self.delay = delay

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = super().embed(texts)
        self.marker.write_text(str(self.calls))
        time.sleep(self.delay)
        return vectors


def main() -> int:
    parser = argparse.ArgumentParser(prog="slow_ingest")
    add_arguments(parser)
    parser.add_argument("--marker", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.5)
    args = parser.parse_args()
    return run(args, embedder=SlowEmbedder(args.marker, args.delay))


if __name__ == "__main__":
    sys.exit(main())
