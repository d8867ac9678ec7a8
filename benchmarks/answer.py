"""Answer latency and memory: the Assistant per backend, and the naive llama-index pipeline.

Run: `python -m benchmarks.answer [--backends none,local] [--naive] [--repeat 1]`.
Each configuration runs in its own process so its peak RSS is its own. Reports medians and p90
of end-to-end and retrieval time per question over the answerable questions of the dev and
held-out sets, after a warm-up, plus peak RSS. Prints a markdown table (and JSON with --json).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.chat_latency import percentile

REPO = Path(__file__).resolve().parent.parent
DATASETS = [REPO / "evals" / "datasets" / name for name in ("dev.jsonl", "heldout.jsonl")]
WARM_UP = 2


def questions() -> list[str]:
    rows = [json.loads(line) for path in DATASETS for line in path.read_text().splitlines() if line]
    return [r["question"] for r in rows if r["answerable"]]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure_assistant(backend: str, data_dir: Path, repeat: int) -> dict[str, Any]:
    from rag.assistant import Assistant
    from rag.config import Settings

    assistant = Assistant.from_settings(Settings(data_dir=data_dir, llm=backend))  # type: ignore[arg-type]
    qs = questions()
    for q in qs[:WARM_UP]:
        assistant.ask(q)
    total, retrieve = [], []
    for _ in range(repeat):
        for q in qs:
            started = time.perf_counter()
            answer = assistant.ask(q)
            total.append((time.perf_counter() - started) * 1000)
            retrieve.append(answer.timings_ms["retrieve"])
    return _summary(f"career-rag ({backend})", total, retrieve)


def measure_naive(data_dir: Path, repeat: int) -> dict[str, Any]:
    """The llama-index tutorial pipeline with the same embedder and the same local LLM."""
    from evals.baseline import NaiveBaseline
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.llm.base import build_llm

    settings = Settings(data_dir=data_dir)
    baseline = NaiveBaseline.build(
        settings.corpus_dir, MiniLMEmbedder(), build_llm(settings, "local")
    )
    retriever = baseline._index.as_retriever()
    qs = questions()
    for q in qs[:WARM_UP]:
        baseline.ask(q)
    total, retrieve = [], []
    for _ in range(repeat):
        for q in qs:
            started = time.perf_counter()
            retriever.retrieve(q)
            retrieve.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            baseline.ask(q)
            total.append((time.perf_counter() - started) * 1000)
    return _summary("naive llama-index (local)", total, retrieve)


def _summary(name: str, total: list[float], retrieve: list[float]) -> dict[str, Any]:
    return {
        "configuration": name,
        "questions": len(total),
        "total_ms_median": round(statistics.median(total), 1),
        "total_ms_p90": round(percentile(total, 0.9), 1),
        "retrieve_ms_median": round(statistics.median(retrieve), 1),
        "peak_rss_mb": round(_peak_rss_mb(), 0),
    }


def _child(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    if args.one == "naive":
        result = measure_naive(data_dir, args.repeat)
    else:
        result = measure_assistant(args.one, data_dir, args.repeat)
    print(json.dumps(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends", default="none,local", help="comma-separated: none,local,openai"
    )
    parser.add_argument(
        "--naive",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the naive llama-index pipeline (default: yes)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="passes over the question set")
    parser.add_argument("--data-dir", help="an existing data dir (default: a fresh temporary one)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one configuration
    args = parser.parse_args(argv)
    if args.one:
        return _child(args)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir or tmp)
        if not args.data_dir:
            from ingest.pipeline import ingest_corpus
            from rag.config import Settings

            ingest_corpus(Settings(data_dir=data_dir))
        configurations = [b for b in args.backends.split(",") if b] + (
            ["naive"] if args.naive else []
        )
        results = []
        for one in configurations:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.answer",
                    "--one",
                    one,
                    "--data-dir",
                    str(data_dir),
                    "--repeat",
                    str(args.repeat),
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=REPO,
                timeout=1800,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        "| configuration | questions | median total ms | p90 total ms | median retrieve ms "
        "| peak RSS MB |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['configuration']} | {r['questions']} | {r['total_ms_median']} | "
            f"{r['total_ms_p90']} | {r['retrieve_ms_median']} | {r['peak_rss_mb']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
