"""The negative controls: each deliberately wrong answer set scores far worse than a good run on
the metric it targets, so a metric that cannot fail would be caught here."""

from __future__ import annotations

import pytest

from evals.controls import (
    CONTROLS,
    change_numbers,
    failures,
    flip_comparative,
    insert_negation,
    move_numbers,
    reword_quote,
    swap_roles,
)
from evals.datasets import EvalItem
from evals.metrics import StoredChunk
from evals.results import ResultRow
from evals.runner import SystemRun, run_controls, score_run
from evals.scoring import score_rows, summarize
from tests.evals.conftest import cite, passage, row
from tests.fakes import FakeEmbedder

CONTROLS_BY_NAME = {c.name: c for c in CONTROLS}


def test_swap_roles_swaps_both_ways() -> None:
    text = "AI Engineers build apps; Machine Learning engineering and ML engineers train models."
    assert swap_roles(text) == (
        "Machine Learning Engineers build apps; AI engineering and AI engineers train models."
    )


def test_change_numbers_keeps_markers_and_invents_a_figure_when_there_is_none() -> None:
    assert change_numbers("In 2026 [1] about 3 roles.") == "In 2033 [1] about 10 roles."
    assert "37%" in change_numbers("No figures [1].")


def test_reword_quote_is_close_but_not_verbatim() -> None:
    assert reword_quote("Python remains the most important") == "remains Python the most important"


def test_every_applicable_control_scores_far_below_a_good_run_on_its_target(
    packaged_items: list[EvalItem],
    oracle_run: tuple[list[ResultRow], dict[str, StoredChunk]],
) -> None:
    rows, chunks = oracle_run
    embedder = FakeEmbedder()
    good = score_run(SystemRun("system", rows, chunks, 0.0), packaged_items, embedder, 5)
    verdicts = run_controls(good, packaged_items, embedder, 5)
    assert {v["control"] for v in verdicts} == {c.name for c in CONTROLS}
    assert failures(verdicts) == []
    applicable = {v["control"] for v in verdicts if v["applicable"]}
    # The FAQ/quiz references name roles and have verbs to negate (few have numbers: see below).
    assert {"roles_swapped", "negation_inserted"} <= applicable


def test_numbers_moved_to_another_entity_are_no_longer_supported(item_factory) -> None:
    quote = "The average salary for an ML engineer is £105k and for an AI engineer is £75k."
    chunk = StoredChunk("c", "doc-a", quote)
    items = [item_factory(f"i{k}", facts=("£105k",)) for k in range(6)]
    rows = [
        row(i, f"{quote} [1]", citations=[cite(1, chunk)], retrieved=[passage(chunk)])
        for i in items
    ]
    embedder = FakeEmbedder()
    good = score_run(SystemRun("system", rows, {"c": chunk}, 0.0), items, embedder, 5)
    verdicts = run_controls(good, items, embedder, 5)
    (moved,) = [v for v in verdicts if v["control"] == "numbers_moved"]
    assert moved["applicable"] and moved["system"] == 1.0 and moved["control_value"] == 0.0


def test_a_metric_blind_to_a_corruption_fails_the_gate(
    packaged_items: list[EvalItem],
    oracle_run: tuple[list[ResultRow], dict[str, StoredChunk]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If support ignored negation (as it once did), the negation control must fail the gate."""
    import evals.metrics

    rows, chunks = oracle_run
    embedder = FakeEmbedder()
    good = score_run(SystemRun("system", rows, chunks, 0.0), packaged_items, embedder, 5)
    monkeypatch.setattr(evals.metrics, "claim_problems", lambda sentence, quote: [])
    monkeypatch.setattr(evals.metrics, "SUPPORT_THRESHOLD", 0.5)
    lines = failures(run_controls(good, packaged_items, embedder, 5))
    assert any("negation_inserted" in line for line in lines), lines


def test_sentence_corruptions_change_the_claim_and_keep_markers() -> None:
    assert insert_negation("ML engineers are paid well") == "ML engineers are not paid well"
    assert insert_negation("You can start today") == "You cannot start today"
    assert insert_negation("Nothing to negate here") == "Nothing to negate here"
    assert (
        flip_comparative("AI pays More than ML, the highest") == "AI pays Less than ML, the lowest"
    )
    assert move_numbers("£105k for ML and £75k for AI") == "£75k for ML and £105k for AI"
    assert move_numbers("about 27 percent", ["12", "27"]) == "about 12 percent"
    assert move_numbers("no figures", ["12"]) == "no figures"


def test_model_sentences_dropped_keeps_only_quotes(
    packaged_items: list[EvalItem], item_factory
) -> None:
    item = item_factory("x", facts=("pytorch",))
    r = row(item, "They use PyTorch [1]. “Python is key.” [2]")
    (dropped,) = CONTROLS_BY_NAME["model_sentences_dropped"].build([item], [r])
    assert dropped.answer == "“Python is key.” [2]"


def test_the_good_run_itself_passes_the_issue_gates(
    packaged_items: list[EvalItem], oracle_run: tuple[list[ResultRow], dict[str, StoredChunk]]
) -> None:
    """The oracle is what the controls are compared with; it must really be good."""
    rows, chunks = oracle_run
    good = summarize(packaged_items, score_rows(packaged_items, rows, chunks, FakeEmbedder(), 5))
    o = good["overall"]
    assert o["hit_at_k"]["value"] == 1.0 and o["key_fact_recall"]["value"] == 1.0
    assert o["citation_validity"]["value"] == 1.0 and o["unsupported_numbers"]["value"] == 0
    assert o["unanswerable_declined"]["value"] == 1.0 and o["answerable_declined"]["value"] == 0.0
    assert o["supported_sentences"]["value"] == 1.0


def test_far_means_a_clear_drop_not_any_drop() -> None:
    from evals.controls import far_from

    assert far_from("key_fact_recall", 0.9, 0.55)  # 0.35 lower
    assert far_from("key_fact_recall", 0.5, 0.22)  # less than half
    assert not far_from("key_fact_recall", 0.5, 0.3)  # lower, but neither
    assert not far_from("key_fact_recall", 0.0, 0.0)  # a metric at zero proves nothing
    assert far_from("answerable_declined", 0.1, 1.0) and not far_from(
        "answerable_declined", 0.1, 0.3
    )
    assert far_from("unsupported_numbers", 0, 3) and not far_from("unsupported_numbers", 0, 2)
    assert not far_from("key_fact_recall", None, 0.0)
