"""Hybrid retrieval: dense (Chroma), keyword (BM25) and best-sentence similarity (by MiniLM and,
when configured, by the ranking encoder), fused by reciprocal rank.

Everything is read from what ingest stored: the manifest (`rag.manifest`) names the current
generation, whose chunk table and memory-mapped BM25 index `rag.generation` opens; chunk and
sentence vectors are queried in Chroma. Nothing is embedded or scanned whole at start-up, and a
query touches only the records it ranks. The retriever polls the manifest (one id lookup every
few seconds) and swaps in a newly published generation atomically; a query uses one generation
from start to end (vectors written by another ingest run are over-fetched and dropped, never
mixed in). Writing any of it is ingestion's job, not this module's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag import store
from rag.claims import counterparts
from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import IndexNotReadyError
from rag.generation import Chunk, Generation, Vocabulary, keyword_tokens, sentence_ids
from rag.manifest import ArticleRecord, Manifest, current_generation, read_manifest
from rag.schemas import Passage
from rag.text import content_terms, split_sentences, stem

__all__ = ["Chunk", "ChunkIndex", "Hit", "HybridRetriever", "expand_terms"]

# Fusion constants, chosen on evals/datasets/dev.jsonl and re-checked on the question bank's dev
# split (docs/answering.md): over 42 settings of these weights and k, hit@5 moved only between
# 0.61 and 0.71 (one question is 0.013), so the original setting stays.
# A small k lets a confident first place in one ranking (often BM25 on a rare word) count; whole-
# chunk vectors are the weakest signal here because every chunk talks about the same two roles.
RRF_K = 10
FUSION_WEIGHTS = (0.5, 1.5, 1.0)  # chunk vectors (Chroma), keyword (BM25), best sentence
# The ranking encoder's best-sentence ranking counts as much as MiniLM's (not tuned: the same
# kind of evidence from a second model; bank dev hit@5 0.701 -> 0.753, docs/answering.md).
RANKER_WEIGHT = 1.0
CANDIDATES = 20  # how deep each retriever looks before fusion
NEVER_ANSWER_FROM = ("quiz",)
# Vector queries carry no `where` filter (a filtered query is O(N) on single-node Chroma): they
# over-fetch this many times what they need, drop what the query may not use, and ask again,
# deeper, only when too little is left.
OVERFETCH = 2
SENTENCES_PER_CHUNK = 8  # a first guess of how many sentence hits one new chunk costs


@dataclass
class Hit:
    """A retrieved chunk with its fused reciprocal-rank score."""

    chunk: Chunk
    score: float

    def to_passage(self) -> Passage:
        c = self.chunk
        return Passage(
            doc_id=c.doc_id,
            chunk_id=c.chunk_id,
            text=c.text,
            score=round(self.score, 6),
            title=c.title,
            section=c.section,
            kind=c.kind,
        )


# Everyday words for ideas the guides name otherwise ("pays more" -> salary): plain English
# synonyms, none about what these guides happen to say. Only used to widen keyword matching;
# dense retrieval sees the question as asked. Bank dev, --llm none: without the list, key facts
# 0.534 -> 0.515 (docs/answering.md); the pay words carry most of it.
SYNONYMS = {
    "pay": ("salary", "salaries", "compensation"),
    "paid": ("salary", "salaries", "compensation"),
    "earn": ("salary", "salaries", "compensation"),
    "money": ("salary", "salaries"),
    "wage": ("salary",),
    "income": ("salary",),
    "maths": ("mathematics", "math"),
    "code": ("programming",),
    "coding": ("programming",),
}
_SYNONYMS = {stem(k): tuple(stem(v) for v in vs) for k, vs in SYNONYMS.items()}


def _keyword_tokens(text: str) -> list[str]:
    return keyword_tokens(text)


def expand_terms(tokens: list[str]) -> list[str]:
    """`tokens` plus the guide's own words for the same ideas."""
    return tokens + [extra for t in tokens for extra in _SYNONYMS.get(t, ())]


class _ChunksById:
    """`index.by_id.get(chunk_id)` over the generation's chunk table."""

    def __init__(self, generation: Generation | None) -> None:
        self._generation = generation

    def get(self, chunk_id: str, default: Chunk | None = None) -> Chunk | None:
        if self._generation is None:
            return default
        return self._generation.by_ids([chunk_id]).get(chunk_id, default)


@dataclass
class ChunkIndex:
    """One published generation as retrieval sees it: the manifest's summary of the corpus and
    the generation's chunk table and keyword index (both read on demand)."""

    number: int | None = None
    generation: Generation | None = None
    articles: dict[str, ArticleRecord] = field(default_factory=dict)
    # doc_id -> words of its title and publisher that no other article's have ("lesson",
    # "newsletter", "definitive"), so a question can name its source.
    source_words: dict[str, frozenset[str]] = field(default_factory=dict)
    common_terms: frozenset[str] = frozenset()  # in rag.generation.COMMON_SHARE of chunks or more
    titles: dict[str, str] = field(default_factory=dict)  # doc_id -> title
    # Acronym -> long form, as the corpus defines it ("RAG" -> "Retrieval-Augmented Generation").
    acronyms: dict[str, str] = field(default_factory=dict)
    ranker: str | None = None  # the ranking encoder whose sentence vectors are stored, if any

    @classmethod
    def load(cls, manifest: Manifest, folder: Path) -> ChunkIndex:
        """Open the generation `manifest` names (its folder under `folder`)."""
        return cls(
            number=manifest.generation,
            generation=Generation(folder / manifest.directory),
            articles=dict(manifest.articles),
            source_words={d: frozenset(ws) for d, ws in manifest.source_words.items()},
            common_terms=frozenset(manifest.common_terms),
            titles={d: a.title for d, a in manifest.articles.items()},
            acronyms=dict(manifest.acronyms),
            ranker=manifest.ranker,
        )

    @property
    def count(self) -> int:
        return self.generation.count if self.generation else 0

    @property
    def vocabulary(self) -> Vocabulary:
        """Every content term of the corpus, as a membership test."""
        return Vocabulary(self.generation)

    @property
    def by_id(self) -> _ChunksById:
        return _ChunksById(self.generation)

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk (reads the whole table: for tools and evals, not for answering)."""
        return list(self.generation.all_chunks()) if self.generation else []

    @cached_property
    def counterparts(self) -> dict[str, str]:
        """Role -> the role the titles compare it with (`rag.claims.counterparts`)."""
        return counterparts(self.titles.values())

    def named_sources(self, question: str) -> set[str]:
        """The articles a question names by a word only their title or publisher has."""
        asked = content_terms(question)
        return {doc for doc, own in self.source_words.items() if asked & own}


class HybridRetriever:
    """Dense + BM25 + best-sentence retrieval over the current generation, fused by rank.

    With a `ranker` (an encoder, and `ranker_sentences`, the collection of its sentence vectors
    named `ranker_name`), a fourth ranking by its best sentence joins, for a generation that
    stores those vectors."""

    def __init__(
        self,
        collection: Any,
        embedder: Embedder,
        exclude_kinds: tuple[str, ...] = (),
        *,
        sentences: Any,
        manifest: Any,
        generations_dir: Path,
        poll_seconds: float = 2.0,
        ranker: Embedder | None = None,
        ranker_name: str | None = None,
        ranker_sentences: Any = None,
    ):
        self.collection = collection
        self.sentence_collection = sentences
        self.ranker = ranker
        self.ranker_name = ranker_name
        self.ranker_collection = ranker_sentences
        self.manifest_collection = manifest
        self.generations_dir = generations_dir
        self.embedder = embedder
        self.exclude_kinds = tuple(sorted(set(NEVER_ANSWER_FROM) | set(exclude_kinds)))
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._index = ChunkIndex()
        self._checked = 0.0
        self.refresh()

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        collection: Any,
        embedder: Embedder,
        exclude_kinds: tuple[str, ...],
        ranker: Embedder | None = None,
    ) -> HybridRetriever:
        """A retriever over `collection` and its sibling collections in the configured store
        (`ranker`: the encoder `settings.ranker` names, if any)."""
        client = store.chroma_client(settings)
        return cls(
            collection,
            embedder,
            exclude_kinds,
            sentences=store.open_sentences(settings, client),
            manifest=store.open_manifest(settings, client),
            generations_dir=store.generations_dir(settings),
            poll_seconds=settings.generation_poll_s,
            ranker=ranker,
            ranker_name=settings.ranker_name if ranker is not None else None,
            ranker_sentences=store.open_ranker_sentences(settings, client) if ranker else None,
        )

    def ranks_with(self, index: ChunkIndex) -> bool:
        """Whether the ranking encoder's vectors can be used with `index` (it stores them)."""
        return self.ranker is not None and index.ranker == self.ranker_name

    @property
    def index(self) -> ChunkIndex:
        """The current generation (checking the manifest at most every `poll_seconds`)."""
        if time.monotonic() - self._checked >= self.poll_seconds:
            self._poll()
        return self._index

    def refresh(self) -> None:
        """Check the manifest now and swap a newer generation in (queries already running keep
        the one they started with)."""
        self._poll(force=True)

    def _poll(self, force: bool = False) -> None:
        with self._lock:
            if not force and time.monotonic() - self._checked < self.poll_seconds:
                return  # another thread just checked
            self._checked = time.monotonic()
            number = current_generation(self.manifest_collection)
            if number is None or number == self._index.number:
                return
            manifest = read_manifest(self.manifest_collection)
            if manifest is None or not (self.generations_dir / manifest.directory).is_dir():
                return  # published elsewhere without a shared data dir: keep serving this one
            self._index = ChunkIndex.load(manifest, self.generations_dir)

    def closest_sentence(self, query_vector: np.ndarray) -> float:
        """The cosine of the corpus sentence closest to `query_vector` (0 for an empty index)."""
        best = self._sentence_ranking(self.index, query_vector, want=1, allow_excluded=True)
        return max(best.values(), default=0.0)

    def sentences(self, chunk: Chunk) -> tuple[list[str], np.ndarray]:
        """The chunk's sentences and their stored vectors."""
        return self.sentences_of([chunk])[chunk.chunk_id]

    def ranker_vectors_of(self, chunks: Iterable[Chunk]) -> dict[str, np.ndarray]:
        """chunk_id -> the ranking encoder's vectors of its sentences, in sentence order, for the
        chunks whose sentences all have one (none without a usable ranker)."""
        chunks = list(chunks)
        if self.ranker_collection is None or not self.ranks_with(self.index):
            return {}
        ids = list(dict.fromkeys(sid for c in chunks for sid in sentence_ids(c)))
        got = self.ranker_collection.get(ids=ids, include=["embeddings"]) if ids else None
        stored = dict(zip(got["ids"], got["embeddings"], strict=True)) if got is not None else {}
        out: dict[str, np.ndarray] = {}
        for chunk in chunks:
            vectors = [stored.get(sid) for sid in sentence_ids(chunk)]
            if vectors and all(v is not None for v in vectors):
                out[chunk.chunk_id] = np.asarray(vectors, dtype=np.float32)
        return out

    def sentences_of(self, chunks: Iterable[Chunk]) -> dict[str, tuple[list[str], np.ndarray]]:
        """chunk_id -> its sentences and their stored vectors, in one lookup."""
        chunks = list(chunks)
        ids = list(dict.fromkeys(sid for c in chunks for sid in sentence_ids(c)))  # texts repeat
        got = (
            self.sentence_collection.get(ids=ids, include=["documents", "embeddings"])
            if ids
            else None
        )
        stored = {}
        if got is not None:
            stored = dict(
                zip(got["ids"], zip(got["documents"], got["embeddings"], strict=True), strict=True)
            )
        out: dict[str, tuple[list[str], np.ndarray]] = {}
        for chunk in chunks:
            records = [stored.get(sid) for sid in sentence_ids(chunk)]
            if records and all(r is not None for r in records):
                texts = [str(r[0]) for r in records if r is not None]
                vectors = np.asarray([r[1] for r in records if r is not None], dtype=np.float32)
            else:  # an index written before sentences were stored: embed these few now
                texts = split_sentences(chunk.text)
                vectors = (
                    self.embedder.embed(texts)
                    if texts
                    else np.zeros((0, self.embedder.dim), dtype=np.float32)
                )
            out[chunk.chunk_id] = (texts, vectors)
        return out

    def ranker_vector(self, question: str) -> np.ndarray | None:
        """`question` embedded by the ranking encoder, when the current index can use it."""
        if self.ranker is None or not self.ranks_with(self.index):
            return None
        return self.ranker.embed([question])[0]

    def retrieve(
        self,
        question: str,
        top_k: int,
        query_vector: np.ndarray | None = None,
        ranker_vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """The `top_k` chunks for `question`, best first (`ranker_vector`: the question by the
        ranking encoder, which adds its best-sentence ranking)."""
        index = self.index
        if not index.count:
            raise IndexNotReadyError(
                "The index is empty: run `career-rag ingest` to load the guides first."
            )
        if query_vector is None:
            query_vector = self.embedder.embed([question])[0]
        found: dict[str, Chunk] = {}
        dense = self._dense(index, query_vector, found)
        keyword = self._keyword(question, index, found)
        sentence = self._best_sentence(index, query_vector, found)
        fused: dict[str, float] = {}
        rankings = [list(dense), list(keyword), list(sentence)]
        weights = list(FUSION_WEIGHTS)
        if ranker_vector is not None and self.ranks_with(index):
            collection = self.ranker_collection
            rankings.append(list(self._best_sentence(index, ranker_vector, found, collection)))
            weights.append(RANKER_WEIGHT)
        for weight, ranking in zip(weights, rankings, strict=True):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda cid: fused[cid], reverse=True)[:top_k]
        return [Hit(found[chunk_id], fused[chunk_id]) for chunk_id in best]

    def _usable(self, chunk: Chunk | None) -> bool:
        return chunk is not None and chunk.kind not in self.exclude_kinds

    def _dense(
        self, index: ChunkIndex, query_vector: np.ndarray, found: dict[str, Chunk]
    ) -> dict[str, float]:
        """chunk_id -> cosine similarity, best first, from Chroma."""
        assert index.generation is not None
        n = CANDIDATES * OVERFETCH
        while True:
            result = self.collection.query(
                query_embeddings=[query_vector.tolist()],
                n_results=n,
                include=["distances", "metadatas"],
            )
            ids, distances = result["ids"][0], result["distances"][0]
            metas = result["metadatas"][0]
            chunks = index.generation.by_ids(ids)
            out: dict[str, float] = {}
            for cid, distance, meta in zip(ids, distances, metas, strict=True):
                chunk = chunks.get(cid)
                # A vector another ingest run wrote belongs to another generation's text.
                run = str((meta or {}).get(store.INGEST_RUN, ""))
                if chunk is None or not self._usable(chunk) or run != chunk.ingest_run:
                    continue
                found[cid] = chunk
                out[cid] = 1.0 - float(distance)
                if len(out) == CANDIDATES:
                    return out
            if len(ids) < n:  # the collection has no more
                return out
            n *= 2

    def _best_sentence(
        self,
        index: ChunkIndex,
        query_vector: np.ndarray,
        found: dict[str, Chunk],
        collection: Any = None,
    ) -> dict[str, float]:
        """chunk_id -> its best sentence's cosine with the question, best first (in `collection`,
        by default MiniLM's sentence vectors).

        A chunk vector averages a whole passage; a pinpoint question ("which cloud platform...")
        matches one sentence of it far better than the average. The nearest sentences come
        first, so the first CANDIDATES chunks met are the CANDIDATES with the best sentences.
        """
        return self._sentence_ranking(index, query_vector, CANDIDATES, False, found, collection)

    def _sentence_ranking(
        self,
        index: ChunkIndex,
        query_vector: np.ndarray,
        want: int,
        allow_excluded: bool,
        found: dict[str, Chunk] | None = None,
        collection: Any = None,
    ) -> dict[str, float]:
        if index.generation is None:
            return {}
        collection = collection if collection is not None else self.sentence_collection
        n = want * SENTENCES_PER_CHUNK * OVERFETCH
        while True:
            result = collection.query(
                query_embeddings=[query_vector.tolist()], n_results=n, include=["distances"]
            )
            ids, distances = result["ids"][0], result["distances"][0]
            owners = index.generation.by_text_hashes({sid.rsplit(":", 1)[0] for sid in ids})
            best: dict[str, float] = {}
            for sid, distance in zip(ids, distances, strict=True):
                for chunk in owners.get(sid.rsplit(":", 1)[0], ()):
                    if chunk.chunk_id in best or not (allow_excluded or self._usable(chunk)):
                        continue
                    best[chunk.chunk_id] = 1.0 - float(distance)
                    if found is not None:
                        found[chunk.chunk_id] = chunk
                if len(best) >= want:
                    return dict(list(best.items())[:want])
            if len(ids) < n:
                return best
            n *= 2

    def _keyword(
        self, question: str, index: ChunkIndex, found: dict[str, Chunk]
    ) -> dict[str, float]:
        """chunk_id -> BM25 score, best first, for chunks sharing at least one term."""
        tokens = expand_terms([t for t in _keyword_tokens(question) if t not in _BM25_SKIP])
        generation = index.generation
        if not tokens or generation is None or generation.bm25 is None:
            return {}
        k = min(CANDIDATES + len(self.exclude_kinds) * 10, generation.count)
        docs, scores = generation.bm25.retrieve([tokens], k=k, show_progress=False)
        chunks = generation.by_rows(int(d) for d in docs[0])
        out: dict[str, float] = {}
        for position, score in zip(docs[0], scores[0], strict=True):
            chunk = chunks.get(int(position))
            if chunk is not None and score > 0 and self._usable(chunk):
                found[chunk.chunk_id] = chunk
                out[chunk.chunk_id] = float(score)
        return out


# Question words carry no topical signal for BM25.
_BM25_SKIP = frozenset(
    stem(w)
    for w in (
        "what",
        "which",
        "how",
        "why",
        "who",
        "is",
        "are",
        "do",
        "does",
        "the",
        "a",
        "an",
        "of",
        "for",
        "to",
        "in",
        "and",
    )
)
