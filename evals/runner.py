"""Runs question-answering systems over eval items and scores them side by side.

`run_questions` asks any object with the Assistant's `ask` signature; `evaluate` scores the
system (and the baseline, the negative controls and the optional judge) into one summary dict.
Building the real components and writing files are left to `evals.cli` and `evals.report`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evals.controls import CONTROLS, check, check_sentences
from evals.datasets import EvalItem
from evals.metrics import StoredChunk
from evals.results import ResultRow
from evals.scoring import score_rows, summarize
from rag.embedding import Embedder
from rag.schemas import Answer, Turn


class Asker(Protocol):
    """Anything that answers like `rag.Assistant.ask`."""

    def ask(
        self, question: str, history: Sequence[Turn] = (), top_k: int | None = None
    ) -> Answer: ...


@dataclass
class SystemRun:
    """One system's answers and the index its citations are checked against."""

    name: str
    rows: list[ResultRow]
    chunks: Mapping[str, StoredChunk]
    seconds: float
    articles: Mapping[str, str] | None = None  # text by doc id, for the verbatim-quote check
    records: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def run_questions(
    asker: Asker,
    items: Sequence[EvalItem],
    *,
    label: str = "system",
    top_k: int | None = None,
    console: Console | None = None,
    show_progress: bool = True,
) -> list[ResultRow]:
    """Ask every item's question once, timing each; an exception becomes an error row (scored
    as a failure) rather than stopping the run or vanishing from it."""
    rows: list[ResultRow] = []
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=console or Console(stderr=True),
        disable=not show_progress,
        transient=False,
    )
    with progress:
        task = progress.add_task(label, total=len(items), current="")
        for item in items:
            progress.update(task, current=item.id)
            start = time.perf_counter()
            try:
                answer = asker.ask(item.question, item.history, top_k=top_k)
                error = None
            except Exception as exc:  # a failing question must show up in the report, not abort it
                answer = Answer(answer="", refused=False)
                error = f"{type(exc).__name__}: {exc}"
            latency_ms = (time.perf_counter() - start) * 1000.0
            rows.append(
                ResultRow(
                    **answer.model_dump(),
                    id=item.id,
                    question=item.question,
                    latency_ms=round(latency_ms, 1),
                    dataset=item.dataset,
                    error=error,
                )
            )
            progress.advance(task)
    return rows


def score_run(run: SystemRun, items: Sequence[EvalItem], embedder: Embedder, k: int) -> SystemRun:
    run.records = score_rows(items, run.rows, run.chunks, embedder, k, run.articles)
    run.summary = summarize(items, run.records)
    return run


def run_controls(
    system: SystemRun, items: Sequence[EvalItem], embedder: Embedder, k: int
) -> list[dict[str, Any]]:
    """Score every negative control built from the system's own answers. A control that needs
    model-written sentences is not applicable to a run that only quotes (backend "none")."""
    verdicts: list[dict[str, Any]] = []
    quotes_only = all((r.backend or "none") == "none" for r in system.rows)
    for control in CONTROLS:
        if control.needs_model and quotes_only:
            continue
        rows = control.build(items, system.rows)
        records = score_rows(items, rows, system.chunks, None, k, system.articles)
        if control.per_sentence:
            found = check_sentences(control, system.records, records)
        else:
            found = check(control, system.summary["overall"], summarize(items, records)["overall"])
        verdicts.extend({**v, "description": control.description} for v in found)
    return verdicts


def evaluate(
    items: Sequence[EvalItem],
    system: SystemRun,
    embedder: Embedder,
    *,
    k: int,
    baseline: SystemRun | None = None,
    judge: Callable[[Sequence[EvalItem], Sequence[ResultRow]], dict[str, Any]] | None = None,
    config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Score the system (and baseline), the controls and the judge into the summary dict."""
    runs = [r for r in (system, baseline) if r is not None]
    for run in runs:
        score_run(run, items, embedder, k)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.dataset] = counts.get(item.dataset, 0) + 1
    summary: dict[str, Any] = {
        "config": {**(config or {}), "k": k, "items": len(items), "datasets": counts},
        "systems": {run.name: {"seconds": round(run.seconds, 1), **run.summary} for run in runs},
        "controls": run_controls(system, items, embedder, k),
    }
    if judge is not None:
        summary["judge"] = {run.name: judge(items, run.rows) for run in runs}
    return summary
