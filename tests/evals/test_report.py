"""Report writing on a tiny fake result set."""

from __future__ import annotations

import json
from pathlib import Path

from evals.report import write_report
from evals.results import read_results
from evals.runner import SystemRun, evaluate
from tests.evals.conftest import make_item, oracle
from tests.fakes import FakeEmbedder


def _run(tmp_path: Path, with_baseline: bool = True) -> tuple[Path, dict]:
    items = [
        make_item(
            "a",
            question="Is <script>alert(1)</script> safe?",
            reference="ML engineers train predictive models.",
            facts=("predictive models",),
        ),
        make_item("u", question="Capital of Australia?", answerable=False),
    ]
    rows, chunks = oracle(items)
    system = SystemRun("system", rows, chunks, 2.0)
    base_rows = [r.model_copy(update={"answer": "I don't know <b>", "refused": True}) for r in rows]
    baseline = SystemRun("baseline", base_rows, chunks, 3.0) if with_baseline else None
    summary = evaluate(
        items,
        system,
        FakeEmbedder(),
        k=5,
        baseline=baseline,
        config={"exclude_faq": False, "llm": "fake"},
    )
    runs = {r.name: (r.rows, r.records) for r in (system, baseline) if r is not None}
    out = tmp_path / "report"
    write_report(out, summary, items, runs)
    return out, summary


def test_all_report_files_are_written(tmp_path: Path) -> None:
    out, _ = _run(tmp_path)
    for name in (
        "results.jsonl",
        "baseline_results.jsonl",
        "scores.jsonl",
        "summary.json",
        "report.md",
        "report.html",
    ):
        assert (out / name).is_file(), name
    rows = read_results(out / "results.jsonl")
    assert [r.id for r in rows] == ["a", "u"] and rows[0].latency_ms == 100.0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["systems"]["system"]["overall"]["key_fact_recall"] == {
        "value": 1.0,
        "n": 1,
        "of": 2,
        "ci95": None,
        "note": "answerable rows only (1 unanswerable rows not applicable)",
    }


def test_markdown_has_system_and_baseline_columns_with_n(tmp_path: Path) -> None:
    out, _ = _run(tmp_path)
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| metric | system | 95% CI | n | baseline | 95% CI | n |" in md
    assert "| key-fact recall | 1.000 |  | 1 | 0.000 |  | 1 |" in md
    assert "## Negative controls" in md


def test_html_is_self_contained_and_escapes_all_text(tmp_path: Path) -> None:
    out, _ = _run(tmp_path)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "I don&#x27;t know &lt;b&gt;" in html
    assert "http" not in html and "<link" not in html  # nothing fetched from elsewhere
    assert html.count('class="chart"') >= 10
    assert "Retrieved (2)" in html and "valid" in html


def test_report_without_baseline_has_one_system(tmp_path: Path) -> None:
    out, summary = _run(tmp_path, with_baseline=False)
    assert list(summary["systems"]) == ["system"]
    assert "baseline" not in (out / "report.md").read_text(encoding="utf-8").split("## Negative")[0]
