"""Incremental, crash-safe ingestion of the corpus into the Chroma collection.

`ingest_corpus` loads the articles, decides per article whether it is new, changed, unchanged or
gone, and brings the collection in line. Per article it runs a llama-index `IngestionPipeline`
(chunking + embedding) *before* touching any store, then writes in an order that a crash at any
point leaves repairable by the next run:

1. upsert the article's new chunks (stable ids: unchanged chunks are overwritten in place);
2. delete the article's chunks that are no longer produced;
3. record the article's hash in the persisted `SimpleDocumentStore` (written atomically, at most
   every PERSIST_EVERY_S and at the end);
4. publish a new generation (`ingest.publish`): sentence vectors, keyword index, manifest.

Why not `IngestionPipeline(docstore_strategy=UPSERTS_AND_DELETE, vector_store=…)` directly: its
upsert handling deletes a changed document's vectors before embedding the new ones (an embedding
failure would lose the article), and it deletes every document absent from the input (an
unreadable file would lose its chunks). The same semantics are kept here, in a safe order.

An article counts as unchanged only when the docstore hash matches *and* the collection holds
exactly the chunk ids the splitter produces for it, so leftovers of an interrupted run, or chunks
whose doc_id no longer exists in the corpus, are repaired on the next run. That check reads every
chunk id back, so it runs only when something may be off: a warm run over a corpus unchanged since
the last finished ingest (no `ingest.unfinished` marker, every article's hash as published, the
manifest's chunk count) returns after reading the folder. Reading chunks back is left to `rag` (it
reads ids, documents and metadatas straight from the collection).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.errors import ChromaError
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import Document
from llama_index.core.storage.docstore import SimpleDocumentStore

from ingest.components import (
    ChunkNodes,
    EmbedderModel,
    UpsertingChromaVectorStore,
    article_document,
)
from ingest.loader import Article, Corpus, CorpusLimits, load_corpus
from ingest.progress import EmbedProgress
from ingest.publish import current_manifest, publish_generation
from ingest.splitter import split_article
from rag.config import Settings
from rag.embedding import Embedder, MiniLMEmbedder, load_ranker
from rag.errors import StoreWriteError
from rag.locks import exclusive
from rag.schemas import IngestSummary
from rag.store import DOC_ID, open_collection, read_all

# Bump when chunking or metadata change in a way that must re-embed unchanged articles.
INDEX_VERSION = "1"
# Bump when what a generation holds (chunk table, keyword index, vocabulary) changes: the next
# ingest republishes the generation from the stored chunks and vectors, embedding nothing.
# 2: the initials of multi-word headings in the vocabulary.
# 3: the acronyms the corpus defines, in the manifest.
# 4: a source's naming words leave out the words its articles use as words ("difference").
# 5: a stopword's contractions ("they'd", "isn't") are stopwords, so not in the vocabulary.
GENERATION_FORMAT = "5"
PUBLISHED_VERSION = f"{INDEX_VERSION}.{GENERATION_FORMAT}"  # recorded in the manifest
LOCK_FILE = "ingest.lock"
# Exists from the first write of an ingest until its generation is published: while it does, the
# next ingest reads every chunk id back to repair what the interrupted one left.
UNFINISHED_FILE = "ingest.unfinished"
# The ingest record is one JSON file rewritten whole, so it is written at most this often (and
# less often when writing it is slow; always at the end): after a crash, articles stored since
# the last write are re-embedded, never lost or doubled.
PERSIST_EVERY_S = 2.0


def ingest_corpus(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    ranker: Embedder | None = None,
    corpus_dir: Path | None = None,
    progress: bool = False,
) -> IngestSummary:
    """Bring the collection in line with the corpus folder; see the module docstring. The
    models are loaded only when something needs embedding, unless given (`ranker`: the
    configured ranking encoder's, `rag.embedding.load_ranker`).

    Raises CorpusError when the folder is missing or no article in it can be read; nothing in
    the index changes then. Problems with single articles are listed in `errors` instead.
    """
    started = time.perf_counter()
    corpus = load_corpus(corpus_dir or settings.corpus_dir, CorpusLimits.from_settings(settings))
    summary = IngestSummary(errors=list(corpus.errors))
    with _store_errors(settings.data_dir):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    # One ingest at a time per data dir (the CLI and every API worker may start one); others wait.
    with _store_errors(settings.data_dir), exclusive(settings.data_dir / LOCK_FILE):
        collection = open_collection(settings)
        docstore = _load_docstore(settings.docstore_path, summary)
        docs = {article.doc_id: _document(article) for article in corpus.articles}
        if _unchanged_since_published(settings, corpus, docs, docstore, collection):
            summary.unchanged = len(corpus.articles)
            summary.chunks = int(collection.count())
            summary.seconds = round(time.perf_counter() - started, 3)
            return summary
        unfinished = settings.data_dir / UNFINISHED_FILE
        unfinished.touch()
        store = UpsertingChromaVectorStore.from_collection(collection)
        indexed = _ids_by_doc(collection)
        recorded = set(docstore.get_all_document_hashes().values())

        todo: list[tuple[Article, Document, set[str]]] = []
        for article in corpus.articles:
            doc = docs[article.doc_id]
            chunks = split_article(article.doc_id, article.text, article.title, article.fmt)
            expected = {chunk.chunk_id for chunk in chunks}
            if not expected:  # treated like an unreadable file: its previous chunks stay
                summary.errors.append(f"{article.path}: skipped, no text besides the title")
                continue
            if docstore.get_document_hash(article.doc_id) == doc.hash and (
                indexed.get(article.doc_id) == expected
            ):
                summary.unchanged += 1
            else:
                todo.append((article, doc, expected))

        embed_total = sum(len(expected) for _, _, expected in todo)
        with EmbedProgress(enabled=progress and embed_total > 0, total=embed_total) as bar:
            if todo and embedder is None:
                embedder = MiniLMEmbedder()  # only now: loading it would dominate a warm run
            model = EmbedderModel(embedder or _NoEmbedder(), on_batch=bar.advance)
            chunker = ChunkNodes(
                ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
                ingest_run=uuid.uuid4().hex,
            )
            persisted = float("-inf")  # so the first article is recorded at once
            persist_cost = 0.0
            for article, doc, _ in todo:
                bar.describe(article.doc_id)
                try:
                    nodes = IngestionPipeline(
                        transformations=[chunker, model], disable_cache=True
                    ).run(documents=[doc])
                    store.add(list(nodes))
                    stale = indexed.get(article.doc_id, set()) - {n.node_id for n in nodes}
                    if stale:
                        collection.delete(ids=sorted(stale))
                except Exception as exc:  # one bad article must not stop the others
                    summary.errors.append(
                        f"{article.path}: not ingested ({type(exc).__name__}: {exc}); "
                        "its previous chunks are kept"
                    )
                    continue
                is_new = article.doc_id not in recorded and article.doc_id not in indexed
                docstore.add_documents([doc], allow_update=True)
                docstore.set_document_hash(article.doc_id, doc.hash)
                # Writing the record must not dominate: wait at least 4x as long as a write takes.
                if time.perf_counter() - persisted >= max(PERSIST_EVERY_S, 4 * persist_cost):
                    before = time.perf_counter()
                    _persist(docstore, settings.docstore_path)
                    persisted = time.perf_counter()
                    persist_cost = persisted - before
                if is_new:
                    summary.added += 1
                else:
                    summary.updated += 1

        # Gone from the folder (not merely unreadable): drop from the index, then from the record.
        for doc_id in sorted((recorded | set(indexed)) - corpus.present):
            ids = indexed.get(doc_id)
            if ids:
                collection.delete(ids=sorted(ids))
            docstore.delete_document(doc_id, raise_error=False)
            summary.deleted += 1
        if todo or summary.deleted:
            _persist(docstore, settings.docstore_path)

        summary.chunks = int(collection.count())
        # Readers switch to what was written only now, in one step (see ingest.publish).
        record_hashes = {
            doc_id: recorded_hash
            for doc_id in sorted(corpus.present | set(indexed))
            if (recorded_hash := docstore.get_document_hash(doc_id))
        }
        changed = summary.added or summary.updated or summary.deleted
        if changed or not current_manifest(settings, record_hashes, PUBLISHED_VERSION):

            def load_embedder() -> Embedder:
                return embedder or MiniLMEmbedder()

            def load_ranking_encoder() -> Embedder:
                loaded = ranker or load_ranker(settings, progress=progress)
                assert loaded is not None, "publish asks for a ranker only when one is set"
                return loaded

            publish_generation(
                settings,
                collection,
                record_hashes,
                PUBLISHED_VERSION,
                load_embedder,
                load_ranking_encoder,
            )
        unfinished.unlink(missing_ok=True)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


@contextmanager
def _store_errors(data_dir: Path) -> Iterator[None]:
    """A write the disk or the store refuses becomes one clear error instead of a traceback."""
    try:
        yield
    except (OSError, ChromaError) as exc:
        raise StoreWriteError(
            f"cannot write the index in {data_dir} ({type(exc).__name__}: {exc}); "
            "check free space and write permission. The previous index is unchanged."
        ) from exc


class _NoEmbedder:
    """Stands in when nothing needs embedding, so a warm run never loads the model."""

    dim = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("nothing was due for embedding")


def _document(article: Article) -> Document:
    return article_document(
        article.doc_id,
        article.text,
        title=article.title,
        publisher=article.publisher,
        content_hash=article.content_hash,
        version=INDEX_VERSION,
        fmt=article.fmt,
    )


def _unchanged_since_published(
    settings: Settings,
    corpus: Corpus,
    docs: dict[str, Document],
    docstore: SimpleDocumentStore,
    collection: Any,
) -> bool:
    """Whether the last ingest finished and published exactly these articles (`docs`, by
    doc_id), with as many chunk records as its manifest counts: then nothing needs splitting,
    reading back or embedding, so a warm run costs reading the folder and two small lookups,
    whatever the corpus size."""
    if corpus.errors or (settings.data_dir / UNFINISHED_FILE).exists():
        return False
    hashes = {doc_id: doc.hash for doc_id, doc in docs.items()}
    if any(docstore.get_document_hash(doc_id) != h for doc_id, h in hashes.items()):
        return False
    manifest = current_manifest(settings, hashes, PUBLISHED_VERSION)
    # A record added or removed behind ingest's back changes the count.
    return manifest is not None and collection.count() == sum(
        a.chunks for a in manifest.articles.values()
    )


def _ids_by_doc(collection: Any) -> dict[str, set[str]]:
    """Chunk ids per doc_id currently in the collection (records without a doc_id under "")."""
    got = read_all(collection, ["metadatas"])
    out: dict[str, set[str]] = {}
    for chunk_id, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
        doc_id = str((meta or {}).get(DOC_ID) or "")
        out.setdefault(doc_id, set()).add(chunk_id)
    return out


def _load_docstore(path: Path, summary: IngestSummary) -> SimpleDocumentStore:
    if not path.exists():
        return SimpleDocumentStore()
    try:
        return SimpleDocumentStore.from_persist_path(str(path))
    except (OSError, ValueError) as exc:
        # The collection is checked chunk by chunk anyway; a lost record only costs re-embedding.
        summary.errors.append(f"{path}: unreadable ingest record, rebuilding it ({exc})")
        return SimpleDocumentStore()


def _persist(docstore: SimpleDocumentStore, path: Path) -> None:
    """Write the docstore next to its final place, then rename: a kill never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    docstore.persist(str(tmp))
    os.replace(tmp, path)
