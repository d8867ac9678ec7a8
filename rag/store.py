"""Opens the Chroma collections of the index: embedded on disk, or a Chroma server.

Four collections share the configured name: the chunks (`career_guides`), their sentence vectors
(`career_guides_sentences`, one record per sentence, keyed by the chunk text's hash and the
sentence's place in it), the same sentences embedded by the ranking encoder when one is
configured (`career_guides_sentences_mpnet`) and the manifest (`career_guides_manifest`, one
record naming the current generation; see `rag.manifest`). `CAREER_RAG_CHROMA_URL` switches to
`HttpClient`; everything else is the same in both modes. Metadata keys written by ingestion and
read by retrieval are named here once.
"""

from __future__ import annotations

from pathlib import Path
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
INGEST_RUN = "ingest_run"  # which ingest run wrote the record: tells a reader's generation apart
# Metadata keys of a sentence record.
CHUNK_ID = "chunk_id"
TEXT_HASH = "text_hash"


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


READ_PAGE = 5000  # records per `get`: one unpaged get of a large collection overflows SQLite


def read_all(collection: Any, include: list[str], page: int = READ_PAGE) -> dict[str, list[Any]]:
    """Every record of `collection` (ids plus the `include` fields), read a page at a time."""
    out: dict[str, list[Any]] = {"ids": [], **{field: [] for field in include}}
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        for key in out:
            out[key].extend(got[key] if got[key] is not None else [])
        if len(got["ids"]) < page:
            return out
        offset += page


# Candidates the HNSW search explores per query. Chroma's default, 100, is fewer than the
# sentence ranking asks for (120 and up), and below Chroma's sync threshold (1000 vectors) the
# graph is rebuilt in parallel at every load: the same question got other sentences, and so
# another answer, from one process to the next. At 1000 the search is exact up to 1000 vectors
# (checked against a full scan) and the same in every process beyond, where the graph is persisted.
SEARCH_EF = 1000


def _open(client: Any, name: str) -> Any:
    # Embeddings are always computed by us, so no collection gets an embedding function of its
    # own (Chroma's default one would try to download a model).
    collection = client.get_or_create_collection(
        name=name,
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
    )
    if (collection.configuration_json.get("hnsw") or {}).get("ef_search") != SEARCH_EF:
        # A collection made before SEARCH_EF existed: the setting can change in place.
        collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
    return collection


def open_sentences(settings: Settings, client: Any | None = None) -> Any:
    """The sentence-vector collection (created empty if missing)."""
    return _open(client or chroma_client(settings), f"{settings.collection}_sentences")


def open_ranker_sentences(settings: Settings, client: Any | None = None) -> Any | None:
    """The ranking encoder's sentence-vector collection (created empty if missing): the same
    records as `open_sentences`, embedded by `Settings.ranker`; None when that is "none"."""
    if settings.ranker_name is None:
        return None
    name = f"{settings.collection}_sentences_{settings.ranker_name}"
    return _open(client or chroma_client(settings), name)


def open_manifest(settings: Settings, client: Any | None = None) -> Any:
    """The one-record manifest collection (created empty if missing)."""
    return _open(client or chroma_client(settings), f"{settings.collection}_manifest")


def generations_dir(settings: Settings) -> Path:
    """Where each generation's keyword index and chunk table live (shared by every worker)."""
    return settings.data_dir / "generations"


def open_collection(settings: Settings, client: Any | None = None) -> Any:
    """The chunk collection (created empty if missing), using cosine distance.

    Embeddings are always computed by us, so the collection gets no embedding function of its own
    (Chroma's default one would try to download a model).
    """
    return _open(client or chroma_client(settings), settings.collection)
