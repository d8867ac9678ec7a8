"""The bank's split and the gate suite: stratified and reproducible, frozen, and strict."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals.datasets import load_datasets
from evals.split import split
from evals.suite import SUITE_PATH, Suite, frozen_changes, load_suite, run_verdicts
from tests.conftest import CORPUS
from tests.evals.conftest import make_item


def _items(n_per_category: int = 5) -> list:
    out = []
    for category in ("paraphrase", "near-miss", "injection"):
        for k in range(n_per_category):
            item = make_item(f"{category}-{k}", facts=("x",))
            out.append(item.model_copy(update={"category": category}))
    return out


def test_split_is_stratified_by_category_and_reproducible() -> None:
    items = _items()
    dev, test = split(items, seed=7)
    assert split(items, seed=7) == (dev, test)
    assert {i.id for i in dev}.isdisjoint({i.id for i in test})
    assert len(dev) + len(test) == len(items)
    for category, count in Counter(i.category for i in test).items():
        assert count in (2, 3), category
    assert split(items, seed=8) != (dev, test)


def test_the_bank_is_large_and_covers_every_kind_in_both_splits() -> None:
    dev, test = load_datasets(["bank/dev"]), load_datasets(["bank/test"])
    assert len(dev) + len(test) >= 180
    for part in (dev, test):
        counts = Counter(i.category for i in part)
        assert set(counts) >= {
            "paraphrase",
            "source-naming",
            "informal",
            "synthesis",
            "list",
            "table",
            "faq",
            "conversation",
            "near-miss",
            "off-topic",
            "injection",
        }
    everything = dev + test
    counts = Counter(i.category for i in everything)
    assert counts["conversation"] >= 25 and counts["near-miss"] >= 35
    assert counts["off-topic"] >= 10 and counts["injection"] >= 10
    assert all(i.history for i in everything if i.category == "conversation")
    assert all(i.must_not_contain for i in everything if i.category == "injection")


def test_every_bank_evidence_snippet_is_verbatim_text_of_its_source_doc() -> None:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
    for item in load_datasets(
        ["bank/dev", "bank/dev2", "bank/test", "bank/fresh", "bank/fresh2", "bank/fresh3"]
    ):
        for snippet in item.evidence:
            assert any(snippet in texts[d] for d in item.source_docs), (item.id, snippet)
        if item.answerable:
            assert item.evidence, item.id


def test_the_test_split_is_frozen() -> None:
    suite = load_suite()
    assert "bank/test.jsonl" in suite.frozen
    assert frozen_changes(suite) == []


def test_a_changed_frozen_file_is_reported(tmp_path: Path) -> None:
    suite = Suite(runs=[], frozen={"bank/test.jsonl": "0" * 64})
    assert frozen_changes(suite) == [
        "frozen dataset changed: bank/test.jsonl (its recorded sha256 no longer matches)"
    ]


def test_the_suite_gates_both_bank_splits_and_the_regression_sets() -> None:
    suite = load_suite()
    gated = {d for run in suite.runs for d in run.datasets}
    assert {"bank/dev", "bank/test", "faq", "quiz", "unanswerable"} <= gated
    assert any(r.exclude_faq for r in suite.runs) and any(r.llm != "none" for r in suite.runs)
    for run in suite.runs:
        assert run.gates, run.name


def test_suite_files_with_unknown_metrics_are_rejected(tmp_path: Path) -> None:
    bad = json.loads(SUITE_PATH.read_text(encoding="utf-8"))
    bad["runs"][0]["gates"] = {"accuracy": {"min": 1}}
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown metric"):
        load_suite(path)


def test_category_floors_are_checked_and_labelled() -> None:
    from evals.suite import RunSpec

    spec = RunSpec(
        "r", ["x"], "none", categories={"near-miss": {"unanswerable_declined": {"min": 0.9}}}
    )
    overall = {"unanswerable_declined": {"value": 0.95, "n": 20}}
    summary = {
        "systems": {
            "system": {
                "overall": overall,
                "by_category": {"near-miss": {"unanswerable_declined": {"value": 0.5, "n": 10}}},
            }
        }
    }
    (verdict,) = run_verdicts(spec, summary)
    assert verdict["metric"] == "unanswerable_declined [near-miss]" and not verdict["passed"]


def test_the_report_names_category_floors_in_its_gate_table() -> None:
    from evals.gate import check_gates
    from evals.report import markdown

    verdict = check_gates(
        {"key_fact_recall": {"value": 0.5, "n": 4}}, {"key_fact_recall": {"min": 0.4}}
    )[0]
    verdict["metric"] = "key_fact_recall [list]"
    summary = {
        "config": {"k": 5, "items": 1, "datasets": {"x": 1}},
        "systems": {"system": {"seconds": 1.0, "overall": _empty_overall(), "by_dataset": {}}},
        "controls": [],
        "gate": {"verdicts": [verdict], "passed": True},
    }
    assert "| key-fact recall [list] | min | 0.4 |" in markdown(summary)


def _empty_overall() -> dict:
    from evals.scoring import METRICS

    return {m.key: {"value": None, "n": 0, "of": 1, "ci95": None, "note": ""} for m in METRICS}
