"""Fixtures shared by every test package. Area-specific fixtures live in each folder's conftest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.config import Settings
from tests.fakes import FakeEmbedder, ScriptedLLM

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the real corpus that a test may edit freely."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    """Settings pointing at a fresh data dir and the corpus copy, embedded Chroma, no LLM."""
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus_copy, llm="none", ranker="none")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def scripted_llm() -> ScriptedLLM:
    return ScriptedLLM()
