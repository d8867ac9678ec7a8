"""The same pipeline against a real `chroma run` server (CAREER_RAG_CHROMA_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.pipeline import ingest_corpus
from rag.config import Settings
from rag.store import DOC_ID, open_collection
from tests.fakes import FakeEmbedder
from tests.processes import free_port, start_chroma, stop


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A Chroma server on a free local port, stopped (and killed if need be) afterwards."""
    port = free_port()
    proc = start_chroma(tmp_path / "server", port, tmp_path / "chroma.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.mark.real
def test_ingest_through_a_chroma_server_is_incremental_too(
    settings: Settings, chroma_url: str
) -> None:
    remote = settings.model_copy(update={"chroma_url": chroma_url})
    first = ingest_corpus(remote, embedder=FakeEmbedder())
    assert first.added == 4 and first.chunks > 0
    assert not remote.chroma_dir.exists()  # nothing went to the embedded store
    assert open_collection(remote).count() == first.chunks
    again = FakeEmbedder()
    second = ingest_corpus(remote, embedder=again)
    assert second.unchanged == 4 and again.calls == 0
    (remote.corpus_dir / "choosing-the-career-track-that-fits-your-strengths.txt").unlink()
    third = ingest_corpus(remote, embedder=FakeEmbedder())
    assert third.deleted == 1
    metas = open_collection(remote).get(include=["metadatas"])["metadatas"]
    assert "choosing-the-career-track-that-fits-your-strengths" not in {m[DOC_ID] for m in metas}
