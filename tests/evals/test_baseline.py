"""The naive llama-index baseline, with a fake embedder and a scripted LLM."""

from __future__ import annotations

from pathlib import Path

from evals.baseline import NaiveBaseline, load_documents
from evals.metrics import citation_problems
from tests.fakes import FakeEmbedder, ScriptedLLM


def test_baseline_answers_in_the_answer_shape_with_valid_citations(corpus_copy: Path) -> None:
    llm = ScriptedLLM("Python is the most important language.")
    baseline = NaiveBaseline.build(corpus_copy, FakeEmbedder(), llm, max_tokens=32)
    answer = baseline.ask("What programming languages are important for both careers?")
    assert answer.answer == "Python is the most important language." and not answer.refused
    assert len(answer.retrieved) == 2  # the tutorial default, similarity_top_k=2
    assert [c.n for c in answer.citations] == [1, 2]
    assert citation_problems(answer, baseline.chunks()) == [None, None]
    assert llm.prompts and "What programming languages" in llm.prompts[0][-1]["content"]


def test_baseline_declines_when_the_model_says_it_does_not_know(corpus_copy: Path) -> None:
    baseline = NaiveBaseline.build(corpus_copy, FakeEmbedder(), ScriptedLLM("I don't know."))
    answer = baseline.ask("What is the capital of Australia?")
    assert answer.refused and answer.citations == []


def test_chunk_ids_are_stable_across_builds(corpus_copy: Path) -> None:
    first = NaiveBaseline.build(corpus_copy, FakeEmbedder(), ScriptedLLM("x")).chunks()
    second = NaiveBaseline.build(corpus_copy, FakeEmbedder(), ScriptedLLM("x")).chunks()
    assert first == second


def test_hard_mode_documents_stop_before_the_faq(corpus_copy: Path) -> None:
    normal = {d.doc_id: d.text for d in load_documents(corpus_copy)}
    hard = {d.doc_id: d.text for d in load_documents(corpus_copy, exclude_faq=True)}
    doc = "ai-engineering-vs-machine-learning-engineering"
    assert "Which role offers higher salaries?" in normal[doc]
    assert "Which role offers higher salaries?" not in hard[doc]
    assert "Section 1" in hard[doc]
    definitive = "ai-engineer-vs-ml-engineer-definitive-2026-guide"
    assert "Q: Which role pays more" not in hard[definitive]
    assert "Making the Choice" in hard[definitive]  # the table of contents' mention is not the cut
