"""Indexed corpora for the answering tests: one built with the fake embedder (fast), one with the
real MiniLM model (for `real` tests). Each is built once per test session and only read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest_corpus
from rag.assistant import Assistant
from rag.config import Settings
from rag.embedding import MiniLMEmbedder
from rag.store import open_collection
from tests.conftest import CORPUS
from tests.fakes import FakeEmbedder, ScriptedLLM, fake_coverage_model


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, FakeEmbedder]:
    data = tmp_path_factory.mktemp("fake-index")
    settings = Settings(data_dir=data, corpus_dir=CORPUS, llm="none", ranker="none")
    embedder = FakeEmbedder()
    ingest_corpus(settings, embedder=embedder)
    return settings, embedder


@pytest.fixture(scope="session")
def real_embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: MiniLMEmbedder) -> Settings:
    data = tmp_path_factory.mktemp("real-index")
    settings = Settings(data_dir=data, corpus_dir=CORPUS, llm="none")
    ingest_corpus(settings, embedder=real_embedder)
    return settings


def fake_assistant(
    index: tuple[Settings, FakeEmbedder], llm: ScriptedLLM | None = None, **overrides: object
) -> Assistant:
    settings, embedder = index
    settings = settings.model_copy(update=overrides)
    return Assistant(
        settings,
        embedder=embedder,
        llm=llm,
        collection=open_collection(settings),
        coverage_model=fake_coverage_model(),
    )


def chunk_texts(settings: Settings) -> dict[str, str]:
    """chunk_id -> stored text, straight from Chroma (the ground truth for quotes)."""
    got = open_collection(settings).get(include=["documents"])
    return dict(zip(got["ids"], got["documents"], strict=True))


@pytest.fixture
def corpus_dir() -> Path:
    return CORPUS
