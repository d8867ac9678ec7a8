"""The dataset loader and the packaged datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import career_rag
from evals.datasets import DatasetError, EvalItem, load_dataset, load_datasets
from evals.text import fact_present

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
GOOD = {
    "id": "x1",
    "question": "What?",
    "reference_answer": "That.",
    "source_docs": ["doc"],
    "answerable": True,
    "key_facts": ["that|this"],
}


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_packaged_datasets_have_the_promised_sizes(packaged_items: list[EvalItem]) -> None:
    by = {
        name: [i for i in packaged_items if i.dataset == name]
        for name in ("faq", "quiz", "unanswerable")
    }
    assert len(by["faq"]) == 19
    assert len(by["quiz"]) == 10
    assert len(by["unanswerable"]) >= 15
    assert all(i.answerable for i in by["faq"] + by["quiz"])
    assert not any(i.answerable or i.key_facts or i.source_docs for i in by["unanswerable"])


def test_every_key_fact_occurs_in_its_reference_and_a_source_doc(
    packaged_items: list[EvalItem],
) -> None:
    """A key fact nobody could find in the guides would make the metric unfair."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
    for item in packaged_items:
        for doc in item.source_docs:
            assert doc in texts, f"{item.id}: unknown source doc {doc}"
        for fact in item.key_facts:
            assert fact_present(fact, item.reference_answer), (
                f"{item.id}: {fact!r} not in reference"
            )
            assert any(fact_present(fact, texts[d]) for d in item.source_docs), (
                f"{item.id}: {fact!r}"
            )


def test_faq_references_are_the_articles_own_answers(packaged_items: list[EvalItem]) -> None:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
    for item in packaged_items:
        if item.dataset == "faq":
            assert item.question in texts[item.source_docs[0]]
            assert item.reference_answer in texts[item.source_docs[0]]


def test_extra_keys_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps({**GOOD, "split": "dev"})])
    (item,) = load_dataset(path)
    assert item.extra == {"split": "dev"}
    assert item.dataset == "set"


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "invalid JSON"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "question"}), "question"),
        (json.dumps({**GOOD, "answerable": "yes"}), "answerable"),
        (json.dumps({**GOOD, "key_facts": "that"}), "key_facts"),
        (json.dumps({**GOOD, "source_docs": [1]}), "source_docs"),
        (json.dumps([GOOD]), "JSON object"),
        (json.dumps({**GOOD, "key_facts": []}), "key fact"),
        (json.dumps({**GOOD, "id": "first"}), "duplicate id 'first'"),
    ],
)
def test_a_malformed_line_is_rejected_with_file_and_line_number(
    tmp_path: Path, bad_line: str, message: str
) -> None:
    first = json.dumps({**GOOD, "id": "first"})
    path = write(tmp_path, [first, "", bad_line])
    with pytest.raises(DatasetError) as err:
        load_dataset(path)
    assert "set.jsonl:3" in str(err.value)
    assert message in str(err.value)


def test_duplicate_ids_across_files_are_rejected(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    b.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"b.jsonl:1: duplicate id 'x1' \(first at a.jsonl:1\)"):
        load_datasets([str(a), str(b)])


def test_cli_exits_non_zero_naming_the_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, [json.dumps(GOOD), '{"id": "y"}'])
    code = career_rag.main(["eval", "--dataset", str(path), "--output", str(tmp_path / "out")])
    assert code == 2
    assert "set.jsonl:2" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
