"""The quality gate as one command: several eval runs (datasets x backend x FAQ mode), each with
its thresholds, per-category floors and negative controls, described in a suite file
(evals/baselines/gate.json). `career-rag eval --gate` runs it.

The embedder, the index and each LLM backend are built once and shared by every run. Each run
writes its own report folder; the suite writes `suite.json` and `suite.md` beside them. The
verdict is the same on every machine for the deterministic runs (retrieval, coverage and quoted
answers do not depend on the CPU); model-written runs carry margins measured across runs (see
docs/evals.md).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from evals.controls import failures as control_failures
from evals.datasets import DATASETS_DIR, load_datasets
from evals.gate import check_gates, describe_failures
from evals.index import article_texts, ensure_index, index_chunks
from evals.report import SYSTEM, write_report
from evals.runner import SystemRun, evaluate, run_questions
from evals.scoring import METRIC_INFO
from rag.config import Settings

SUITE_PATH = Path(__file__).resolve().parent / "baselines" / "gate.json"


@dataclass(frozen=True)
class RunSpec:
    """One run of the suite and the bounds it must meet."""

    name: str
    datasets: list[str]
    llm: str
    exclude_faq: bool = False
    gates: dict[str, dict[str, float]] = field(default_factory=dict)
    categories: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    runs: list[RunSpec]
    frozen: dict[str, str]  # dataset path (relative to evals/datasets) -> sha256 of its bytes
    verifier: bool = False  # also gate on the verifier benchmark (evals/baselines/verifier.json)


def _check_bounds(bounds: dict[str, dict[str, float]], where: str) -> None:
    for key, bound in bounds.items():
        if key not in METRIC_INFO:
            raise ValueError(f"{where}: unknown metric {key!r}")
        if not bound or set(bound) - {"min", "max"}:
            raise ValueError(f"{where}: {key} needs 'min' and/or 'max'")


def load_suite(path: Path = SUITE_PATH) -> Suite:
    """The suite file, validated: known metrics, min/max bounds, unique run names."""
    data = json.loads(path.read_text(encoding="utf-8"))
    runs = []
    for raw in data["runs"]:
        spec = RunSpec(
            name=raw["name"],
            datasets=list(raw["datasets"]),
            llm=raw["llm"],
            exclude_faq=bool(raw.get("exclude_faq", False)),
            gates=raw.get("gates", {}),
            categories=raw.get("categories", {}),
        )
        _check_bounds(spec.gates, f"{path.name}: {spec.name}")
        for category, bounds in spec.categories.items():
            _check_bounds(bounds, f"{path.name}: {spec.name}/{category}")
        runs.append(spec)
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"{path.name}: run names must be unique")
    return Suite(runs, dict(data.get("frozen", {})), bool(data.get("verifier", False)))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def frozen_changes(suite: Suite) -> list[str]:
    """A line for every frozen dataset whose bytes differ from the recorded digest."""
    out = []
    for name, digest in suite.frozen.items():
        path = DATASETS_DIR / name
        if not path.is_file() or sha256_of(path) != digest:
            out.append(f"frozen dataset changed: {name} (its recorded sha256 no longer matches)")
    return out


def run_verdicts(spec: RunSpec, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Gate verdicts of one run: overall bounds, then per-category floors (labelled)."""
    system = summary["systems"][SYSTEM]
    verdicts = check_gates(system["overall"], spec.gates)
    for category, bounds in spec.categories.items():
        agg = system["by_category"].get(category)
        if agg is None:
            raise ValueError(f"{spec.name}: no rows of category {category!r}")
        for v in check_gates(agg, bounds):
            verdicts.append({**v, "metric": f"{v['metric']} [{category}]"})
    return verdicts


class _Backends:
    """Each LLM backend built once, on first use."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._built: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name not in self._built:
            from rag.llm.base import build_llm

            self._built[name] = None if name == "none" else build_llm(self._settings, name)
        return self._built[name]


def run_suite(
    settings: Settings,
    output: Path,
    *,
    suite_path: Path = SUITE_PATH,
    only: list[str] | None = None,
    console: Console | None = None,
    show_progress: bool = True,
) -> tuple[int, dict[str, Any]]:
    """Run every (or each named) run of the suite; 0 when all bounds and controls hold, else 1."""
    from rag.assistant import Assistant
    from rag.embedding import MiniLMEmbedder, load_ranker
    from rag.store import open_collection

    console = console or Console(stderr=True)
    suite = load_suite(suite_path)
    specs = [r for r in suite.runs if not only or r.name in only]
    if only and len(specs) != len(set(only)):
        raise ValueError(f"unknown run(s): {sorted(set(only) - {r.name for r in suite.runs})}")
    embedder = MiniLMEmbedder()
    ranker = load_ranker(settings)
    ensure_index(settings, embedder, console, ranker)
    articles = article_texts(settings)
    backends = _Backends(settings)
    problems = frozen_changes(suite)
    report: dict[str, Any] = {"runs": {}, "problems": problems}
    for spec in specs:
        started = time.perf_counter()
        run_settings = settings.model_copy(update={"exclude_faq": spec.exclude_faq})
        items = load_datasets(spec.datasets)
        llm = backends.get(spec.llm)
        assistant = Assistant(
            run_settings,
            embedder=embedder,
            llm=llm,
            collection=open_collection(run_settings),
            ranker=ranker,
        )
        rows = run_questions(
            assistant, items, label=spec.name, console=console, show_progress=show_progress
        )
        seconds = time.perf_counter() - started
        system = SystemRun(SYSTEM, rows, index_chunks(run_settings), seconds, articles)
        config = {
            "run": spec.name,
            "llm": llm.name if llm else "none",
            "exclude_faq": spec.exclude_faq,
            "dataset_files": spec.datasets,
        }
        summary = evaluate(items, system, embedder, k=run_settings.top_k, config=config)
        verdicts = run_verdicts(spec, summary)
        failed = describe_failures(verdicts) + control_failures(summary["controls"])
        summary["gate"] = {"verdicts": verdicts, "passed": not failed}
        write_report(output / spec.name, summary, items, {SYSTEM: (system.rows, system.records)})
        report["runs"][spec.name] = {
            "config": config,
            "seconds": round(time.perf_counter() - started, 1),
            "overall": {k: v["value"] for k, v in summary["systems"][SYSTEM]["overall"].items()},
            "failures": failed,
        }
        problems += [f"{spec.name}: {line}" for line in failed]
        console.print(
            f"{spec.name}: {'pass' if not failed else f'{len(failed)} failure(s)'} "
            f"({report['runs'][spec.name]['seconds']} s)"
        )
    if suite.verifier and not only:
        problems += _verifier(settings, embedder, report, console)
    report["passed"] = not problems
    output.mkdir(parents=True, exist_ok=True)
    (output / "suite.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (output / "suite.md").write_text(suite_markdown(report), encoding="utf-8")
    return (0 if not problems else 1), report


def _verifier(
    settings: Settings, embedder: Any, report: dict[str, Any], console: Console
) -> list[str]:
    """Run the verifier benchmark against its recorded minimums; its failures, labelled."""
    from evals.verifier import BASELINE_PATH, gate_failures, load_targets, run_benchmark

    targets = load_targets(BASELINE_PATH)
    if targets is None:
        return [f"verifier: {BASELINE_PATH.name} is missing"]
    summary = run_benchmark(settings, embedder, targets=targets, console=console)
    failed = gate_failures(summary["kinds"], targets)
    report["verifier"] = {"kinds": summary["kinds"], "failures": failed}
    console.print(f"verifier benchmark: {'pass' if not failed else f'{len(failed)} failure(s)'}")
    return [f"verifier: {line}" for line in failed]


SUITE_COLUMNS = (
    "hit_at_k",
    "mrr",
    "key_fact_recall",
    "model_fact_recall",
    "supported_sentences",
    "unanswerable_declined",
    "answerable_declined",
    "must_not_contain",
    "latency_median_ms",
)


def suite_markdown(report: dict[str, Any]) -> str:
    """One table: a row per run, the headline metrics as columns; then every failure."""
    infos = [METRIC_INFO[k] for k in SUITE_COLUMNS]
    lines = [
        "# Quality gate",
        "",
        "| run | " + " | ".join(i.label for i in infos) + " | result |",
        "|---|" + "---:|" * len(infos) + "---|",
    ]
    for name, run in report["runs"].items():
        cells = []
        for info in infos:
            value = run["overall"][info.key]
            cells.append("–" if value is None else f"{value:.3f}" if info.share else f"{value:g}")
        verdict = "pass" if not run["failures"] else f"**{len(run['failures'])} failed**"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {verdict} |")
    lines.append("")
    if report.get("verifier"):
        lines += [
            "## Verifier benchmark",
            "",
            "| kind | n | rejected | accepted |",
            "|---|---:|---:|---:|",
        ]
        for kind, v in report["verifier"]["kinds"].items():
            shares = [v.get("rejected"), v.get("accepted")]
            cells = ["–" if x is None else f"{x:.3f}" for x in shares]
            lines.append(f"| {kind} | {v['n']} | " + " | ".join(cells) + " |")
        lines.append("")
    if report["problems"]:
        lines += ["## Failures", "", *[f"- {p}" for p in report["problems"]], ""]
    return "\n".join(lines)
