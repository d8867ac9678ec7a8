"""The runner over a fake assistant, and the gate."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from evals.datasets import EvalItem
from evals.gate import THRESHOLDS_PATH, check_gates, describe_failures, load_thresholds
from evals.runner import SystemRun, evaluate, run_questions
from rag.schemas import Answer, Turn
from tests.evals.conftest import make_item, oracle
from tests.fakes import FakeEmbedder

ISSUE_START = {
    "hit_at_k": ("min", 0.95),
    "key_fact_recall": ("min", 0.8),
    "unsupported_numbers": ("max", 0),
    "citation_validity": ("min", 1.0),
    "unanswerable_declined": ("min", 0.8),
    "answerable_declined": ("max", 0.1),
}


class ReplayAssistant:
    """Answers from a prepared table; raises for ids listed in `fail`."""

    def __init__(self, answers: dict[str, Answer], fail: Sequence[str] = ()) -> None:
        self.answers, self.fail, self.calls = answers, set(fail), 0

    def ask(self, question: str, history: Sequence[Turn] = (), top_k: int | None = None) -> Answer:
        self.calls += 1
        if question in self.fail:
            raise RuntimeError("model crashed")
        return self.answers[question]


def _tiny() -> list[EvalItem]:
    return [
        make_item(
            "a",
            question="qa",
            reference="ML engineers train predictive models.",
            facts=("predictive models",),
        ),
        make_item(
            "b", question="qb", reference="AI engineers build applications.", facts=("application",)
        ),
        make_item("u", question="qu", answerable=False),
    ]


def test_run_questions_times_every_row_and_keeps_failures() -> None:
    items = _tiny()
    rows, _ = oracle(items)
    fake = ReplayAssistant(
        {r.question: Answer(**r.model_dump(include=set(Answer.model_fields))) for r in rows},
        fail=["qb"],
    )
    got = run_questions(fake, items, show_progress=False)
    assert [r.id for r in got] == ["a", "b", "u"] and fake.calls == 3
    assert got[1].error == "RuntimeError: model crashed" and got[1].answer == ""
    assert all(r.latency_ms >= 0 for r in got)


def test_an_errored_row_counts_against_the_system() -> None:
    items = _tiny()
    rows, chunks = oracle(items)
    rows[1] = rows[1].model_copy(update={"answer": "", "citations": [], "error": "boom"})
    summary = evaluate(items, SystemRun("system", rows, chunks, 1.0), FakeEmbedder(), k=5)
    overall = summary["systems"]["system"]["overall"]
    assert overall["errors"]["value"] == 1
    assert overall["key_fact_recall"]["value"] == 0.5 and overall["key_fact_recall"]["n"] == 2
    assert overall["unanswerable_declined"]["n"] == 1
    assert summary["config"]["datasets"] == {"tiny": 3}
    assert {c["control"] for c in summary["controls"]} >= {"empty", "decline_all"}


def test_the_recorded_thresholds_never_go_below_the_issue_start_values() -> None:
    gates = load_thresholds()
    for key, (bound, start) in ISSUE_START.items():
        limit = gates[key][bound]
        assert limit >= start if bound == "min" else limit <= start, key


def test_the_gate_names_each_failed_metric() -> None:
    overall = {
        "hit_at_k": {"value": 0.9, "n": 29},
        "unsupported_numbers": {"value": 2.0, "n": 40},
        "citation_validity": {"value": None, "n": 0},
        "answerable_declined": {"value": 0.0, "n": 29},
    }
    thresholds = {k: {b: v} for k, (b, v) in ISSUE_START.items() if k in overall}
    verdicts = check_gates(overall, thresholds)
    failed = describe_failures(verdicts)
    assert len(failed) == 3
    assert any("hit_at_k = 0.9 (n=29), needs >= 0.95" in f for f in failed)
    assert any("unsupported_numbers = 2" in f for f in failed)
    assert any("citation_validity = no value" in f for f in failed)


def test_thresholds_reject_an_unknown_metric(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"gates": {"hit_at_5": {"min": 1}}}), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown metric 'hit_at_5'"):
        load_thresholds(path)
    assert THRESHOLDS_PATH.is_file()
