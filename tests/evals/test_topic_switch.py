"""The topic-change set: every answerable standalone question after an unrelated one."""

from __future__ import annotations

from evals.datasets import load_dataset, write_dataset
from evals.topic_switch import BANK, DEFAULT_SEED, topic_switches
from tests.evals.conftest import make_item


def test_each_answerable_question_follows_one_about_other_articles() -> None:
    items = [
        make_item("a1", question="About A?", reference="A says so.", facts=("x",), docs=("a",)),
        make_item("a2", question="More A?", facts=("y",), docs=("a",)),
        make_item("b1", question="About B?", reference="B says so.", facts=("z",), docs=("b",)),
        make_item("u1", question="Unknown?", answerable=False),
    ]
    rows = [item.model_dump() for item in topic_switches(items, seed=1)]
    assert [r["id"] for r in rows] == ["switch-a1", "switch-a2", "switch-b1"]
    by_id = {r["id"]: r for r in rows}
    assert by_id["switch-a1"]["history"] == [
        {"role": "user", "content": "About B?"},
        {"role": "assistant", "content": "B says so."},
    ]
    assert by_id["switch-b1"]["history"][0]["content"] in {"About A?", "More A?"}
    assert by_id["switch-a2"]["key_facts"] == ["y"]


def test_the_committed_set_is_what_the_dev_split_gives(tmp_path) -> None:
    built = tmp_path / "dev-switch.jsonl"
    write_dataset(built, topic_switches(load_dataset(BANK / "dev.jsonl", {}), DEFAULT_SEED))
    assert built.read_text(encoding="utf-8") == (BANK / "dev-switch.jsonl").read_text(
        encoding="utf-8"
    )
