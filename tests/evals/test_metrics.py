"""Each metric on small hand-made cases whose right answer is worked out by hand."""

from __future__ import annotations

import pytest

from evals.metrics import (
    StoredChunk,
    citation_problem,
    cosine_similarities,
    fact_coverage,
    key_fact_recall,
    quoted_spans,
    relevant_chunks,
    retrieval_scores,
    sentence_support,
    support,
    token_f1,
    unsupported_numbers,
    unverbatim_quotes,
)
from evals.stats import bootstrap_ratio, mean_metric, ratio_metric
from evals.text import fact_present, names_role, numbers, sentences
from rag.schemas import Answer
from tests.evals.conftest import cite
from tests.fakes import FakeEmbedder

A = StoredChunk("a1", "doc-a", "ML engineers train predictive models on data in 2026.")
B = StoredChunk("b1", "doc-b", "AI engineers build applications with LLMs and RAG.")


# key facts ---------------------------------------------------------------------------------------


def test_fact_alternatives_match_case_and_hyphen_insensitively() -> None:
    assert fact_present(
        "Retrieval-Augmented Generation|RAG", "uses retrieval augmented  generation"
    )
    assert fact_present("software engineering|software engineer", "A Software Engineer can")
    assert not fact_present("vector database", "vectors and databases")


def test_key_facts_match_on_word_boundaries_only() -> None:
    assert not fact_present("Go", "classic algorithms")
    assert fact_present("Go|Golang", "backend work in Go.")
    assert fact_present("£105k", "is £105k (UK)")
    assert not fact_present("rag", "leverage")


def test_a_declined_answer_earns_no_key_fact() -> None:
    assert key_fact_recall("The guides do not cover Python salaries.", ["python"], True) == 0.0


def test_relevance_follows_the_evidence_snippet_when_given() -> None:
    holder = StoredChunk("h", "doc-a", "Intro.\nML engineers train predictive models, on data.")
    same_doc = StoredChunk("s", "doc-a", "ML engineers are also mentioned here with models.")
    chunks = {c.chunk_id: c for c in (holder, same_doc)}
    snippet = ["ML engineers train predictive models on data"]
    assert relevant_chunks(chunks, ["doc-a"], ["models"], snippet) == {"h"}
    assert relevant_chunks(chunks, ["doc-b"], ["models"], snippet) == set()


def test_key_fact_recall_counts_each_fact_once() -> None:
    facts = ["python", "sql|java", "kubernetes"]
    assert key_fact_recall("Python and Java", facts) == pytest.approx(2 / 3)
    assert key_fact_recall("", facts) == 0.0
    assert key_fact_recall("anything", []) == 0.0


def test_role_facts_are_recognised() -> None:
    assert names_role("Machine Learning Engineer|ML Engineer")
    assert names_role("AI Engineer")
    assert not names_role("software engineering")


# answer similarity -------------------------------------------------------------------------------


def test_token_f1_matches_a_hand_computed_value() -> None:
    # pred tokens: ai engineers build apps (4); gold: ai engineers build products quickly (5);
    # common 3 -> P 3/4, R 3/5, F1 = 2PR/(P+R) = 2/3.
    assert token_f1("The AI engineers build apps [1].", "AI engineers build products quickly") == (
        pytest.approx(2 / 3)
    )
    assert token_f1("", "x") == 0.0
    assert token_f1("same words", "Same words.") == 1.0


def test_cosine_is_one_for_identical_text_and_zero_for_an_empty_answer() -> None:
    sims = cosine_similarities(
        FakeEmbedder(), ["models and data", "", "cats"], ["models and data"] * 3
    )
    assert sims[0] == pytest.approx(1.0)
    assert sims[1] == 0.0
    assert sims[2] < 0.5


# retrieval ---------------------------------------------------------------------------------------


def test_relevant_chunks_need_a_source_doc_and_a_key_fact() -> None:
    other = StoredChunk("x", "doc-x", "predictive models are here too")
    chunks = {c.chunk_id: c for c in (A, B, other)}
    assert relevant_chunks(chunks, ["doc-a"], ["predictive models"]) == {"a1"}
    assert relevant_chunks(chunks, ["doc-a"], ["kubernetes"]) == set()


def test_retrieval_scores_hit_mrr_recall_by_hand() -> None:
    ranked = {
        "q1": ["n1", "r1", "n2", "r2", "n3", "r3"],  # relevant at ranks 2 and 4 in the top 5
        "q2": ["n1", "n2"],  # nothing relevant retrieved
        "q3": ["r9"],  # relevant set is empty: scored 0, not skipped
    }
    qrels = {"q1": {"r1", "r2", "r3"}, "q2": {"r1"}, "q3": set()}
    got = retrieval_scores(ranked, qrels, k=5)
    assert got["q1"] == {"hit": 1.0, "mrr": 0.5, "recall": pytest.approx(2 / 3)}
    assert got["q2"] == {"hit": 0.0, "mrr": 0.0, "recall": 0.0}
    assert got["q3"] == {"hit": 0.0, "mrr": 0.0, "recall": 0.0}


def test_retrieval_at_k_ignores_what_is_below_k() -> None:
    got = retrieval_scores({"q": ["n1", "n2", "r1"]}, {"q": {"r1"}}, k=2)
    assert got["q"]["hit"] == 0.0
    assert got["q"]["mrr"] == pytest.approx(1 / 3)  # MRR looks at the whole list it is given


def test_fact_coverage_is_the_share_of_facts_in_the_passages() -> None:
    assert fact_coverage([A.text, B.text], ["predictive models", "RAG", "kubernetes"]) == (
        pytest.approx(2 / 3)
    )


# grounding ---------------------------------------------------------------------------------------


def test_sentences_keep_trailing_markers() -> None:
    assert sentences("First claim. [1] Second claim [2].") == [
        "First claim. [1]",
        "Second claim [2].",
    ]


def test_support_is_the_share_of_content_words_in_the_quotes() -> None:
    # content words: ml, engineers, train, predictive, models, cats -> 5 of 6 in the quote
    assert support("ML engineers train predictive models for cats.", [A.text]) == pytest.approx(
        5 / 6
    )
    assert support("It is so.", []) == 1.0  # only function words: nothing claimed


def test_sentence_support_uses_markers_then_best_alignment() -> None:
    citations = [cite(1, A), cite(2, B)]
    text = "AI engineers build applications with RAG [1]. ML engineers train predictive models."
    first, second = sentence_support(text, citations)
    assert first.cited == (1,) and not first.supported  # cites the wrong quote
    assert second.cited == (1,) and second.supported  # no marker: aligned to quote 1
    assert sentence_support("Anything at all.", [])[0].supported is False


def test_numbers_are_extracted_without_markers_and_separators() -> None:
    assert numbers("£105k and 1,000 users in 2026 [3]; 4.5%") == ["105", "1000", "2026", "4.5"]


def test_unsupported_numbers_are_those_in_no_quote() -> None:
    assert unsupported_numbers("In 2026 and 2030 [1].", [cite(1, A)]) == ["2030"]
    assert unsupported_numbers("No figures here.", []) == []


def test_citation_problems_cover_each_way_a_citation_can_be_wrong() -> None:
    chunks = {"a1": A, "b1": B}
    retrieved = {"a1"}
    assert citation_problem(cite(1, A, "train predictive models"), chunks, retrieved) is None
    assert citation_problem(cite(1, A, "trains predictive models"), chunks, retrieved) == (
        "quote not verbatim"
    )
    assert citation_problem(cite(1, B), chunks, retrieved) == "chunk not retrieved"
    assert citation_problem(cite(1, A, "  "), chunks, retrieved) == "empty quote"
    ghost = StoredChunk("zz", "doc-a", "text")
    assert citation_problem(cite(1, ghost), chunks, retrieved) == "chunk not in index"
    wrong_doc = cite(1, A).model_copy(update={"doc_id": "doc-b"})
    assert citation_problem(wrong_doc, chunks, retrieved) == "wrong doc_id"


# aggregates --------------------------------------------------------------------------------------


def test_bootstrap_is_seeded_and_brackets_the_value() -> None:
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    first = bootstrap_ratio(values, [1.0] * 8)
    assert first == bootstrap_ratio(values, [1.0] * 8)
    assert first is not None and first[0] < 0.75 < first[1]
    assert bootstrap_ratio([1.0], [1.0]) is None


def test_aggregates_state_their_n_and_never_invent_a_value() -> None:
    m = mean_metric([1.0, 0.0], of=5, note="two of five apply")
    assert (m["value"], m["n"], m["of"]) == (0.5, 2, 5)
    empty = mean_metric([], of=5)
    assert empty["value"] is None and empty["n"] == 0
    r = ratio_metric([1, 2], [2, 2], of=2)
    assert (r["value"], r["n"]) == (0.75, 4)


def test_a_quote_without_a_full_stop_ends_at_its_citation() -> None:
    text = "\u201cMap your skills onto the role\u201d [1] \u201cBoth pay well.\u201d [2] "
    text += "Pay (ML): x [3]"
    assert sentences(text) == [
        "\u201cMap your skills onto the role\u201d [1]",
        "\u201cBoth pay well.\u201d [2]",
        "Pay (ML): x [3]",
    ]
    assert sentences("AI engineers [1] and ML engineers [2] differ.") == [
        "AI engineers [1] and ML engineers [2] differ."
    ]


def test_sentences_end_inside_closing_quotes() -> None:
    text = "\u201cFirst quoted claim.\u201d [1] \u201cSecond one.\u201d [2]"
    assert sentences(text) == ["\u201cFirst quoted claim.\u201d [1]", "\u201cSecond one.\u201d [2]"]


def test_quoted_spans_are_the_outermost_quotations() -> None:
    answer = "“They do not “build” models.” [1] AI engineers ship. Pay (ML): “£105k” [2]"
    assert quoted_spans(answer) == ["They do not “build” models.", "£105k"]


def test_a_quote_the_article_does_not_hold_word_for_word_is_flagged() -> None:
    article = (
        "Core Philosophy |\nApplied Intelligence: Focuses on models. |\nScientific Research. |"
    )
    chunk = StoredChunk("d:1", "d", "Core Philosophy: AI Engineer: Applied Intelligence: ...")
    verbatim = Answer(
        answer="Core Philosophy (AI Engineer): “Applied Intelligence: Focuses on models.” [1]",
        refused=False,
        citations=[cite(1, chunk, "Applied Intelligence: Focuses on models.")],
    )
    rebuilt = verbatim.model_copy(
        update={
            "answer": "“Core Philosophy: AI Engineer: Applied Intelligence: Focuses on models.” [1]"
        }
    )
    assert unverbatim_quotes(verbatim, {"d": article}) == []
    assert unverbatim_quotes(rebuilt, {"d": article}) == [
        "Core Philosophy: AI Engineer: Applied Intelligence: Focuses on models."
    ]
    assert unverbatim_quotes(verbatim, {"other": article}) != []  # only cited articles count
