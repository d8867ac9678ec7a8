"""Splits a question bank into dev and test halves, stratified by category, by a fixed seed.

    python -m evals.split bank-a.jsonl bank-b.jsonl --out evals/datasets/bank --seed 20261123

Within each category the items are shuffled with the seed and dealt alternately to test and dev,
so every category is in both halves in about equal numbers. The test half is frozen once written:
its sha256 is recorded in evals/baselines/gate.json and the gate fails if the file changes.
Tuning reads only dev.jsonl.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from evals.datasets import DatasetError, EvalItem, load_dataset, write_dataset

DEFAULT_SEED = 20261123


def split(
    items: Sequence[EvalItem], seed: int = DEFAULT_SEED
) -> tuple[list[EvalItem], list[EvalItem]]:
    """(dev, test): each category shuffled by `seed`, then dealt test, dev, test, dev..."""
    by_category: dict[str, list[EvalItem]] = defaultdict(list)
    for item in items:
        by_category[item.category or "uncategorised"].append(item)
    rng = random.Random(seed)
    dev: list[EvalItem] = []
    test: list[EvalItem] = []
    for category in sorted(by_category):
        group = sorted(by_category[category], key=lambda i: i.id)
        rng.shuffle(group)
        for position, item in enumerate(group):
            (test if position % 2 == 0 else dev).append(item)
    return sorted(dev, key=lambda i: i.id), sorted(test, key=lambda i: i.id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.split", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("files", nargs="+", type=Path, help="JSONL bank files to split")
    parser.add_argument("--out", type=Path, required=True, help="folder for dev.jsonl, test.jsonl")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    seen: dict[str, str] = {}
    try:
        items = [item for path in args.files for item in load_dataset(path, seen)]
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dev, test = split(items, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, part in (("dev", dev), ("test", test)):
        write_dataset(args.out / f"{name}.jsonl", part)
    print(f"{len(dev)} dev, {len(test)} test items in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
