"""The negative controls: each deliberately wrong answer set scores far worse than a good run on
the metric it targets, so a metric that cannot fail would be caught here."""

from __future__ import annotations

import pytest

from evals.controls import CONTROLS, change_numbers, check, reword_quote, swap_roles
from evals.datasets import EvalItem
from evals.metrics import StoredChunk
from evals.results import ResultRow
from evals.scoring import score_rows, summarize
from tests.fakes import FakeEmbedder


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


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.name)
def test_each_control_scores_far_below_a_good_run_on_its_target(
    control,
    packaged_items: list[EvalItem],
    oracle_run: tuple[list[ResultRow], dict[str, StoredChunk]],
) -> None:
    rows, chunks = oracle_run
    embedder = FakeEmbedder()
    good = summarize(packaged_items, score_rows(packaged_items, rows, chunks, embedder, 5))[
        "overall"
    ]
    bad_rows = control.build(packaged_items, rows)
    bad = summarize(packaged_items, score_rows(packaged_items, bad_rows, chunks, embedder, 5))[
        "overall"
    ]
    for verdict in check(control, good, bad):
        assert verdict["far_worse"], verdict


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
