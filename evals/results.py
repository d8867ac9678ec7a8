"""The shape of one evaluated question (`results.jsonl`): an Answer plus id, question, latency."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from rag.schemas import Answer


class ResultRow(Answer):
    """One line of results.jsonl. `error` is set when the system raised instead of answering; the
    row then scores as a failure on every metric instead of being dropped."""

    id: str
    question: str
    latency_ms: float
    dataset: str = ""
    error: str | None = None


def write_results(path: Path, rows: Iterable[ResultRow]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(row.model_dump_json() + "\n")


def read_results(path: Path) -> list[ResultRow]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(ResultRow.model_validate(json.loads(line)))
    return rows
