"""The whole `career-rag eval` path with real parts: packaged MiniLM, a fresh Chroma index built by
ingestion, the real Assistant (extractive, no LLM, to stay fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import career_rag
from evals.metrics import cosine_similarities

pytestmark = pytest.mark.real


def test_minilm_cosine_prefers_a_paraphrase_to_an_unrelated_answer() -> None:
    from rag.embedding import MiniLMEmbedder

    ref = "Python remains the most important programming language for both careers."
    good, bad = cosine_similarities(
        MiniLMEmbedder(),
        ["Both roles rely mostly on Python.", "Canberra is the capital of Australia."],
        [ref, ref],
    )
    assert good > 0.5 > bad


def test_eval_cli_end_to_end_on_a_small_dataset(tmp_path: Path) -> None:
    lines = [
        {
            "id": "t-python",
            "question": "What programming languages are important for both careers?",
            "reference_answer": "Python remains the most important programming language.",
            "source_docs": ["ai-engineering-vs-machine-learning-engineering"],
            "answerable": True,
            "key_facts": ["Python"],
            "split": "test",
        },
        {
            "id": "t-capital",
            "question": "What is the capital of Australia?",
            "reference_answer": "Not covered.",
            "source_docs": [],
            "answerable": False,
            "key_facts": [],
        },
    ]
    dataset = tmp_path / "small.jsonl"
    dataset.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "out"
    code = career_rag.main(
        [
            "eval",
            "--dataset",
            str(dataset),
            "--output",
            str(out),
            "--llm",
            "none",
            "--data-dir",
            str(tmp_path / "data"),
            "--no-progress",
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    overall = summary["systems"]["system"]["overall"]
    assert overall["hit_at_k"]["n"] == 1 and overall["hit_at_k"]["value"] == 1.0
    assert overall["citation_validity"]["value"] == 1.0
    assert overall["verbatim_quotes"]["value"] == 1.0  # checked against the corpus articles
    assert overall["unanswerable_declined"]["value"] == 1.0
    assert (out / "report.html").is_file()
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in results] == ["t-python", "t-capital"]
    assert all(
        {"answer", "refused", "citations", "retrieved", "latency_ms"} <= r.keys() for r in results
    )
