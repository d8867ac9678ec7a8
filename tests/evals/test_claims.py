"""Claims for the verifier benchmark: every corruption changes the word that carries the meaning,
faithful variants keep every number and name, sampling is seeded, and the benchmark's core runs
over a real index."""

from __future__ import annotations

import difflib
import random
import re
from pathlib import Path

import pytest

from evals.claims import (
    COMPARATIVE_FLIP,
    ENTITY_SWAP,
    FAITHFUL,
    KINDS,
    NEGATION,
    OTHER_ARTICLE,
    PERTURBATIONS,
    ROLE_SWAP,
    Claim,
    Statement,
    balanced_sample,
    clauses,
    comparative_flip,
    drop_marker,
    faithful,
    generate_claims,
    lowercase_words,
    name_swaps,
    name_vocabulary,
    negation,
    number_from_chunk,
    number_swaps,
    other_article,
    role_swap,
    statements,
    switch_acronyms,
    synonyms,
)
from evals.metrics import StoredChunk
from evals.verifier import gate_failures, run_benchmark
from ingest.loader import load_corpus
from ingest.splitter import split_article
from rag.config import Settings
from rag.text import numbers, proper_names, words
from tests.conftest import CORPUS

SALARY = (
    "According to Levels.fyi, the average salary for a machine learning engineer is £105k (UK) "
    "and for an AI engineer is £75k (UK)."
)
TOOLS = (
    "ML engineers deploy their models with Docker every single day. "
    "They orchestrate the containers with Kubernetes in production. "
    "Their teams trained 40 models and shipped 12 of them last year."
)
HAND_CHUNKS = {
    "a:0": StoredChunk(
        "a:0",
        "doc-a",
        "Core Skills\n"
        "However, AI engineers typically build products on top of large models.\n"
        "AI engineers do not train foundation models themselves; they integrate them.\n"
        "The role requires strong software engineering skills, and it rewards curiosity.\n"
        f"{SALARY}\n"
        "Which role pays more?\n"
        "The key skills are:",
    ),
    "b:0": StoredChunk(
        "b:0",
        "doc-b",
        "A Machine Learning Engineer often spends more time on data than on models.\n"
        "ML engineers train models, while AI engineers ship complete products.\n"
        f"{TOOLS}\n"
        "In addition, the most important skill for an ML engineer is statistics.",
    ),
    "c:0": StoredChunk(
        "c:0",
        "doc-c",
        "Both AI and ML engineers need Python for their daily work.\n"
        "Gardening teaches patience and a steady hand with sharp tools.\n"
        "AI engineers typically build products on top of large models.",
    ),
    "c:quiz": StoredChunk(
        "c:quiz", "doc-c", "AI engineers never write any code at all in practice.", "quiz"
    ),
}
ROLE_RE = re.compile(r"\b(?:ai|ml|machine learning|artificial intelligence)\b", re.I)
NEGATION_WORDS = {"not", "cannot", "never", "always", "don't", "doesn't", "isn't", "aren't"}


def st(text: str, chunk_text: str | None = None, doc: str = "doc-a") -> Statement:
    return Statement(text, f"{doc}:0", doc, chunk_text if chunk_text is not None else text)


def texts(pairs: list[tuple[str, str]]) -> list[str]:
    return [text for _, text in pairs]


def changed_words(original: str, claim: str) -> tuple[list[str], list[str]]:
    """The tokens removed from and added to `original` (whitespace tokens, punctuation kept)."""
    a, b = original.split(), claim.split()
    removed: list[str] = []
    added: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes():
        if op != "equal":
            removed += a[i1:i2]
            added += b[j1:j2]
    return removed, added


@pytest.fixture(scope="module")
def corpus_chunks() -> dict[str, StoredChunk]:
    """The real guides split as ingestion splits them (no embedding needed)."""
    chunks = {}
    for article in load_corpus(CORPUS).articles:
        for c in split_article(article.doc_id, article.text, article.title):
            chunks[c.chunk_id] = StoredChunk(c.chunk_id, article.doc_id, c.text, c.kind)
    return chunks


# -- statements --------------------------------------------------------------------------------


def test_statements_skip_quiz_chunks_headings_questions_and_list_openers():
    found = [s.text for s in statements(HAND_CHUNKS)]
    assert SALARY in found
    assert "Gardening teaches patience and a steady hand with sharp tools." in found
    assert not any("never write" in s for s in found)  # quiz chunk
    assert not any(
        s in ("Core Skills", "Which role pays more?", "The key skills are:") for s in found
    )


# -- role swap ---------------------------------------------------------------------------------


def test_role_swap_gives_a_one_role_sentence_the_other_role():
    assert texts(role_swap(st("AI engineers build products on top of large models."))) == [
        "ML engineers build products on top of large models."
    ]
    assert texts(role_swap(st("A Machine Learning Engineer spends more time on data."))) == [
        "An AI Engineer spends more time on data."
    ]


def test_role_swap_exchanges_two_roles_only_where_they_do_different_things():
    assert role_swap(st("Both AI and ML engineers need Python for their daily work.")) == []
    assert role_swap(st("The difference between an AI engineer and an ML engineer is scope.")) == []
    assert role_swap(st("ML engineers train models, while AI engineers ship products.")) == [
        ("both_swapped", "AI engineers train models, while ML engineers ship products.")
    ]


# -- entity swap -------------------------------------------------------------------------------


def test_number_swap_moves_each_amount_to_the_other_role():
    [(subkind, claim)] = number_swaps(st(SALARY))
    assert subkind == "number_swap"
    assert claim.index("£75k") < claim.index("£105k")
    assert numbers(claim) == numbers(SALARY)


def test_number_swap_leaves_ranges_and_numbers_of_different_kinds_alone():
    assert number_swaps(st("Most roles ask for 2 to 5 years of experience in industry.")) == []
    assert number_swaps(st("In 2026, 40% of postings asked for cloud skills.")) == []


def test_number_from_chunk_uses_a_figure_the_chunk_gives_something_else():
    sentence = "Their teams trained 40 models and shipped 12 of them last year."
    chunk = f"{sentence} A third team tested 7 prototypes."
    variants = texts(number_from_chunk(st(sentence, chunk), random.Random(0)))
    assert variants == [
        "Their teams trained 7 models and shipped 12 of them last year.",
        "Their teams trained 40 models and shipped 7 of them last year.",
    ]


def test_name_swap_replaces_a_tool_with_another_name_from_the_same_chunk():
    sentence = "ML engineers deploy their models with Docker every single day."
    names = name_vocabulary([TOOLS])
    assert names == ["Docker", "Kubernetes"]
    [(subkind, claim)] = name_swaps(
        st(sentence, TOOLS), names, lowercase_words([TOOLS]), random.Random(0)
    )
    assert subkind == "name_from_chunk"
    assert claim == "ML engineers deploy their models with Kubernetes every single day."


def test_name_vocabulary_leaves_out_title_case_phrases_and_common_words():
    text = (
        "Engineers use Large Language Models and Docker daily. "
        "You will receive a free Resume Template from us. "
        "Good engineers write AI-powered apps in Python."
    )
    assert name_vocabulary([text]) == ["Docker", "Python"]


# -- negation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "AI engineers are often from a software engineering background.",
            ("insert", "AI engineers are not often from a software engineering background."),
        ),
        (
            "The role requires strong software engineering skills daily.",
            ("insert", "The role does not require strong software engineering skills daily."),
        ),
        (
            "You can switch roles after a few years of work.",
            ("insert", "You cannot switch roles after a few years of work."),
        ),
        (
            "AI engineers do not train foundation models themselves.",
            ("remove", "AI engineers train foundation models themselves."),
        ),
        (
            "This does not mean machine learning engineering is obsolete.",
            ("remove", "This means machine learning engineering is obsolete."),
        ),
        (
            "Most beginners cannot skip the mathematics in this role.",
            ("remove", "Most beginners can skip the mathematics in this role."),
        ),
    ],
)
def test_negation_inserts_or_removes_one_negation(sentence, expected):
    assert negation(st(sentence))[0] == expected


def test_negation_does_not_treat_not_only_as_a_negation():
    variants = negation(st("The job is not only about models but also about products."))
    assert all(subkind == "insert" for subkind, _ in variants)
    assert all("not only" in text for _, text in variants)


# -- comparative flip --------------------------------------------------------------------------


def test_comparative_flip_reverses_comparatives_and_superlatives():
    assert comparative_flip(st("AI engineers often command higher salaries than others.")) == [
        ("higher->lower", "AI engineers often command lower salaries than others.")
    ]
    assert texts(comparative_flip(st("Statistics is the most important skill for the job."))) == [
        "Statistics is the least important skill for the job."
    ]


def test_comparative_flip_skips_quantifiers_and_fixed_phrases():
    assert comparative_flip(st("Most companies now hire for both roles every year.")) == []
    assert comparative_flip(st("Follow best practices when you deploy models to production.")) == []
    assert comparative_flip(st("Engineers design and deploy models for production systems.")) == []


# -- faithful ----------------------------------------------------------------------------------


def test_rewording_rules_keep_the_statement():
    assert drop_marker("However, AI engineers ship products.") == "AI engineers ship products."
    assert drop_marker("AI engineers ship products.") is None
    assert switch_acronyms("An ML Engineer trains ML models.") == (
        "A Machine Learning Engineer trains machine learning models."
    )
    assert switch_acronyms("Machine learning engineers study artificial intelligence.") == (
        "ML engineers study AI."
    )
    assert synonyms("They typically and often deploy models.") == (
        "They usually and frequently deploy models."
    )


def test_clauses_cut_independent_clauses_but_not_lists():
    assert clauses("The role requires strong software skills, and it rewards curiosity.") == [
        "The role requires strong software skills."
    ]
    assert clauses("Engineers learn linear algebra, calculus, and statistics at university.") == []
    assert clauses("ML engineers need a lot of maths; they must also write production code.") == [
        "ML engineers need a lot of maths.",
        "They must also write production code.",
    ]
    assert clauses("It is not only about models, but it is also about products.") == []


def test_faithful_rewordings_keep_every_number_and_name():
    sentence = "However, ML engineers at Levels.fyi typically earn £105k in the UK in 2026."
    variants = faithful(st(sentence))
    assert {subkind for subkind, _ in variants} == {"exact", "drop_marker", "acronym", "synonym"}
    for _, text in variants:
        assert numbers(text) == numbers(sentence)
        assert proper_names(sentence) <= set(words(text))


def test_faithful_clauses_add_no_number_or_name(corpus_chunks):
    claims = generate_claims(corpus_chunks, per_kind=10_000, seed=0).claims
    clause_claims = [c for c in claims if c.kind == FAITHFUL and c.subkind == "clause"]
    assert clause_claims
    for c in clause_claims:
        assert numbers(c.text) <= numbers(c.original)
        assert proper_names(c.text) <= set(words(c.original))


# -- other article -----------------------------------------------------------------------------


def test_other_article_skips_sentences_another_article_nearly_repeats():
    kept = {s.text for s, _ in other_article(statements(HAND_CHUNKS), HAND_CHUNKS)}
    assert "Gardening teaches patience and a steady hand with sharp tools." in kept
    # doc-a and doc-c both say AI engineers build products on top of large models.
    assert not any("on top of large models" in s for s in kept)


# -- the claim set -----------------------------------------------------------------------------


def test_generation_is_deterministic_by_seed(corpus_chunks):
    first = generate_claims(corpus_chunks, per_kind=30, seed=3)
    again = generate_claims(corpus_chunks, per_kind=30, seed=3)
    other = generate_claims(corpus_chunks, per_kind=30, seed=4)
    assert first.claims == again.claims
    assert first.claims != other.claims
    assert first.available == other.available


def test_no_claim_is_its_original_except_exact_and_other_article_ones(corpus_chunks):
    claims = generate_claims(corpus_chunks, per_kind=10_000, seed=0).claims
    for c in claims:
        same = c.text.lower() == c.original.lower()
        assert same == (c.subkind == "exact" or c.kind == OTHER_ARTICLE), c


def test_every_corruption_changes_a_meaning_bearing_word(corpus_chunks):
    claims = generate_claims(corpus_chunks, per_kind=10_000, seed=0).claims
    for c in claims:
        removed, added = changed_words(c.original, c.text)
        changed = set(words(" ".join(removed + added)))
        if c.kind == ROLE_SWAP:
            assert ROLE_RE.search(" ".join(removed)) and ROLE_RE.search(" ".join(added)), c
        elif c.kind == NEGATION:
            assert changed & NEGATION_WORDS or {"does", "do"} & changed, c
        elif c.kind == COMPARATIVE_FLIP:
            before, after = c.subkind.split("->")
            assert before in changed and after in changed, c
        elif c.kind == ENTITY_SWAP:
            assert any(re.search(r"\d|[A-Z]", w) for w in removed + added), c


def test_every_kind_is_generated_from_the_real_guides_and_spread_over_articles(corpus_chunks):
    claim_set = generate_claims(corpus_chunks, per_kind=40, seed=0)
    docs = {c.doc_id for c in corpus_chunks.values()}
    for kind in KINDS:
        of_kind = [c for c in claim_set.claims if c.kind == kind]
        assert len(of_kind) == min(40, claim_set.available[kind]) > 0
        if kind in (FAITHFUL, NEGATION, OTHER_ARTICLE):
            assert {c.doc_id for c in of_kind} == docs


def test_balanced_sample_takes_subkinds_and_articles_in_turn():
    def claim(sub: str, doc: str, i: int) -> Claim:
        return Claim(FAITHFUL, sub, f"{sub} {doc} {i}", "o", "c", doc)

    pool = [claim("x", "a", i) for i in range(10)] + [claim("x", "b", 0), claim("y", "a", 0)]
    picked = balanced_sample(pool, 4, random.Random(0))
    assert {c.doc_id for c in picked if c.subkind == "x"} == {"a", "b"}
    assert any(c.subkind == "y" for c in picked)


# -- the benchmark -----------------------------------------------------------------------------


def test_gate_fails_a_share_below_its_minimum_and_a_kind_without_claims():
    kinds = {
        FAITHFUL: {"accepted": 0.97, "rejected": 0.03},
        ROLE_SWAP: {"accepted": 0.2, "rejected": 0.8},
        NEGATION: {"accepted": None, "rejected": None},
    }
    targets = {"min_rejected": {ROLE_SWAP: 0.9, NEGATION: 0.5}, "min_accepted": 0.95}
    failures = gate_failures(kinds, targets)
    assert [f.split(":")[0] for f in failures] == [NEGATION, ROLE_SWAP]
    assert gate_failures(kinds, {"min_rejected": {ROLE_SWAP: 0.8}, "min_accepted": 0.9}) == []


@pytest.mark.real
def test_benchmark_core_summarises_every_kind_over_a_real_minilm_index(tmp_path: Path):
    from rag.embedding import MiniLMEmbedder

    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS, llm="none")
    summary = run_benchmark(settings, MiniLMEmbedder(), per_kind=20, seed=0)
    assert list(summary["kinds"]) == list(KINDS)
    for row in summary["kinds"].values():
        assert row["n"] == 20
        assert row["accepted"] + row["rejected"] == pytest.approx(1.0)
    assert set(summary["examples"]) == set(PERTURBATIONS)
    assert summary["passed"] is None  # no minimums given
