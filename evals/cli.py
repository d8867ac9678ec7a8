"""`career-rag eval`: build what is missing, answer every question, score, report, gate.

Wires the real components (index, Assistant, baseline, judge) and hands them to `evals.runner`;
the metrics, reports and gate live in their own modules. Exit codes: 0 ok, 1 a gate failed,
2 a dataset or option is invalid, otherwise the domain error's own code.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from evals.controls import failures as control_failures
from evals.datasets import DEFAULT_DATASETS, DatasetError, EvalItem, load_datasets
from evals.gate import THRESHOLDS_PATH, check_gates, describe_failures, load_thresholds
from evals.index import article_texts, ensure_index, index_chunks
from evals.report import SYSTEM, fmt, write_report
from evals.results import ResultRow, read_results
from evals.runner import SystemRun, evaluate, run_questions
from evals.scoring import METRICS
from rag.config import Settings, get_settings
from rag.errors import CareerRagError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        action="append",
        metavar="FILE",
        help=f"JSONL dataset (repeatable); default: {', '.join(DEFAULT_DATASETS)}",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("reports/latest"),
        metavar="DIR",
        help="where results.jsonl, summary.json and the reports go",
    )
    parser.add_argument(
        "--exclude-faq", action="store_true", help="hard mode: FAQ chunks are left out of retrieval"
    )
    parser.add_argument(
        "--llm",
        choices=["local", "openai", "none"],
        default=None,
        help="generation backend (default: CAREER_RAG_LLM)",
    )
    parser.add_argument("--top-k", type=int, default=None, help="passages per question")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also run the naive llama-index pipeline (slow: two long LLM calls per question)",
    )
    parser.add_argument(
        "--baseline-results",
        type=Path,
        default=None,
        metavar="FILE",
        help="score a saved baseline run (baseline_results.jsonl) instead of re-running it",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        metavar="FILE",
        help="score saved system answers (a results.jsonl) instead of asking the assistant",
    )
    parser.add_argument(
        "--gate",
        action="store_true",
        help="exit 1 when a bound or a control fails; without --dataset, run the whole gate "
        "suite (evals/baselines/gate.json: the question bank's dev and test splits, normal and "
        "FAQ-excluded, per backend, and the regression sets)",
    )
    parser.add_argument("--suite", type=Path, default=None, metavar="FILE", help="gate suite file")
    parser.add_argument(
        "--run",
        action="append",
        metavar="NAME",
        help="with --gate and no --dataset: only this run of the suite (repeatable)",
    )
    parser.add_argument("--thresholds", type=Path, default=THRESHOLDS_PATH, metavar="FILE")
    parser.add_argument(
        "--judge",
        action="store_true",
        help="also grade answers with the OpenAI-compatible LLM judge, if configured",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="where the index lives")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _settings(args: argparse.Namespace) -> Settings:
    update: dict[str, Any] = {"exclude_faq": bool(args.exclude_faq)}
    if args.llm:
        update["llm"] = args.llm
    if args.data_dir:
        update["data_dir"] = args.data_dir
    return get_settings().model_copy(update=update)


def _saved(path: Path, items: list[EvalItem]) -> list[ResultRow]:
    """Saved answers for exactly these items (a saved run must cover every one of them)."""
    rows = {r.id: r for r in read_results(path)}
    missing = [i.id for i in items if i.id not in rows]
    if missing:
        raise DatasetError(
            f"{path}: no saved answer for {len(missing)} item(s), e.g. {missing[:3]}"
        )
    return [rows[i.id] for i in items]


def _baseline_run(
    args: argparse.Namespace,
    settings: Settings,
    items: list[EvalItem],
    embedder: Any,
    llm: Any,
    console: Console,
) -> SystemRun | None:
    if not (args.baseline or args.baseline_results):
        return None
    from evals.baseline import NaiveBaseline

    if llm is None and not args.baseline_results:
        console.print("[yellow]baseline skipped: it needs an LLM backend (--llm none given)")
        return None
    baseline = NaiveBaseline.build(
        settings.corpus_dir,
        embedder,
        llm,
        max_tokens=settings.max_tokens,
        exclude_faq=settings.exclude_faq,
    )
    if args.baseline_results:
        rows = _saved(args.baseline_results, items)
        seconds = sum(r.latency_ms for r in rows) / 1e3
        return SystemRun("baseline", rows, baseline.chunks(), seconds, article_texts(settings))
    start = time.perf_counter()
    rows = run_questions(
        baseline, items, label="baseline", show_progress=not args.no_progress, console=console
    )
    seconds = time.perf_counter() - start
    return SystemRun("baseline", rows, baseline.chunks(), seconds, article_texts(settings))


def _system_run(
    args: argparse.Namespace,
    settings: Settings,
    items: list[EvalItem],
    embedder: Any,
    ranker: Any,
    console: Console,
) -> tuple[SystemRun, Any]:
    """The system's answers (asked now, or read from --results) and its LLM backend."""
    if args.results:
        rows = _saved(args.results, items)
        seconds = sum(r.latency_ms for r in rows) / 1e3
        llm = None
        if args.baseline and not args.baseline_results:
            from rag.llm.base import build_llm

            llm = build_llm(settings)
        return SystemRun(
            SYSTEM, rows, index_chunks(settings), seconds, article_texts(settings)
        ), llm
    from rag.assistant import Assistant

    assistant = Assistant.from_settings(
        settings, embedder=embedder, llm=args.llm or "default", ranker=ranker
    )
    start = time.perf_counter()
    rows = run_questions(
        assistant,
        items,
        top_k=args.top_k or settings.top_k,
        console=console,
        show_progress=not args.no_progress,
    )
    seconds = time.perf_counter() - start
    return SystemRun(SYSTEM, rows, index_chunks(settings), seconds, article_texts(settings)), (
        assistant.llm
    )


def _print_summary(console: Console, summary: dict[str, Any], output: Path) -> None:
    table = Table(title="career-rag eval")
    names = list(summary["systems"])
    table.add_column("metric")
    for name in names:
        table.add_column(name, justify="right")
        table.add_column("n", justify="right")
    for info in METRICS:
        cells = []
        for name in names:
            m = summary["systems"][name]["overall"][info.key]
            cells += [fmt(m["value"], info), str(m["n"])]
        table.add_row(info.label, *cells)
    console.print(table)
    console.print(f"reports in {output}/ (report.md, report.html, summary.json, results.jsonl)")


def _run_suite(args: argparse.Namespace, console: Console) -> int:
    from evals.suite import SUITE_PATH, run_suite

    settings = _settings(args)
    output = args.output if args.output != Path("reports/latest") else Path("reports/gate")
    try:
        code, report = run_suite(
            settings,
            output,
            suite_path=args.suite or SUITE_PATH,
            only=args.run,
            console=console,
            show_progress=not args.no_progress,
        )
    except (DatasetError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except CareerRagError as exc:
        console.print(f"[red]error:[/] {exc}")
        return exc.exit_code
    console.print((output / "suite.md").read_text(encoding="utf-8"))
    for line in report["problems"]:
        print(f"gate failed: {line}", file=sys.stderr)
    console.print(f"reports in {output}/ (suite.md, suite.json, one folder per run)")
    return code


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    if args.gate and not args.dataset and not args.results:
        return _run_suite(args, console)
    started = time.perf_counter()
    try:
        items = load_datasets(args.dataset)
        thresholds = load_thresholds(args.thresholds) if args.gate else None
    except (DatasetError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    settings = _settings(args)
    k = args.top_k or settings.top_k
    try:
        from rag.embedding import MiniLMEmbedder, load_ranker

        embedder = MiniLMEmbedder()
        ranker = load_ranker(settings)
        ensure_index(settings, embedder, console, ranker)
        system, llm = _system_run(args, settings, items, embedder, ranker, console)
        baseline = _baseline_run(args, settings, items, embedder, llm, console)
    except DatasetError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except CareerRagError as exc:
        console.print(f"[red]error:[/] {exc}")
        return exc.exit_code
    judge = _judge(args, settings)
    backends = {r.backend for r in system.rows if r.backend}
    config = {
        "exclude_faq": settings.exclude_faq,
        "llm": ", ".join(sorted(backends)) or getattr(llm, "name", "none"),
        "dataset_files": args.dataset or list(DEFAULT_DATASETS),
        "saved_results": {SYSTEM: bool(args.results), "baseline": bool(args.baseline_results)},
    }
    summary = evaluate(items, system, embedder, k=k, baseline=baseline, judge=judge, config=config)
    failures: list[str] = []
    if thresholds is not None:
        verdicts = check_gates(summary["systems"][SYSTEM]["overall"], thresholds)
        failures = describe_failures(verdicts) + control_failures(summary["controls"])
        summary["gate"] = {"thresholds": thresholds, "verdicts": verdicts, "passed": not failures}
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    runs = {r.name: (r.rows, r.records) for r in (system, baseline) if r is not None}
    write_report(args.output, summary, items, runs)
    _print_summary(console, summary, args.output)
    for line in failures:
        print(line, file=sys.stderr)
    return 1 if failures else 0


def _judge(args: argparse.Namespace, settings: Settings) -> Any:
    if not args.judge:
        return None
    from evals.judge import Judge, skipped

    judge = Judge.from_settings(settings)
    if judge is None:
        return lambda items, rows: skipped()
    return judge
