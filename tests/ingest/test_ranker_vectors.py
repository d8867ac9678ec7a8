"""The ranking encoder's sentence vectors at ingest: stored beside MiniLM's, one per sentence,
embedded once, added or dropped when the setting changes, and cleaned up with old generations.
A fake encoder stands in for all-mpnet-base-v2."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import ingest_corpus
from rag.config import Settings
from rag.manifest import read_manifest
from rag.store import open_manifest, open_ranker_sentences, open_sentences
from tests.fakes import FakeEmbedder

NEWSLETTER = "machine-learning-vs-ai-engineering-whats-the-difference"


def ranked(settings: Settings) -> Settings:
    return settings.model_copy(update={"ranker": "mpnet"})


def ids(collection: object) -> set[str]:
    return set(collection.get(include=[])["ids"])  # type: ignore[attr-defined]


def test_every_sentence_gets_one_ranker_vector_and_the_manifest_names_the_ranker(
    settings: Settings,
) -> None:
    settings = ranked(settings)
    ranker = FakeEmbedder(dim=32)
    ingest_corpus(settings, embedder=FakeEmbedder(), ranker=ranker)
    sentence_ids = ids(open_sentences(settings))
    assert sentence_ids and ids(open_ranker_sentences(settings)) == sentence_ids
    assert ranker.texts_embedded == len(sentence_ids)
    manifest = read_manifest(open_manifest(settings))
    assert manifest is not None and manifest.ranker == "mpnet"

    again = FakeEmbedder(dim=32)
    assert ingest_corpus(settings, embedder=FakeEmbedder(), ranker=again).unchanged == 4
    assert again.calls == 0


def test_turning_the_ranker_on_adds_only_its_vectors_and_off_drops_it_from_the_manifest(
    settings: Settings,
) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())  # settings.ranker is "none"
    sentence_ids = ids(open_sentences(settings))
    assert read_manifest(open_manifest(settings)).ranker is None  # type: ignore[union-attr]

    embedder, ranker = FakeEmbedder(), FakeEmbedder(dim=32)
    ingest_corpus(ranked(settings), embedder=embedder, ranker=ranker)
    assert embedder.calls == 0  # MiniLM's vectors are all there
    assert ranker.texts_embedded == len(sentence_ids)
    assert ids(open_ranker_sentences(ranked(settings))) == sentence_ids
    assert read_manifest(open_manifest(settings)).ranker == "mpnet"  # type: ignore[union-attr]

    embedder = FakeEmbedder()
    ingest_corpus(settings, embedder=embedder)
    assert embedder.calls == 0
    assert read_manifest(open_manifest(settings)).ranker is None  # type: ignore[union-attr]


def test_old_generations_take_their_ranker_vectors_with_them(settings: Settings) -> None:
    settings = ranked(settings)
    ingest_corpus(settings, embedder=FakeEmbedder(), ranker=FakeEmbedder(dim=32))
    path: Path = settings.corpus_dir / f"{NEWSLETTER}.txt"
    for figure in ("£115k", "£125k", "£135k"):  # three generations later, the first is gone
        path.write_text(path.read_text().replace("£105k", figure).replace("£115k", figure))
        ingest_corpus(settings, embedder=FakeEmbedder(), ranker=FakeEmbedder(dim=32))
    assert ids(open_ranker_sentences(settings)) == ids(open_sentences(settings))
