"""Questions about the guides themselves, answered from the manifest and the articles' openings."""

from __future__ import annotations

import pytest

from rag.overview import MAX_LISTED, overview, sources_asked_about, which_source_topic
from rag.retrieve import ChunkIndex
from rag.schemas import Answer, Turn
from tests.rag.conftest import chunk_texts, fake_assistant
from tests.rag.test_assistant import assert_citations_are_verbatim_and_retrieved

NEWSLETTER = "machine-learning-vs-ai-engineering-whats-the-difference"
BIG_BLUE = "ai-engineer-vs-ml-engineer-definitive-2026-guide"


@pytest.mark.parametrize(
    ("question", "docs"),
    [
        ("Who is Egor Howell?", [NEWSLETTER]),
        ("What does the newsletter cover?", [NEWSLETTER]),
        ("Summarise the Big Blue article.", [BIG_BLUE]),
        ("Who wrote the Big Blue guide?", [BIG_BLUE]),
        ("What is this newsletter about?", [NEWSLETTER]),
    ],
)
def test_a_question_about_one_source_names_it(fake_index, question, docs):
    index = fake_assistant(fake_index).retriever.index
    assert sources_asked_about(question, index) == docs


@pytest.mark.parametrize(
    "question", ["Which articles do you have?", "What are your sources?", "Summarise the guides."]
)
def test_a_question_about_the_guides_as_a_whole_asks_about_all(fake_index, question):
    index = fake_assistant(fake_index).retriever.index
    assert sources_asked_about(question, index) == sorted(index.titles, key=index.titles.get)


@pytest.mark.parametrize(
    "question",
    [
        "What does the newsletter say about salaries?",
        "Does Egor recommend AI engineering?",
        "Which guide talks about ethics?",
        "Who published the salary data?",
        "Is that in the newsletter?",  # "that" is the conversation's topic
        "What is the difference between an AI engineer and an ML engineer?",
        # Words of one title that its articles use as words name no source.
        "why the difference?",
        "What does it take to do well with neural networks?",
        "Which one fits me?",
    ],
)
def test_a_question_about_something_in_the_guides_is_not_about_them(fake_index, question):
    index = fake_assistant(fake_index).retriever.index
    assert sources_asked_about(question, index) is None


def test_who_the_author_is_is_answered_from_the_manifest_and_the_articles_own_words(fake_index):
    answer = fake_assistant(fake_index).ask("Who is Egor Howell?")
    assert not answer.refused and answer.coverage == "answer"
    assert "From: Egor Howell (newsletter)" in answer.answer
    assert "Sections: What's the Difference?; An AI engineer;" in answer.answer
    assert "“As a practicing machine learning engineer, I want to outline" in answer.answer
    assert all(c.doc_id == NEWSLETTER for c in answer.citations)
    assert_citations_are_verbatim_and_retrieved(answer, chunk_texts(fake_index[0]))


def test_an_article_without_a_publisher_says_so(fake_index):
    assistant = fake_assistant(fake_index)
    index = assistant.retriever.index
    doc = next(d for d, a in index.articles.items() if not a.publisher)
    text = overview([doc], index, assistant.retriever).text
    assert "The article names no author or publisher." in text
    assert text.startswith(f"Title: {index.titles[doc]}\n")


def test_the_list_of_guides_names_every_title_and_cites_nothing(fake_index):
    items = list(fake_assistant(fake_index).stream("Which articles do you have?"))
    assert len(items) == 1 and isinstance(items[0], Answer)
    answer = items[0]
    assert answer.answer.startswith("The guides are 4 articles:")
    assert "AI Engineer vs ML Engineer: The Definitive 2026 Career Guide (Big Blue" in answer.answer
    assert answer.citations == [] and answer.retrieved == []


def test_a_long_list_of_guides_is_cut_and_counted():
    titles = {f"doc-{i:03}": f"Guide {i:03}" for i in range(MAX_LISTED + 5)}
    text = overview(sorted(titles), ChunkIndex(titles=titles), retriever=None).text  # type: ignore[arg-type]
    assert text.count("\n- Guide") == MAX_LISTED
    assert "- and 5 more." in text


def test_who_wrote_it_after_a_question_naming_a_source_is_about_that_source(fake_index):
    first = "What does the newsletter say about salaries?"
    history = [Turn(role="user", content=first), Turn(role="assistant", content="...")]
    answer = fake_assistant(fake_index).ask("Who wrote it?", history)
    assert answer.coverage == "answer" and "From: Egor Howell (newsletter)" in answer.answer
    assert fake_assistant(fake_index).ask("Who wrote it?").coverage != "answer"
    index = fake_assistant(fake_index).retriever.index
    assert sources_asked_about("Who wrote the article?", index, first) == [NEWSLETTER]
    assert len(sources_asked_about("Which articles are there?", index, first) or []) == 4


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Which guide talks about ethics?", "ethics"),
        ("Which article mentions Levels.fyi?", "Levels.fyi"),
        ("In which of the articles is RAG discussed?", "RAG"),
        ("Where do the guides talk about data drift?", "data drift"),
        ("Which articles do you have?", None),  # about the guides themselves
        ("Which role pays more?", None),
        ("Which guide should I read first?", None),  # advice, not where something is said
        ("What guide would you recommend?", None),
        ("What does the newsletter say about pay?", None),
    ],
)
def test_which_source_topic_is_what_the_question_asks_a_source_for(question, topic):
    assert which_source_topic(question) == topic


def test_which_article_holds_a_topic_is_answered_naming_the_articles_quoted(fake_index):
    assistant = fake_assistant(fake_index)
    answer = assistant.ask("Which article mentions the average salary from Levels.fyi?")
    assert answer.coverage == "answer"
    first_line, _, quotes = answer.answer.partition("\n")
    titles = assistant.retriever.index.titles
    named = [t for t in titles.values() if t in first_line]
    assert first_line.startswith("The guides that discuss it: ")
    assert titles[NEWSLETTER] in named  # where Levels.fyi's average salary is
    assert set(named) <= {titles[c.doc_id] for c in answer.citations}
    assert "£105k" in quotes
    assert_citations_are_verbatim_and_retrieved(answer, chunk_texts(fake_index[0]))


def test_which_article_mentions_a_word_is_answered_by_the_word_and_names_its_article(fake_index):
    answer = fake_assistant(fake_index).ask("Which article mentions Levels.fyi?")
    assert answer.coverage == "answer"
    first_line = answer.answer.partition("\n")[0]
    assert first_line == (
        "The guides that discuss it: Machine Learning vs AI Engineering: What's the Difference? "
        "(Egor Howell (newsletter))."
    )
