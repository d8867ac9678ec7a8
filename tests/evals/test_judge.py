"""The optional judge: score parsing, spread over runs, failures counted, skipped when unset."""

from __future__ import annotations

from itertools import cycle

from evals.judge import Judge, parse_score
from rag.config import Settings
from tests.evals.conftest import make_item, oracle


def test_parse_score_accepts_json_or_a_bare_digit_and_nothing_else() -> None:
    assert parse_score('{"score": 4}') == 4
    assert parse_score('Sure! {"score":"5"}') == 5
    assert parse_score(" 3 ") == 3
    assert parse_score("I would say 4 or 5") is None
    assert parse_score('{"score": 9}') is None


def test_judge_reports_spread_and_counts_parse_failures() -> None:
    items = [
        make_item("a", reference="r", facts=("r",)),
        make_item("b", reference="s", facts=("s",)),
    ]
    rows, _ = oracle(items)
    replies = cycle(['{"score": 5}', '{"score": 3}', "no idea"])
    result = Judge(lambda prompt: next(replies), runs=3)(items, rows)
    assert result["parse_failures"] == 2 and result["scored"] == 4
    assert result["mean"] == 4.0 and result["mean_spread"] == 2.0
    assert result["n"] == 2 and result["runs"] == 3


def test_judge_is_skipped_without_a_configured_server() -> None:
    assert Judge.from_settings(Settings(llm_url=None)) is None
