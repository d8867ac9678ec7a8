"""Two real uvicorn workers (`career-rag serve --workers 2`) over one real `chroma run`: a
re-ingest through one worker reaches both, and no request fails or mixes generations meanwhile."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import ingest_corpus
from rag.config import Settings
from rag.embedding import MiniLMEmbedder
from tests.ingest.test_server_mode import chroma_url  # noqa: F401  (fixture)
from tests.processes import free_port, stop

ARTICLE = "machine-learning-vs-ai-engineering-whats-the-difference"
OLD, NEW = "£105k (UK)", "£115k (UK)"
QUERY = {"q": "Levels.fyi average salary machine learning engineer UK", "top_k": 5}
TOKEN = "workers-test-token"
START_TIMEOUT_S = 240
SWITCH_TIMEOUT_S = 15  # poll interval 1 s: both workers must switch well within this
FRESH_CONNECTIONS = 30  # each on a new connection, so the kernel spreads them over the workers


@pytest.fixture
def served(settings: Settings, chroma_url: str, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    """The corpus ingested into the Chroma server, then two API workers serving it."""
    remote = settings.model_copy(update={"chroma_url": chroma_url})
    ingest_corpus(remote, embedder=MiniLMEmbedder())
    port = free_port()
    env = {
        **os.environ,
        "CAREER_RAG_CHROMA_URL": chroma_url,
        "CAREER_RAG_DATA_DIR": str(remote.data_dir),
        "CAREER_RAG_CORPUS_DIR": str(remote.corpus_dir),
        "CAREER_RAG_LLM": "none",
        "CAREER_RAG_ADMIN_TOKEN": TOKEN,
        "CAREER_RAG_GENERATION_POLL_S": "1",
        "HF_HUB_OFFLINE": "1",
    }
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    cli = Path(sys.executable).parent / "career-rag"
    proc = subprocess.Popen(
        [str(cli), "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while log_path.read_text().count("ready to answer") < 2:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"workers did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop(proc)
        log.close()


def _figures(url: str) -> set[str]:
    """Which of the two salary figures one search (on a new connection) returns."""
    response = httpx.get(f"{url}/search", params=QUERY, timeout=30)
    response.raise_for_status()
    text = " ".join(p["text"] for p in response.json())
    return {f for f in (OLD, NEW) if f in text}


@pytest.mark.real
def test_reingest_through_one_worker_reaches_both_without_a_failed_request(
    served: str, settings: Settings
) -> None:
    assert all(_figures(served) == {OLD} for _ in range(6))
    path = settings.corpus_dir / f"{ARTICLE}.txt"
    path.write_text(path.read_text().replace(OLD, NEW))

    seen: list[set[str]] = []
    failures: list[str] = []
    stop_asking = threading.Event()

    def keep_asking() -> None:
        while not stop_asking.is_set():
            try:
                seen.append(_figures(served))
            except httpx.HTTPError as exc:
                failures.append(repr(exc))

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        response = httpx.post(
            f"{served}/ingest", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=180
        )
        assert response.status_code == 200, response.text
        assert response.json()["updated"] == 1
        deadline = time.monotonic() + SWITCH_TIMEOUT_S
        while True:
            latest = [_figures(served) for _ in range(FRESH_CONNECTIONS)]
            if all(f == {NEW} for f in latest):
                break
            assert time.monotonic() < deadline, f"a worker kept the old generation: {latest}"
            time.sleep(0.5)
    finally:
        stop_asking.set()
        asker.join(timeout=60)
    assert not failures
    assert seen and all(len(f) == 1 for f in seen)  # each answer from one generation
    documents = httpx.get(f"{served}/documents", timeout=10).json()
    assert {d["doc_id"] for d in documents} >= {ARTICLE}


def test_several_workers_without_a_chroma_server_are_refused(tmp_path: Path) -> None:
    """Embedded Chroma is one process's: several workers over it would not see each other's
    re-ingest, so `serve --workers 2` exits with a pointer to `chroma run` instead."""
    env = {k: v for k, v in os.environ.items() if k != "CAREER_RAG_CHROMA_URL"}
    env["CAREER_RAG_DATA_DIR"] = str(tmp_path / "data")
    cli = Path(sys.executable).parent / "career-rag"
    done = subprocess.run(
        [str(cli), "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "CAREER_RAG_CHROMA_URL" in done.stderr
