"""Publishing a new index generation after the chunk collection has been brought up to date.

A generation is: the sentence vectors of every chunk text (in Chroma, shared between
generations: a text's sentences are stored once, keyed by the text's hash; a second set from the
ranking encoder when one is configured), the chunk table and
keyword index (a new folder under the data dir's `generations/`), and the manifest record that
names the folder. They are written in that order, the manifest last, so readers switch from one
complete generation to the next. The previous generation stays intact for readers still on it;
older ones (folder and sentence records no kept generation uses) are removed after the switch.
Nothing is published when the corpus is unchanged since the current generation.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag import store
from rag.config import Settings
from rag.embedding import Embedder
from rag.generation import (
    Chunk,
    Generation,
    common_terms,
    corpus_acronyms,
    source_words,
    write_generation,
)
from rag.manifest import ArticleRecord, Manifest, publish, read_manifest
from rag.text import split_sentences

SENTENCE_BATCH = 512  # texts per embedding call (the model batches further inside)
_CHROMA_MAX_BATCH = 1000


def current_manifest(
    settings: Settings, record_hashes: dict[str, str], index_version: str
) -> Manifest | None:
    """The published manifest when it already reflects these ingest-record hashes, else None."""
    manifest = read_manifest(store.open_manifest(settings))
    current = (
        manifest is not None
        and manifest.index_version == index_version
        and manifest.ranker == settings.ranker_name
        and (store.generations_dir(settings) / manifest.directory).is_dir()
        and {d: a.record_hash for d, a in manifest.articles.items()} == record_hashes
    )
    return manifest if current else None


def publish_generation(
    settings: Settings,
    collection: Any,
    record_hashes: dict[str, str],
    index_version: str,
    load_embedder: Callable[[], Embedder],
    load_ranker: Callable[[], Embedder] | None = None,
) -> Manifest:
    """Write and publish a generation of everything the chunk collection holds now
    (`load_ranker` gives the ranking encoder when `settings` configures one)."""
    client = store.chroma_client(settings)
    manifest_collection = store.open_manifest(settings, client)
    sentences = store.open_sentences(settings, client)
    ranked = store.open_ranker_sentences(settings, client)
    folder = store.generations_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    current = read_manifest(manifest_collection)
    previous_dir = folder / current.directory if current else None
    known: dict[str, int] = {}
    if previous_dir is not None and previous_dir.is_dir():
        known = Generation(previous_dir).sentence_counts()

    chunks = _stored_chunks(collection)
    chunks = _store_sentences(chunks, known, sentences, load_embedder)
    if ranked is not None:
        if load_ranker is None:
            raise ValueError(f"the ranker {settings.ranker!r} is configured but none was given")
        # What the previous generation stored is known only if it had the same ranker.
        same = current is not None and current.ranker == settings.ranker_name
        _store_sentences(chunks, known if same else {}, ranked, load_ranker)

    number = (current.generation if current else 0) + 1
    name = f"g{number:06d}"
    staging = folder / f".{name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)  # left by a run killed while writing it
    shutil.rmtree(folder / name, ignore_errors=True)
    write_generation(staging, chunks)
    staging.rename(folder / name)
    common = common_terms(chunks) if chunks else []
    manifest = Manifest(
        generation=number,
        directory=name,
        index_version=index_version,
        articles=_articles(chunks, record_hashes),
        common_terms=common,
        source_words=source_words(chunks),
        acronyms=corpus_acronyms(chunks, common),
        ranker=settings.ranker_name,
    )
    publish(manifest_collection, manifest)
    keep = {name} | ({current.directory} if current else set())
    _remove_old_generations(folder, keep, [c for c in (sentences, ranked) if c is not None])
    return manifest


def _stored_chunks(collection: Any) -> list[Chunk]:
    """Every chunk in the collection, in keyword-index order (article, then position)."""
    raw = store.read_all(collection, ["documents", "metadatas"])
    chunks = []
    for chunk_id, text, meta in zip(raw["ids"], raw["documents"], raw["metadatas"], strict=True):
        meta = meta or {}
        chunks.append(
            Chunk(
                chunk_id=chunk_id,
                doc_id=str(meta.get(store.DOC_ID, "")),
                title=str(meta.get(store.TITLE, "")),
                section=str(meta.get(store.SECTION) or "") or None,
                kind=str(meta.get(store.KIND, "section")),
                text=text or "",
                position=int(meta.get(store.POSITION, 0) or 0),
                content_hash=str(meta.get(store.CONTENT_HASH, "")),
                ingested_at=str(meta.get(store.INGESTED_AT, "")),
                publisher=str(meta.get(store.PUBLISHER) or "") or None,
                ingest_run=str(meta.get(store.INGEST_RUN, "")),
            )
        )
    chunks.sort(key=lambda c: (c.doc_id, c.position))
    return chunks


def _store_sentences(
    chunks: list[Chunk],
    known: dict[str, int],
    collection: Any,
    load_embedder: Callable[[], Embedder],
) -> list[Chunk]:
    """Embed and store the sentences of chunk texts no kept generation has; return the chunks
    with their sentence counts."""
    counts = dict(known)
    todo: list[tuple[Chunk, list[str]]] = []
    for chunk in chunks:
        key = chunk.text_hash
        if key not in counts:
            split = split_sentences(chunk.text)
            counts[key] = len(split)
            todo.append((chunk, split))
    pending: list[tuple[str, str, Chunk]] = [
        (f"{chunk.text_hash}:{i}", sentence, chunk)
        for chunk, split in todo
        for i, sentence in enumerate(split)
    ]
    if pending and collection.count():
        # No kept generation lists them, yet they may be stored (a lost generation folder, or
        # a run killed after writing them): embedding costs far more than looking.
        stored = _existing(collection, [sid for sid, _, _ in pending])
        pending = [p for p in pending if p[0] not in stored]
    embedder = load_embedder() if pending else None
    for start in range(0, len(pending), SENTENCE_BATCH):
        batch = pending[start : start + SENTENCE_BATCH]
        assert embedder is not None
        vectors = embedder.embed([text for _, text, _ in batch])
        for part in range(0, len(batch), _CHROMA_MAX_BATCH):
            rows = batch[part : part + _CHROMA_MAX_BATCH]
            collection.upsert(
                ids=[sid for sid, _, _ in rows],
                embeddings=vectors[part : part + len(rows)],
                documents=[text for _, text, _ in rows],
                metadatas=[
                    {store.CHUNK_ID: c.chunk_id, store.TEXT_HASH: c.text_hash} for _, _, c in rows
                ],
            )
    return [_with_sentences(c, counts[c.text_hash]) for c in chunks]


def _existing(collection: Any, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _CHROMA_MAX_BATCH):
        found.update(collection.get(ids=ids[start : start + _CHROMA_MAX_BATCH], include=[])["ids"])
    return found


def _with_sentences(chunk: Chunk, count: int) -> Chunk:
    return replace(chunk, sentences=count)


def _articles(chunks: list[Chunk], record_hashes: dict[str, str]) -> dict[str, ArticleRecord]:
    articles: dict[str, ArticleRecord] = {}
    for chunk in chunks:
        seen = articles.get(chunk.doc_id)
        articles[chunk.doc_id] = ArticleRecord(
            doc_id=chunk.doc_id,
            title=chunk.title,
            publisher=chunk.publisher,
            chunks=(seen.chunks if seen else 0) + 1,
            content_hash=chunk.content_hash,
            ingested_at=max(chunk.ingested_at, seen.ingested_at if seen else ""),
            record_hash=record_hashes.get(chunk.doc_id, ""),
        )
    return articles


def _remove_old_generations(folder: Path, keep: set[str], collections: list[Any]) -> None:
    """Drop generations older than the previous one, with the sentence records only they use
    (from each sentence collection in `collections`)."""
    old = [p for p in folder.iterdir() if p.name not in keep and p.name.startswith(("g", ".g"))]
    if not old:
        return
    used: set[str] = set()
    for name in keep:
        if (folder / name).is_dir():
            used |= set(Generation(folder / name).sentence_counts())
    unused: list[str] = []
    for path in old:
        if path.is_dir() and (path / "chunks.sqlite").is_file():
            for key, count in Generation(path).sentence_counts().items():
                if key not in used:
                    unused.extend(f"{key}:{i}" for i in range(count))
    for sentences in collections:
        for start in range(0, len(unused), _CHROMA_MAX_BATCH):
            sentences.delete(ids=unused[start : start + _CHROMA_MAX_BATCH])
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
