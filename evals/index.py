"""The eval's view of the index: build it when missing, and read back every stored chunk.

Citations are checked against the chunks exactly as stored; in hard mode the FAQ chunks are
left out here too, so citing one counts as invalid. Ingestion itself is `ingest`'s job.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from evals.metrics import StoredChunk
from rag.config import Settings
from rag.embedding import Embedder
from rag.store import DOC_ID, KIND, open_collection


def ensure_index(settings: Settings, embedder: Embedder, console: Console | None = None) -> None:
    """Ingest the corpus into the data dir when the collection is empty."""
    if open_collection(settings).count():
        return
    from ingest.pipeline import ingest_corpus

    if console:
        console.print(f"index empty: ingesting {settings.corpus_dir} ...")
    ingest_corpus(settings, embedder=embedder)


def index_chunks(settings: Settings, collection: Any | None = None) -> dict[str, StoredChunk]:
    """Every stored chunk by id (FAQ chunks left out when `settings.exclude_faq`)."""
    collection = collection or open_collection(settings)
    got = collection.get(include=["documents", "metadatas"])
    chunks = {}
    for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
        meta = meta or {}
        kind = str(meta.get(KIND, "section"))
        if settings.exclude_faq and kind == "faq":
            continue
        chunks[cid] = StoredChunk(cid, str(meta.get(DOC_ID, "")), text or "", kind)
    return chunks
