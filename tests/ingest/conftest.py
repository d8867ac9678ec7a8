"""Fixtures and helpers for the ingestion tests: index snapshots and misbehaving embedders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.config import Settings
from rag.store import DOC_ID, INGEST_RUN, INGESTED_AT, open_collection
from tests.fakes import FakeEmbedder

# Written by llama-index or per run: not part of what "the same index" means.
VOLATILE_KEYS = {INGESTED_AT, INGEST_RUN, "_node_content"}


def snapshot(settings: Settings) -> dict[str, tuple[str, dict[str, Any], tuple[float, ...]]]:
    """id -> (document, stable metadata, rounded embedding) of every chunk in the collection."""
    got = open_collection(settings).get(include=["documents", "metadatas", "embeddings"])
    out = {}
    for chunk_id, doc, meta, emb in zip(
        got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
    ):
        stable = {k: v for k, v in meta.items() if k not in VOLATILE_KEYS}
        out[chunk_id] = (doc, stable, tuple(np.round(np.asarray(emb), 5).tolist()))
    return out


def doc_chunks(settings: Settings, doc_id: str) -> dict[str, Any]:
    """The snapshot entries of one article."""
    return {k: v for k, v in snapshot(settings).items() if v[1][DOC_ID] == doc_id}


class FailingEmbedder(FakeEmbedder):
    """A FakeEmbedder whose call number `fail_on` (1-based) raises `exc`."""

    def __init__(self, fail_on: int, exc: BaseException | None = None) -> None:
        super().__init__()
        self.fail_on = fail_on
        self.exc = exc or RuntimeError("embedding backend crashed")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.calls + 1 == self.fail_on:
            self.calls += 1
            raise self.exc
        return super().embed(texts)


class RecordingEmbedder(FakeEmbedder):
    """A FakeEmbedder that keeps every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().embed(texts)


@pytest.fixture
def clean_settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    """A second, independent data dir over the same corpus copy: the reference clean run."""
    return Settings(
        data_dir=tmp_path / "clean-data", corpus_dir=corpus_copy, llm="none", ranker="none"
    )
