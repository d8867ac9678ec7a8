"""Opens the Chroma collection that holds the chunks: embedded on disk, or a Chroma server.

`CAREER_RAG_CHROMA_URL` switches to `HttpClient`; everything else is the same in both modes.
Chunk metadata keys written by ingestion and read by retrieval are named here once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from rag.config import Settings

# Metadata keys every chunk carries.
DOC_ID = "doc_id"
TITLE = "title"
PUBLISHER = "publisher"
SECTION = "section"
KIND = "kind"
POSITION = "position"
CONTENT_HASH = "content_hash"
INGESTED_AT = "ingested_at"


def chroma_client(settings: Settings) -> Any:
    """A Chroma client for the configured mode, with telemetry off (this product runs offline)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def open_collection(settings: Settings, client: Any | None = None) -> Any:
    """The chunk collection (created empty if missing), using cosine distance.

    Embeddings are always computed by us, so the collection gets no embedding function of its own
    (Chroma's default one would try to download a model).
    """
    client = client or chroma_client(settings)
    return client.get_or_create_collection(
        name=settings.collection,
        embedding_function=None,
        metadata={"hnsw:space": "cosine"},
    )
