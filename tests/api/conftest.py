"""Fixtures for the API tests: a scripted fake assistant, an in-process client, a live server.

The fake answers from two canned passages, so the HTTP contract, streaming, errors and the chat
page can be tested in milliseconds; `@pytest.mark.real` tests use the real assistant instead, over
`real_settings`: an index of the real corpus built once per session with the real MiniLM.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from rag.config import Settings
from rag.errors import InvalidQuestionError
from rag.schemas import (
    Answer,
    Citation,
    DocumentInfo,
    FallbackReason,
    IngestSummary,
    Passage,
    Turn,
)
from tests.conftest import CORPUS
from tests.processes import free_port

PASSAGES = [
    Passage(
        doc_id="ai-engineering-vs-machine-learning-engineering",
        chunk_id="ai-engineering-vs-machine-learning-engineering#3",
        text="AI engineers build products on top of foundation models, wiring prompts, "
        "retrieval and evaluation into applications.",
        score=0.91,
        title="AI Engineering vs Machine Learning Engineering",
        section="What AI engineers do",
    ),
    Passage(
        doc_id="choosing-the-career-track-that-fits-your-strengths",
        chunk_id="choosing-the-career-track-that-fits-your-strengths#1",
        text="ML engineers train, tune and deploy models <b>at scale</b> & own the data pipelines.",
        score=0.74,
        title="Choosing the career track that fits your strengths",
        section=None,
    ),
]

log = logging.getLogger("tests.api.fake_assistant")

REFUSAL = "The guides do not cover that question, so I cannot answer it from them."


class FakeAssistant:
    """Deterministic stand-in for `rag.assistant.Assistant`; records what it was asked.

    A question containing "salary on mars" is refused; "explode" raises mid-stream. Set
    `block` to make `ask`/`stream` wait on an event before answering (saturation tests), and
    `block_mid_stream` to pause a stream after its first token (disconnect tests). A
    quotes-only answer (`fallback=...`) needs no generator, so it never blocks.
    """

    def __init__(self) -> None:
        self.embedder = object()
        self.ranker = None
        self.calls: list[tuple[str, str, list[Turn], int | None]] = []
        self.refreshed = 0
        self.block: threading.Event | None = None
        self.entered = threading.Semaphore(0)
        self.chunks = 12
        self.llm_ready = True
        self.stream_closed = threading.Event()
        self.block_mid_stream: threading.Event | None = None
        self.mid_stream = threading.Event()

    def _answer(
        self, question: str, top_k: int | None, fallback: FallbackReason | None = None
    ) -> Answer:
        if not question.strip():
            raise InvalidQuestionError("The question is empty.")
        if "salary on mars" in question.lower():
            return Answer(answer=REFUSAL, refused=True, retrieved=PASSAGES[:1])
        return Answer(
            answer="AI engineers build products on foundation models [1]. "
            "ML engineers train and deploy models [2].",
            refused=False,
            citations=[
                Citation(
                    n=i + 1,
                    doc_id=p.doc_id,
                    title=p.title,
                    chunk_id=p.chunk_id,
                    section=p.section,
                    quote=p.text,
                )
                for i, p in enumerate(PASSAGES)
            ],
            retrieved=PASSAGES[: top_k or 2],
            timings_ms={"retrieve": 1.0, "generate": 2.0, "verify": 0.5, "total": 3.5},
            backend="none" if fallback else "fake",
            fallback=fallback,
        )

    def _wait(self) -> None:
        self.entered.release()
        if self.block is not None:
            assert self.block.wait(10), "test never released the fake assistant"

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int | None = None,
        *,
        fallback: FallbackReason | None = None,
    ) -> Answer:
        self.calls.append(("ask", question, list(history), top_k))
        log.info("ask %r", question)
        if fallback is None:
            self._wait()
        return self._answer(question, top_k, fallback)

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int | None = None,
        *,
        fallback: FallbackReason | None = None,
    ) -> Iterator[str | Answer]:
        self.calls.append(("stream", question, list(history), top_k))
        log.info("stream %r", question)
        try:
            if fallback is not None:
                yield self._answer(question, top_k, fallback)
                return
            self._wait()
            answer = self._answer(question, top_k)
            for piece in ["AI engineers ", "build ", "products (draft)."]:
                yield piece
                if self.block_mid_stream is not None:
                    self.mid_stream.set()
                    assert self.block_mid_stream.wait(10), "test never released the stream"
                if "explode" in question:
                    raise RuntimeError("model crashed with secret /internal/path")
            yield answer
        finally:
            self.stream_closed.set()

    def search(self, query: str, top_k: int | None = None) -> list[Passage]:
        self.calls.append(("search", query, [], top_k))
        return PASSAGES[: top_k or 2]

    def documents(self) -> list[DocumentInfo]:
        return [
            DocumentInfo(
                doc_id=p.doc_id,
                title=p.title,
                chunks=6,
                content_hash="sha256:abc",
                ingested_at="2026-01-01T00:00:00Z",
            )
            for p in PASSAGES
        ]

    def refresh(self) -> None:
        self.refreshed += 1

    def status(self) -> dict[str, Any]:
        return {"chunks": self.chunks, "llm": "fake", "llm_ready": self.llm_ready}


class FakeIngest:
    """Records ingest calls and returns a fixed summary, like `ingest.pipeline.ingest_corpus`."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, settings: Settings, **kwargs: Any) -> IngestSummary:
        self.calls.append({"settings": settings, **kwargs})
        return IngestSummary(added=1, updated=0, unchanged=3, deleted=0, chunks=42, seconds=0.5)


ADMIN_TOKEN = "s3cret-admin-token"
REAL_ADMIN_TOKEN = "real-admin-token"


@pytest.fixture
def fake_assistant() -> FakeAssistant:
    return FakeAssistant()


@pytest.fixture
def fake_ingest() -> FakeIngest:
    return FakeIngest()


@pytest.fixture
def api_settings(tmp_path: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        llm="none",
        ranker="none",
        admin_token=ADMIN_TOKEN,
        max_concurrent_generations=1,
        max_queued_generations=1,
    )


@pytest.fixture
def make_app(
    api_settings: Settings, fake_assistant: FakeAssistant, fake_ingest: FakeIngest
) -> Callable[..., FastAPI]:
    def make(**overrides: Any) -> FastAPI:
        settings = api_settings.model_copy(update=overrides)
        return create_app(settings, lambda _s: fake_assistant, fake_ingest)

    return make


@pytest.fixture
def client(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    with TestClient(make_app()) as test_client:
        yield test_client


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread; stop() waits for it."""

    def __init__(self, app: FastAPI, startup_timeout_s: float = 120.0) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.startup_timeout_s = startup_timeout_s

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if not self.thread.is_alive():
                raise RuntimeError("the server thread died during start-up")
            if self.server.started:
                httpx.get(f"{self.url}/health", timeout=5).raise_for_status()
                return self
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"server did not start within {self.startup_timeout_s}s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def live_server(make_app: Callable[..., FastAPI]) -> Iterator[LiveServer]:
    """The fake-assistant app served by a real uvicorn on a free port."""
    server = LiveServer(make_app()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Extractive answers (`llm="none"`) over a fresh index of the real corpus, built once."""
    from ingest.pipeline import ingest_corpus

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("real-data"),
        corpus_dir=CORPUS,
        llm="none",
        admin_token=REAL_ADMIN_TOKEN,
    )
    summary = ingest_corpus(settings)
    assert summary.chunks > 0 and not summary.errors
    return settings
