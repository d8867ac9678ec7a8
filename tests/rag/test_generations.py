"""Start-up reads what ingest stored (no embedding, no scan); re-ingest publishes a new generation
that readers switch to in one step, with the old one readable until then."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ingest.pipeline import PUBLISHED_VERSION, ingest_corpus
from rag.assistant import Assistant
from rag.config import Settings
from rag.embedding import MiniLMEmbedder
from rag.generation import Chunk, heading_initials, source_words
from rag.manifest import current_generation, publish, read_manifest
from rag.retrieve import CANDIDATES, HybridRetriever
from rag.store import (
    DOC_ID,
    generations_dir,
    open_collection,
    open_manifest,
    open_sentences,
    read_all,
)
from rag.text import split_sentences
from tests.fakes import FakeEmbedder, fake_coverage_model

NEWSLETTER = "machine-learning-vs-ai-engineering-whats-the-difference"
QUESTIONS = [
    "Which cloud platform should an ML engineer learn?",
    "How much do AI engineers earn in the UK?",
    "Do I need a master's degree to become a machine learning engineer?",
    "What does an AI engineer build with large language models?",
]


def _assistant(settings: Settings, embedder: object) -> Assistant:
    return Assistant(
        settings,
        embedder=embedder,  # type: ignore[arg-type]
        llm=None,
        collection=open_collection(settings),
        coverage_model=fake_coverage_model(),
    )


def test_start_up_and_index_questions_make_no_embedding_call(
    fake_index: tuple[Settings, FakeEmbedder],
) -> None:
    settings, _ = fake_index
    counting = FakeEmbedder()
    assistant = _assistant(settings, counting)
    docs = assistant.documents()
    status = assistant.status()
    assert counting.calls == 0
    assert len(docs) == 4 and status["chunks"] == sum(d.chunks for d in docs) > 0
    assert assistant.retriever.index.common_terms  # read from the manifest, not computed
    assert assistant.retriever.index.acronyms["rag"] == "Retrieval-Augmented Generation"
    assistant.search("Which cloud platform should an ML engineer learn?")
    assert counting.calls == 1  # the question itself, nothing of the corpus


@pytest.mark.real
def test_start_up_with_the_real_model_makes_no_embedding_call(
    real_index: Settings, real_embedder: MiniLMEmbedder
) -> None:
    before = real_embedder.calls
    assistant = _assistant(real_index, real_embedder)
    assert assistant.status()["chunks"] > 0
    assert real_embedder.calls == before


@pytest.mark.real
def test_an_acronym_the_guides_define_is_understood_as_its_long_form(
    real_index: Settings, real_embedder: MiniLMEmbedder
) -> None:
    """MiniLM does not know "RAG"; the guides spell it out, so the question is asked as they do."""
    answer = _assistant(real_index, real_embedder).ask("What is RAG?")
    assert answer.coverage == "answer"
    assert "Retrieval-Augmented Generation" in answer.citations[0].quote


def test_documents_match_what_the_collection_holds(
    fake_index: tuple[Settings, FakeEmbedder],
) -> None:
    settings, embedder = fake_index
    metas = open_collection(settings).get(include=["metadatas"])["metadatas"]
    counts: dict[str, int] = {}
    for meta in metas:
        counts[meta[DOC_ID]] = counts.get(meta[DOC_ID], 0) + 1
    docs = _assistant(settings, embedder).documents()
    assert {d.doc_id: d.chunks for d in docs} == counts


def _brute_force_best_sentence(
    retriever: HybridRetriever, embedder: FakeEmbedder, vector: np.ndarray
) -> list[float]:
    """The old start-up-embedded computation: every eligible chunk's best sentence cosine."""
    best = []
    for chunk in retriever.index.chunks:
        sentences = split_sentences(chunk.text)
        if chunk.kind in retriever.exclude_kinds or not sentences:
            continue
        best.append(float(np.max(embedder.embed(sentences) @ vector)))
    return sorted(best, reverse=True)[:CANDIDATES]


@pytest.mark.parametrize("question", QUESTIONS)
def test_best_sentence_query_equals_a_scan_of_every_sentence(
    fake_index: tuple[Settings, FakeEmbedder], question: str
) -> None:
    settings, embedder = fake_index
    retriever = _assistant(settings, embedder).retriever
    vector = embedder.embed([question])[0]
    got = retriever._best_sentence(retriever.index, vector, {})
    expected = _brute_force_best_sentence(retriever, embedder, vector)
    # Scores, not ids: the fake embedder gives many exact ties, ordered arbitrarily.
    assert sorted(got.values(), reverse=True) == pytest.approx(expected, abs=1e-5)


def _texts(hits: list) -> set[str]:
    return {h.chunk.text for h in hits}


def test_reingest_publishes_a_generation_readers_switch_to_in_one_step(
    settings: Settings,
) -> None:
    embedder = FakeEmbedder()
    ingest_corpus(settings, embedder=embedder)
    slow = settings.model_copy(update={"generation_poll_s": 3600.0})  # polls only when told
    reader = _assistant(slow, embedder).retriever
    old_texts = {c.text for c in reader.index.chunks}
    first = current_generation(open_manifest(settings))

    path = settings.corpus_dir / f"{NEWSLETTER}.txt"
    path.write_text(path.read_text().replace("£105k (UK)", "£115k (UK)"))
    ingest_corpus(settings, embedder=embedder)
    assert current_generation(open_manifest(settings)) == first + 1

    question = "What is the UK salary of an ML engineer?"
    stale = reader.retrieve(question, 20)
    assert _texts(stale) <= old_texts  # still wholly the old generation
    sentences, _ = reader.sentences(stale[0].chunk)
    assert all(s in stale[0].chunk.text for s in sentences)

    reader.refresh()
    fresh = reader.retrieve(question, 20)
    assert any("£115k" in t for t in _texts(fresh))
    assert not any("£105k" in c.text for c in reader.index.chunks)


def test_old_generations_are_removed_with_the_sentences_only_they_used(
    settings: Settings,
) -> None:
    embedder = FakeEmbedder()
    ingest_corpus(settings, embedder=embedder)
    sentences = open_sentences(settings)
    initial = sentences.count()
    path = settings.corpus_dir / f"{NEWSLETTER}.txt"
    for figure in ("£115k (UK)", "£125k (UK)"):
        text = path.read_text()
        path.write_text(text.replace("£105k (UK)", figure).replace("£115k (UK)", figure))
        ingest_corpus(settings, embedder=embedder)
    folders = sorted(p.name for p in generations_dir(settings).iterdir())
    assert folders == ["g000002", "g000003"]  # current and previous
    # The £105k text's sentences went with generation 1; £115k and £125k versions remain.
    assert sentences.count() > initial
    kept = sentences.get(include=["documents"])["documents"]
    assert not any("£105k" in s for s in kept)
    assert any("£115k" in s for s in kept) and any("£125k" in s for s in kept)


def test_unchanged_reingest_publishes_nothing_and_embeds_nothing(settings: Settings) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    generation = current_generation(open_manifest(settings))
    embedder = FakeEmbedder()
    summary = ingest_corpus(settings, embedder=embedder)
    assert summary.unchanged == 4 and embedder.calls == 0
    assert current_generation(open_manifest(settings)) == generation


def test_a_generation_of_an_older_format_is_republished_without_embedding(
    settings: Settings,
) -> None:
    """An index published by an older release (say, before heading initials were in the
    vocabulary) is brought up to date by the next ingest from what is stored."""
    ingest_corpus(settings, embedder=FakeEmbedder())
    manifest = read_manifest(open_manifest(settings))
    assert manifest is not None and manifest.index_version == PUBLISHED_VERSION
    publish(open_manifest(settings), replace(manifest, index_version="1"))
    embedder = FakeEmbedder()
    ingest_corpus(settings, embedder=embedder)
    assert embedder.calls == 0
    republished = read_manifest(open_manifest(settings))
    assert republished is not None and republished.index_version == PUBLISHED_VERSION
    assert republished.generation > manifest.generation


def test_missing_generation_folder_is_rebuilt_on_the_next_ingest(settings: Settings) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    for folder in generations_dir(settings).iterdir():
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        folder.rmdir()
    embedder = FakeEmbedder()
    ingest_corpus(settings, embedder=embedder)
    assert embedder.calls == 0  # the chunks and sentences are still stored; only files rebuilt
    assert _assistant(settings, embedder).retriever.retrieve("salary", 3)


def test_whole_collection_reads_are_paged_and_complete(
    fake_index: tuple[Settings, FakeEmbedder],
) -> None:
    """Ingest reads every record a page at a time (one unpaged `get` of ~100k records overflows
    SQLite's variable limit inside Chroma); the pages add up to exactly the unpaged read."""
    settings, _ = fake_index
    collection = open_collection(settings)
    whole = collection.get(include=["documents", "metadatas"])
    paged = read_all(collection, ["documents", "metadatas"], page=7)
    assert len(paged["ids"]) == len(set(paged["ids"])) == len(whole["ids"]) > 7
    assert dict(zip(paged["ids"], paged["documents"], strict=True)) == dict(
        zip(whole["ids"], whole["documents"], strict=True)
    )


def test_a_multi_word_headings_initials_are_known_words() -> None:
    """ "FAQ" names the "Frequently Asked Questions" section: not an unknown name to a question."""
    chunk = Chunk(
        "c",
        "d",
        "A Guide",
        "Frequently Asked Questions · Pay up",
        "faq",
        "Q: Who? A: You.",
        0,
        "h",
        "t",
        None,
    )
    assert heading_initials(chunk) == {"faq"}  # "Pay up" is one content word: no initials


def _article(doc: str, title: str, publisher: str | None, text: str) -> Chunk:
    return Chunk(f"{doc}-0", doc, title, None, "body", text, 0, "h", "t", publisher)


def test_a_source_is_named_by_its_own_names_and_text_nouns_not_by_words_its_articles_use() -> None:
    chunks = [
        _article(
            "news",
            "Machine Learning vs AI Engineering: What's the Difference?",
            "Egor Howell (newsletter)",
            "The main difference between machine learning and AI engineering is the maths. Join "
            "my newsletter.",
        ),
        _article(
            "lesson",
            "Choosing the Track That Fits Your Strengths",
            "Neural Forge lesson",
            "Both AI roles use neural networks; choosing the one that fits is the point.",
        ),
    ]
    assert source_words(chunks) == {
        "news": ["egor", "howell", "newsletter"],  # not "difference": the text uses it as a word
        "lesson": ["forg", "lesson", "strength", "track"],  # not "neural", not "fit"
    }
