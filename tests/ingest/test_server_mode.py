"""The same pipeline against a real `chroma run` server (CAREER_RAG_CHROMA_URL)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import ingest_corpus
from rag.config import Settings
from rag.store import DOC_ID, open_collection
from tests.fakes import FakeEmbedder
from tests.processes import free_port, stop

START_TIMEOUT_S = 60


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A Chroma server on a free local port, stopped (and killed if need be) afterwards."""
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chroma server exited early: {(tmp_path / 'chroma.log').read_text()}")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("chroma server did not start in time")
            time.sleep(0.2)
        yield url
    finally:
        stop(proc)
        log.close()


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
