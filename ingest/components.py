"""The llama-index pieces ingestion plugs together: chunking transform, embedder adapter, store.

- `ChunkNodes` turns article Documents into TextNodes with stable ids and the chunk metadata
  that retrieval reads from Chroma (keys from `rag.store`); the embedded text carries title and
  section, the stored document text is the chunk text alone.
- `EmbedderModel` adapts a `rag.embedding.Embedder` to llama-index's `BaseEmbedding`, so the
  pipeline never falls back on llama-index's global Settings.
- `UpsertingChromaVectorStore` writes with Chroma's `upsert`: the stock `add` silently keeps the
  old record when an id exists, so a changed title would never reach an unchanged chunk.
Deciding what to (re)ingest and in which order stores are touched is `ingest.pipeline`'s job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import (
    BaseNode,
    Document,
    MetadataMode,
    NodeRelationship,
    TextNode,
    TransformComponent,
)
from llama_index.core.vector_stores.utils import node_to_metadata_dict
from llama_index.vector_stores.chroma import ChromaVectorStore

from ingest.splitter import split_article
from rag.embedding import Embedder
from rag.store import (
    CONTENT_HASH,
    DOC_ID,
    INGEST_RUN,
    INGESTED_AT,
    KIND,
    POSITION,
    PUBLISHER,
    SECTION,
    TITLE,
)

# Only title and section help the embedding; the rest is bookkeeping.
_NOT_EMBEDDED = [DOC_ID, PUBLISHER, KIND, POSITION, CONTENT_HASH, INGESTED_AT, INGEST_RUN]
_CHROMA_MAX_BATCH = 1000
ARTICLE_FORMAT = "format"  # Document metadata: how `ingest.splitter` reads the text


class ChunkNodes(TransformComponent):
    """Article Documents (id = doc_id) -> one TextNode per chunk of `ingest.splitter`."""

    ingested_at: str
    ingest_run: str = ""  # tells readers which run's vector a chunk record holds

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        out: list[BaseNode] = []
        for doc in nodes:
            meta = doc.metadata
            fmt = str(meta.get(ARTICLE_FORMAT, "txt"))
            for chunk in split_article(doc.id_, doc.get_content(), title=meta[TITLE], fmt=fmt):
                not_embedded = _NOT_EMBEDDED if chunk.section else [*_NOT_EMBEDDED, SECTION]
                node = TextNode(
                    id_=chunk.chunk_id,
                    text=chunk.text,
                    metadata={
                        DOC_ID: doc.id_,
                        TITLE: meta[TITLE],
                        PUBLISHER: meta[PUBLISHER],
                        SECTION: chunk.section,
                        KIND: chunk.kind,
                        POSITION: chunk.position,
                        CONTENT_HASH: meta[CONTENT_HASH],
                        INGESTED_AT: self.ingested_at,
                        INGEST_RUN: self.ingest_run,
                    },
                    excluded_embed_metadata_keys=list(not_embedded),
                    excluded_llm_metadata_keys=list(_NOT_EMBEDDED),
                )
                # The source link makes `ref_doc_id` the doc_id, which Chroma stores as document_id.
                node.relationships[NodeRelationship.SOURCE] = doc.as_related_node_info()
                out.append(node)
        return out


def article_document(
    doc_id: str,
    text: str,
    *,
    title: str,
    publisher: str,
    content_hash: str,
    version: str,
    fmt: str = "txt",
) -> Document:
    """The llama-index Document of one article; its hash changes with text, title or version."""
    return Document(
        id_=doc_id,
        text=text,
        metadata={
            TITLE: title,
            PUBLISHER: publisher,
            CONTENT_HASH: content_hash,
            "index_version": version,
            # Only Markdown and HTML say so: `.txt` records keep the hash they were stored with.
            **({ARTICLE_FORMAT: fmt} if fmt != "txt" else {}),
        },
    )


class EmbedderModel(BaseEmbedding):
    """A `rag.embedding.Embedder` as a llama-index embedding model (sync only; batches as given)."""

    _embedder: Embedder = PrivateAttr()
    _on_batch: Callable[[int], None] | None = PrivateAttr(default=None)

    def __init__(
        self,
        embedder: Embedder,
        *,
        on_batch: Callable[[int], None] | None = None,
        embed_batch_size: int = 32,
    ) -> None:
        super().__init__(
            model_name=str(getattr(embedder, "name", type(embedder).__name__)),
            embed_batch_size=embed_batch_size,
        )
        self._embedder = embedder
        self._on_batch = on_batch

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        vectors = self._embedder.embed(texts).tolist()
        if self._on_batch is not None:
            self._on_batch(len(texts))
        return vectors

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embeddings([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class UpsertingChromaVectorStore(ChromaVectorStore):
    """ChromaVectorStore whose `add` replaces records with the same id instead of ignoring them."""

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(nodes), _CHROMA_MAX_BATCH):
            batch = nodes[start : start + _CHROMA_MAX_BATCH]
            self._collection.upsert(
                ids=[node.node_id for node in batch],
                embeddings=np.asarray([node.get_embedding() for node in batch], dtype=np.float32),
                metadatas=[
                    node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
                    for node in batch
                ],
                documents=[node.get_content(metadata_mode=MetadataMode.NONE) for node in batch],
            )
            ids.extend(node.node_id for node in batch)
        return ids
