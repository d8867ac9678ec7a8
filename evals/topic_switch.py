"""Builds a topic-change set from a bank split: each answerable, standalone question of the split
asked after an unrelated question of the same split (one about other articles), with that
question's reference answer as the assistant's turn.

    python -m evals.topic_switch [--split FILE] [--out FILE] [--seed N]

The bank's conversations are all follow-ups, so a rule that reads every message after the
previous question looks good on them; here it answers the earlier topic instead of the new one.
A follow-up rule should leave these answers as the questions get alone (docs/answering.md).
Items keep their key facts and category; ids get a "switch-" prefix.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from evals.datasets import EvalItem, load_dataset, write_dataset
from rag.schemas import Turn

BANK = Path(__file__).resolve().parent / "datasets" / "bank"
DEFAULT_SEED = 7


def topic_switches(items: list[EvalItem], seed: int = DEFAULT_SEED) -> list[EvalItem]:
    """Each answerable standalone item, with an earlier turn about other articles."""
    standalone = [i for i in items if i.answerable and not i.history]
    rng = random.Random(seed)
    out = []
    for item in standalone:
        unrelated = [o for o in standalone if not set(o.source_docs) & set(item.source_docs)] or [
            o for o in standalone if o.id != item.id
        ]
        earlier = rng.choice(unrelated)
        history = [
            Turn(role="user", content=earlier.question),
            Turn(role="assistant", content=earlier.reference_answer),
        ]
        out.append(item.model_copy(update={"id": f"switch-{item.id}", "history": history}))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.topic_switch", description=__doc__)
    parser.add_argument("--split", type=Path, default=BANK / "dev.jsonl")
    parser.add_argument("--out", type=Path, default=BANK / "dev-switch.jsonl")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    items = topic_switches(load_dataset(args.split, {}), args.seed)
    write_dataset(args.out, items)
    print(f"{len(items)} items -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
