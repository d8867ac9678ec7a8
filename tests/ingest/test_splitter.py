"""Structure-aware chunking of the real articles and of small synthetic ones."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter

import pytest

from ingest.splitter import (
    MAX_WORDS,
    Chunk,
    chunk_ids,
    clean_lines,
    heading_flags,
    is_heading_candidate,
    split_article,
    split_sentences,
    table_rows,
)
from tests.conftest import CORPUS

DEFINITIVE = "ai-engineer-vs-ml-engineer-definitive-2026-guide"
LONG_GUIDE = "ai-engineering-vs-machine-learning-engineering"
LESSON = "choosing-the-career-track-that-fits-your-strengths"
NEWSLETTER = "machine-learning-vs-ai-engineering-whats-the-difference"
MANIFEST = json.loads((CORPUS / "sources.json").read_text(encoding="utf-8"))


def chunks_of(doc_id: str) -> list[Chunk]:
    text = (CORPUS / f"{doc_id}.txt").read_text(encoding="utf-8")
    return split_article(doc_id, text, MANIFEST[doc_id]["title"])


def all_chunks() -> list[Chunk]:
    return [c for doc_id in MANIFEST for c in chunks_of(doc_id)]


# ---------------------------------------------------------------- headings


@pytest.mark.parametrize(
    "line",
    [
        "Section 2: How AI Engineering and Machine Learning Engineering Differ in Daily Work",
        "Machine Learning Engineers Focus on Building Intelligent Models",
        "Key Takeaway",
        "Frequently Asked Questions",
        "What's going on?",
        "Pay up",
        "The premise",
    ],
)
def test_heading_candidates_include_bare_short_lines_and_short_questions(line: str) -> None:
    assert is_heading_candidate(line)


@pytest.mark.parametrize(
    "line",
    [
        "- Git and GitHub",
        "To summarize,",
        "Data Processing.",
        "A Machine Learning Engineer’s main responsibilities include:",
        "What is the difference between an AI engineer and a machine learning engineer?",
        "4. Which role offers higher salaries?",
        "AI Engineer |",
        "main pagenewsletter.egorhowell.com",
        "9 min · Reviewed 2026",
    ],
)
def test_bullets_punctuated_long_questions_and_table_cells_are_not_headings(line: str) -> None:
    assert not is_heading_candidate(line)


def test_a_run_of_more_than_two_short_lines_is_a_list_not_headings() -> None:
    lines = ["What AI cannot do", "Substitute for experience", "Predict demand", "Build networks"]
    assert heading_flags(["Body sentence here.", *lines[:2], "Body again."]) == [
        False,
        True,
        True,
        False,
    ]
    assert heading_flags(lines) == [False] * 4


def test_consecutive_headings_join_into_one_section_name() -> None:
    sections = {c.section for c in chunks_of(NEWSLETTER)}
    assert "Machine Learning Engineer › What's going on?" in sections
    assert "An AI engineer › What's going on?" in sections


def test_heading_lines_open_the_first_chunk_of_their_section() -> None:
    chunks = chunks_of(LONG_GUIDE)
    first = {}
    for c in chunks:
        first.setdefault(c.section, c)
    conclusion = first["Conclusion"]
    assert conclusion.text.startswith("Conclusion\nArtificial intelligence is entering a new era")
    takeaway = first["Key Takeaway"]
    assert takeaway.text.startswith("Key Takeaway\n")


def test_text_before_the_first_heading_is_one_intro_without_section() -> None:
    chunks = chunks_of(DEFINITIVE)
    assert chunks[0].kind == "intro" and chunks[0].section == "" and chunks[0].position == 0
    assert chunks[0].text.startswith("By 2026, the debate is over.")
    assert [c.kind for c in chunks].count("intro") == 1


# ---------------------------------------------------------------- noise removed


def test_table_of_contents_read_more_links_and_title_line_are_dropped() -> None:
    texts = "\n".join(c.text for c in all_chunks())
    assert "Table of Contents" not in texts
    assert "Read More" not in texts
    assert "\n-\n" not in texts
    for doc_id, entry in MANIFEST.items():
        assert not chunks_of(doc_id)[0].text.startswith(entry["title"])


def test_toc_entries_are_dropped_but_the_same_heading_later_is_kept() -> None:
    lines = clean_lines(
        "Title\nTable of Contents\n-\nIntro heading\n-\nFAQ\nBody starts here.\nIntro heading\n",
        "Title",
    )
    assert lines == ["Body starts here.", "Intro heading"]


# ---------------------------------------------------------------- FAQ


def test_all_19_faq_pairs_are_exactly_one_chunk_each_with_question_and_answer() -> None:
    faq = [c for c in all_chunks() if c.kind == "faq"]
    assert len(faq) == 19
    assert {c.section for c in faq} == {"Frequently Asked Questions"}
    numbered = [c for c in faq if re.match(r"^\d+\. ", c.text)]
    assert [int(c.text.split(".")[0]) for c in numbered] == list(range(1, 16))
    qa = [c for c in faq if c.text.startswith("Q: ")]
    assert len(qa) == 4
    for c in faq:
        question, _, answer = c.text.partition("\n")
        assert question.endswith("?")
        assert len(answer.split()) >= 10  # the answer travels with its question
    for c in qa:
        assert "\nA: " in c.text
    fifteen = next(c for c in numbered if c.text.startswith("15. "))
    assert fifteen.text.endswith("reshape the global technology landscape.")


def test_numbered_faq_question_is_not_taken_for_a_heading_or_split() -> None:
    text = (
        "Intro sentence that is long enough to be an introduction of this article.\n"
        "Frequently Asked Questions\n"
        "1. Which role pays more?\nThe answer is long. " + "It keeps going. " * 80 + "\n"
        "2. Is it hard?\nNo.\n"
    )
    faq = [c for c in split_article("doc", text) if c.kind == "faq"]
    assert [c.text.split("\n")[0] for c in faq] == ["1. Which role pays more?", "2. Is it hard?"]
    assert faq[0].words > MAX_WORDS  # kept whole even when long


# ---------------------------------------------------------------- table


def test_flattened_table_becomes_one_table_chunk_with_a_line_per_labelled_cell() -> None:
    tables = [c for c in all_chunks() if c.kind == "table"]
    assert len(tables) == 1
    table = tables[0]
    assert "|" not in table.text
    assert table.section.startswith("Making the Choice Between")
    lines = table.text.split("\n")
    assert (
        "Core Philosophy (AI Engineer): “Applied Intelligence: Focuses on using models to solve "
        "business problems.”"
    ) in lines
    assert (
        "Core Philosophy (ML Engineer): “Scientific Research: Focuses on creating and refining "
        "the models themselves.”"
    ) in lines
    labels = [line.split(":")[0] for line in lines if line.endswith("”")]
    assert labels[:4] == [
        "Core Philosophy (AI Engineer)",
        "Core Philosophy (ML Engineer)",
        "Primary Workflow (AI Engineer)",
        "Primary Workflow (ML Engineer)",
    ]
    assert len(labels) == 10


def test_every_quoted_table_cell_is_the_article_text_verbatim() -> None:
    article = CORPUS / "ai-engineer-vs-ml-engineer-definitive-2026-guide.txt"
    source = article.read_text(encoding="utf-8").splitlines()
    (table,) = [c for c in all_chunks() if c.kind == "table"]
    cells = [line[line.index("“") + 1 : -1] for line in table.text.split("\n") if "“" in line]
    assert cells and all(f"{cell} |" in source for cell in cells)


def test_table_rows_label_each_cell_with_its_row_and_column() -> None:
    lines = ["|", "|", "A |", "B |", "|", "Row |", "a1 |", "b1 |", "|", "Two |", "a2 |", "b2 |"]
    assert table_rows(lines) == [
        "Row (A): “a1”\nRow (B): “b1”",
        "Two (A): “a2”\nTwo (B): “b2”",
    ]


def test_a_table_with_a_named_corner_cell_keeps_every_label() -> None:
    lines = ["|", "Aspect |", "A |", "|", "Pay |", "high |"]
    assert table_rows(lines) == ["Pay (A): “high”"]


# ---------------------------------------------------------------- quiz and lesson


def test_quiz_gives_one_chunk_per_question_with_its_options() -> None:
    quiz = [c for c in chunks_of(LESSON) if c.kind == "quiz"]
    assert len(quiz) == 10  # "10 questions", including one that does not end with "?"
    assert {c.section for c in quiz} == {"End-of-lesson check"}
    assert quiz[0].text.split("\n")[0].startswith("What is the main idea of")
    assert quiz[1].text.split("\n")[1:] == [
        "ML engineer",
        "AI engineer",
        "career path",
        "role definition",
    ]
    assert quiz[7].text == "Name one way to verify an AI answer about AI engineer."
    assert not any("take it digitally" in c.text for c in quiz)


def test_lesson_lists_are_not_fragmented_into_one_line_chunks() -> None:
    body = [c for c in chunks_of(LESSON) if c.kind == "section"]
    assert len(body) == 1
    assert "What AI cannot do\nSubstitute for actual experience in the chosen role" in body[0].text
    assert body[0].text.startswith("The premise\n")


def test_small_sections_merge_with_the_next_and_name_both() -> None:
    sections = [c.section for c in chunks_of(NEWSLETTER)]
    assert "Which should you choose? · It's the background" in sections
    assert min(c.words for c in chunks_of(NEWSLETTER) if c.kind == "section") >= 50


# ---------------------------------------------------------------- sizes and text


def test_long_sections_split_within_size_limits_with_one_sentence_overlap() -> None:
    sentences = [
        f"Sentence number {i} talks about engineering careers in detail." for i in range(60)
    ]
    text = "Intro line that is long enough.\nA Long Section\n" + " ".join(sentences)
    chunks = [c for c in split_article("doc", text) if c.kind == "section"]
    assert len(chunks) >= 3
    assert all(c.words <= MAX_WORDS for c in chunks)
    for before, after in itertools.pairwise(chunks):
        last = split_sentences(before.text.split("\n")[-1])[-1]
        assert after.text.startswith(last)  # exactly one sentence repeated
        assert not after.text.startswith(" ".join(split_sentences(before.text)[-2:]))
    assert chunks[0].text.startswith("A Long Section\nSentence number 0 ")
    assert {c.section for c in chunks} == {"A Long Section"}


def test_corpus_chunks_stay_within_the_model_window() -> None:
    for c in all_chunks():
        if c.kind not in ("faq", "quiz"):
            assert 10 <= c.words <= MAX_WORDS, (c.chunk_id, c.words)
    kinds = Counter(c.kind for c in all_chunks())
    assert kinds["intro"] == 3 and kinds["table"] == 1 and kinds["quiz"] == 10


def test_chunk_text_is_verbatim_article_text_with_whitespace_normalised() -> None:
    for doc_id in MANIFEST:
        raw = (CORPUS / f"{doc_id}.txt").read_text(encoding="utf-8")
        article_lines = [" ".join(line.split()) for line in raw.splitlines()]
        for c in chunks_of(doc_id):
            if c.kind == "table":
                continue
            for line in c.text.split("\n"):
                assert any(line in a for a in article_lines), (doc_id, line)


def test_whitespace_inside_lines_is_collapsed_and_line_breaks_kept() -> None:
    chunks = split_article(
        "doc", "Heading  Here\nFirst\tline   of text.\u00a0Second one.\nNext line."
    )
    assert chunks[0].text == "Heading Here\nFirst line of text. Second one.\nNext line."


def test_positions_follow_reading_order() -> None:
    for doc_id in MANIFEST:
        assert [c.position for c in chunks_of(doc_id)] == list(range(len(chunks_of(doc_id))))


# ---------------------------------------------------------------- ids


def test_chunk_ids_are_stable_and_derived_from_doc_id_and_text() -> None:
    first = [c.chunk_id for c in chunks_of(LONG_GUIDE)]
    assert first == [c.chunk_id for c in chunks_of(LONG_GUIDE)]
    assert all(cid.startswith(f"{LONG_GUIDE}:") for cid in first)
    assert len(set(first)) == len(first)
    assert chunk_ids("a", ["same"]) != chunk_ids("b", ["same"])


def test_repeated_text_in_one_article_gets_distinct_ids() -> None:
    ids = chunk_ids("doc", ["same text", "other", "same text"])
    assert len(set(ids)) == 3
    assert ids[2] == ids[0] + "-2"


def test_editing_one_section_changes_only_that_sections_ids() -> None:
    raw = (CORPUS / f"{NEWSLETTER}.txt").read_text(encoding="utf-8")
    edited = raw.replace("engineer is £105k (UK)", "engineer is £106k (UK)")
    title = MANIFEST[NEWSLETTER]["title"]
    before = {c.chunk_id: c for c in split_article(NEWSLETTER, raw, title)}
    after = {c.chunk_id: c for c in split_article(NEWSLETTER, edited, title)}
    changed = set(before) ^ set(after)
    assert {before.get(i, after.get(i)).section for i in changed} == {"Pay up"}  # type: ignore[union-attr]
