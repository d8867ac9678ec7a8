"""Incremental ingestion into a real embedded Chroma, with a fake embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest import pipeline
from ingest.pipeline import ingest_corpus
from ingest.splitter import split_article
from rag.config import Settings
from rag.errors import CorpusError
from rag.store import (
    CONTENT_HASH,
    DOC_ID,
    INGESTED_AT,
    KIND,
    POSITION,
    PUBLISHER,
    SECTION,
    TITLE,
    open_collection,
    open_sentences,
)
from rag.text import split_sentences
from tests.fakes import FakeEmbedder
from tests.ingest.conftest import FailingEmbedder, RecordingEmbedder, doc_chunks, snapshot

NEWSLETTER = "machine-learning-vs-ai-engineering-whats-the-difference"
LESSON = "choosing-the-career-track-that-fits-your-strengths"


def expected_chunks(corpus: Path, doc_id: str) -> list:
    title = json.loads((corpus / "sources.json").read_text())[doc_id]["title"]
    return split_article(doc_id, (corpus / f"{doc_id}.txt").read_text(), title)


def test_first_ingest_stores_every_chunk_with_its_text_and_metadata(
    settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    summary = ingest_corpus(settings, embedder=fake_embedder)
    assert (summary.added, summary.updated, summary.unchanged, summary.deleted) == (4, 0, 0, 0)
    got = open_collection(settings).get(include=["documents", "metadatas"])
    assert summary.chunks == len(got["ids"])
    # Each chunk once, then each sentence of it once (stored for the best-sentence channel).
    assert fake_embedder.texts_embedded == summary.chunks + open_sentences(settings).count()
    by_id = dict(zip(got["ids"], zip(got["documents"], got["metadatas"], strict=True), strict=True))
    for chunk in expected_chunks(settings.corpus_dir, NEWSLETTER):
        document, meta = by_id[chunk.chunk_id]
        assert document == chunk.text  # the stored document is exactly the chunk text
        assert meta[DOC_ID] == NEWSLETTER
        assert meta[TITLE] == "Machine Learning vs AI Engineering: What's the Difference?"
        assert meta[PUBLISHER] == "Egor Howell (newsletter)"
        assert meta[SECTION] == chunk.section and meta[KIND] == chunk.kind
        assert meta[POSITION] == chunk.position
        assert len(meta[CONTENT_HASH]) == 64
        assert meta[INGESTED_AT].endswith("+00:00")
    assert {m[PUBLISHER] for _, m in by_id.values()} >= {""}  # unknown publisher, never None


def test_embedded_text_carries_title_and_section_but_stored_text_does_not(
    settings: Settings,
) -> None:
    embedder = RecordingEmbedder()
    ingest_corpus(settings, embedder=embedder)
    pay = next(t for t in embedder.seen if "\n\nPay up\nAccording to Levels.fyi" in t)
    assert pay.startswith("title: Machine Learning vs AI Engineering: What's the Difference?\n")
    assert "section: Pay up\n" in pay
    assert "content_hash" not in pay and "ingested_at" not in pay
    documents = open_collection(settings).get(include=["documents"])["documents"]
    assert not any(d.startswith("title: ") for d in documents)


def test_second_run_embeds_nothing_and_reports_all_unchanged(settings: Settings) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    before = snapshot(settings)
    again = FakeEmbedder()
    summary = ingest_corpus(settings, embedder=again)
    assert (summary.added, summary.updated, summary.unchanged, summary.deleted) == (0, 0, 4, 0)
    assert again.calls == 0 and again.texts_embedded == 0
    assert snapshot(settings) == before


def test_a_warm_run_over_an_unchanged_corpus_reads_no_chunk_back(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())

    def read_back(collection: object) -> None:
        raise AssertionError("every chunk id was read back")

    monkeypatch.setattr(pipeline, "_ids_by_doc", read_back)
    summary = ingest_corpus(settings, embedder=FakeEmbedder())
    assert (summary.unchanged, summary.chunks) == (4, len(snapshot(settings)))


def test_a_run_killed_before_recording_its_work_is_repaired_even_if_the_text_is_reverted(
    settings: Settings, clean_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The killed run replaced a chunk in the collection but never recorded the new hash; with
    the article reverted, every hash matches what was published again, and only the marker the
    killed run left says the collection must be checked."""
    ingest_corpus(settings, embedder=FakeEmbedder())
    path = settings.corpus_dir / f"{NEWSLETTER}.txt"
    original = path.read_text()
    path.write_text(original.replace("£105k (UK)", "£115k (UK)"))

    def killed(*args: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_persist", killed)
        with pytest.raises(KeyboardInterrupt):
            ingest_corpus(settings, embedder=FakeEmbedder())
    assert any("£115k" in v[0] for v in snapshot(settings).values())
    path.write_text(original)
    ingest_corpus(settings, embedder=FakeEmbedder())
    ingest_corpus(clean_settings, embedder=FakeEmbedder())
    assert snapshot(settings) == snapshot(clean_settings)


def test_updated_article_replaces_only_its_own_chunks(settings: Settings) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    before = snapshot(settings)
    path = settings.corpus_dir / f"{NEWSLETTER}.txt"
    path.write_text(path.read_text().replace("£105k (UK)", "£115k (UK)"))
    embedder = FakeEmbedder()
    summary = ingest_corpus(settings, embedder=embedder)
    assert (summary.updated, summary.unchanged, summary.added) == (1, 3, 0)
    after = snapshot(settings)
    new_ids = {c.chunk_id for c in expected_chunks(settings.corpus_dir, NEWSLETTER)}
    assert {k for k, v in after.items() if v[1][DOC_ID] == NEWSLETTER} == new_ids
    # The article's chunks are re-embedded; sentences only for the chunk text that changed.
    old_texts = {v[0] for v in before.values()}
    changed = [
        c for c in expected_chunks(settings.corpus_dir, NEWSLETTER) if c.text not in old_texts
    ]
    assert len(changed) == 1
    assert embedder.texts_embedded == len(new_ids) + len(split_sentences(changed[0].text))
    others = {k: v for k, v in before.items() if v[1][DOC_ID] != NEWSLETTER}
    assert {k: v for k, v in after.items() if v[1][DOC_ID] != NEWSLETTER} == others
    assert not any("£105k" in v[0] for v in after.values())
    assert any("£115k" in v[0] for v in after.values())


def test_changed_manifest_title_reaches_every_chunk_of_that_article(settings: Settings) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    manifest_path = settings.corpus_dir / "sources.json"
    manifest = json.loads(manifest_path.read_text())
    manifest[LESSON]["title"] = "A Renamed Lesson"
    manifest_path.write_text(json.dumps(manifest))
    summary = ingest_corpus(settings, embedder=FakeEmbedder())
    assert summary.updated == 1 and summary.unchanged == 3
    titles = {v[1][TITLE] for v in doc_chunks(settings, LESSON).values()}
    assert titles == {"A Renamed Lesson"}  # same ids, so this needs an upsert, not an add


def test_deleted_article_disappears_from_the_index(settings: Settings) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    (settings.corpus_dir / f"{LESSON}.txt").unlink()
    summary = ingest_corpus(settings, embedder=FakeEmbedder())
    assert (summary.deleted, summary.unchanged) == (1, 3)
    assert doc_chunks(settings, LESSON) == {}
    assert summary.chunks == len(snapshot(settings))
    assert LESSON not in settings.docstore_path.read_text()
    third = ingest_corpus(settings, embedder=FakeEmbedder())
    assert (third.deleted, third.unchanged) == (0, 3)


@pytest.mark.parametrize(
    ("content", "word"),
    [(b"", "empty"), (b"\x00\x01binary", "binary"), (b"Caf\xe9\n", "UTF-8")],
)
def test_article_that_turns_bad_keeps_its_previous_chunks(
    settings: Settings, content: bytes, word: str
) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    before = snapshot(settings)
    path = settings.corpus_dir / f"{LESSON}.txt"
    path.write_bytes(content)
    summary = ingest_corpus(settings, embedder=FakeEmbedder())
    assert summary.unchanged == 3 and summary.deleted == 0
    assert len(summary.errors) == 1 and str(path) in summary.errors[0] and word in summary.errors[0]
    assert snapshot(settings) == before


def test_article_that_becomes_unreadable_keeps_its_previous_chunks(settings: Settings) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    before = snapshot(settings)
    path = settings.corpus_dir / f"{LESSON}.txt"
    path.unlink()
    path.mkdir()
    summary = ingest_corpus(settings, embedder=FakeEmbedder())
    assert summary.deleted == 0 and "cannot read" in summary.errors[0]
    assert snapshot(settings) == before


def test_missing_folder_or_nothing_readable_raises_and_leaves_the_index(
    settings: Settings, tmp_path: Path
) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    before = snapshot(settings)
    with pytest.raises(CorpusError):
        ingest_corpus(settings, embedder=FakeEmbedder(), corpus_dir=tmp_path / "missing")
    for path in settings.corpus_dir.glob("*.txt"):
        path.write_bytes(b"")
    with pytest.raises(CorpusError):
        ingest_corpus(settings, embedder=FakeEmbedder())
    assert snapshot(settings) == before


def test_embedding_failure_midway_keeps_the_previous_chunks_of_that_article(
    settings: Settings, clean_settings: Settings
) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    before = snapshot(settings)
    long_guide = settings.corpus_dir / "ai-engineering-vs-machine-learning-engineering.txt"
    long_guide.write_text(long_guide.read_text().replace("Key Takeaway", "Key Takeaways"))
    # The long guide needs two embedding batches; the second one fails.
    summary = ingest_corpus(settings, embedder=FailingEmbedder(fail_on=2))
    assert summary.updated == 0 and summary.unchanged == 3
    assert str(long_guide) in summary.errors[0] and "previous chunks are kept" in summary.errors[0]
    assert snapshot(settings) == before
    # The next run finishes the job and ends exactly where a clean run ends.
    rerun = ingest_corpus(settings, embedder=FakeEmbedder())
    assert (rerun.updated, rerun.unchanged) == (1, 3)
    ingest_corpus(clean_settings, embedder=FakeEmbedder())
    assert snapshot(settings) == snapshot(clean_settings)


def test_keyboard_interrupt_midway_then_rerun_equals_a_clean_run(
    settings: Settings, clean_settings: Settings
) -> None:
    with pytest.raises(KeyboardInterrupt):
        ingest_corpus(settings, embedder=FailingEmbedder(fail_on=3, exc=KeyboardInterrupt()))
    partial = snapshot(settings)
    assert len(partial) > 0  # the first article was committed before the interrupt
    rerun = ingest_corpus(settings, embedder=FakeEmbedder())
    assert rerun.added + rerun.updated + rerun.unchanged == 4
    ingest_corpus(clean_settings, embedder=FakeEmbedder())
    assert snapshot(settings) == snapshot(clean_settings)


def test_orphan_and_stale_chunks_are_removed_on_the_next_run(
    settings: Settings, clean_settings: Settings
) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    collection = open_collection(settings)
    dim = FakeEmbedder().dim
    collection.add(
        ids=["ghost:1"], embeddings=[[1.0] * dim], documents=["x"], metadatas=[{DOC_ID: "ghost"}]
    )
    collection.add(
        ids=[f"{LESSON}:stale"],
        embeddings=[[1.0] * dim],
        documents=["old"],
        metadatas=[{DOC_ID: LESSON}],
    )
    embedder = FakeEmbedder()
    summary = ingest_corpus(settings, embedder=embedder)
    assert (summary.updated, summary.unchanged, summary.deleted) == (1, 3, 1)
    ingest_corpus(clean_settings, embedder=FakeEmbedder())
    assert snapshot(settings) == snapshot(clean_settings)


def test_lost_ingest_record_costs_a_re_embedding_but_no_duplicates(settings: Settings) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    before = snapshot(settings)
    settings.docstore_path.write_text("{broken")
    summary = ingest_corpus(settings, embedder=FakeEmbedder())
    assert summary.updated == 4 and "ingest record" in summary.errors[0]
    assert snapshot(settings) == before
    assert ingest_corpus(settings, embedder=FakeEmbedder()).unchanged == 4


def test_progress_bar_counts_every_embedded_chunk(settings: Settings) -> None:
    from ingest.progress import EmbedProgress

    with EmbedProgress(enabled=True, total=3) as bar:
        bar.describe("doc")
        bar.advance(2)
        bar.advance(1)
        assert bar._progress is not None and bar._progress.finished
    summary = ingest_corpus(settings, embedder=FakeEmbedder(), progress=True)
    assert summary.added == 4


def test_article_with_only_a_title_is_reported_and_keeps_its_chunks(settings: Settings) -> None:
    ingest_corpus(settings, embedder=FakeEmbedder())
    before = snapshot(settings)
    path = settings.corpus_dir / f"{LESSON}.txt"
    path.write_text(
        "AI Engineer vs ML Engineer: Choosing the Career Track That Fits Your Strengths\n"
    )
    summary = ingest_corpus(settings, embedder=FakeEmbedder())
    assert summary.errors == [f"{path}: skipped, no text besides the title"]
    assert (summary.unchanged, summary.updated, summary.deleted) == (3, 0, 0)
    assert snapshot(settings) == before
