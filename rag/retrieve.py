"""Hybrid retrieval: dense (Chroma), keyword (BM25) and best-sentence similarity, fused by
reciprocal rank.

The chunks are read once from the Chroma collection into an immutable `ChunkIndex` snapshot (the
BM25 index, the corpus vocabulary, per-chunk sentences). `refresh()` builds a new snapshot and
swaps it in, so queries running during a re-ingest keep using the old one. Writing the collection
is ingestion's job, not this module's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np

from rag import store
from rag.embedding import Embedder
from rag.errors import IndexNotReadyError
from rag.schemas import Passage
from rag.text import content_terms, split_sentences, stem, word_prefixes, words

# Fusion constants, chosen on evals/datasets/dev.jsonl and re-checked on the question bank's dev
# split (docs/answering.md): over 42 settings of these weights and k, hit@5 moved only between
# 0.61 and 0.71 (one question is 0.013), so the original setting stays.
# A small k lets a confident first place in one ranking (often BM25 on a rare word) count; whole-
# chunk vectors are the weakest signal here because every chunk talks about the same two roles.
RRF_K = 10
FUSION_WEIGHTS = (0.5, 1.5, 1.0)  # chunk vectors (Chroma), keyword (BM25), best sentence
# Terms in at least this share of chunks say what the whole corpus is about ("engineer", "role"),
# not what one question is about.
COMMON_SHARE = 0.2
CANDIDATES = 20  # how deep each retriever looks before fusion
NEVER_ANSWER_FROM = ("quiz",)
PREFIX_LETTERS = 5  # quiz options are mostly deliberate distractors, not claims


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    section: str | None
    kind: str
    text: str
    position: int
    content_hash: str
    ingested_at: str
    publisher: str | None


@dataclass(frozen=True)
class SentenceMatrix:
    """Every sentence vector of a snapshot in one matrix, and each chunk's rows in it."""

    vectors: np.ndarray
    spans: dict[str, tuple[int, list[str]]]  # chunk_id -> (first row, its sentences)

    def of(self, chunk_id: str) -> tuple[list[str], np.ndarray] | None:
        if chunk_id not in self.spans:
            return None
        start, sentences = self.spans[chunk_id]
        return sentences, self.vectors[start : start + len(sentences)]


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


# Guide vocabulary for ideas that questions often phrase differently ("pays more" -> salary).
# Only used to widen keyword matching; dense retrieval sees the question as asked.
SYNONYMS = {
    "pay": ("salary", "salaries", "compensation"),
    "paid": ("salary", "salaries", "compensation"),
    "earn": ("salary", "salaries", "compensation"),
    "money": ("salary", "salaries"),
    "wage": ("salary",),
    "income": ("salary",),
    "degree": ("master", "stem"),
    "maths": ("mathematics", "math"),
    "code": ("programming",),
    "coding": ("programming",),
    "hire": ("hiring", "demand"),
    "future": ("2026", "demand"),
}
_SYNONYMS = {stem(k): tuple(stem(v) for v in vs) for k, vs in SYNONYMS.items()}


def _keyword_tokens(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def expand_terms(tokens: list[str]) -> list[str]:
    """`tokens` plus the guide's own words for the same ideas."""
    return tokens + [extra for t in tokens for extra in _SYNONYMS.get(t, ())]


@dataclass
class ChunkIndex:
    """An immutable snapshot of every chunk, with its BM25 index and vocabulary."""

    chunks: list[Chunk]
    vocabulary: frozenset[str]
    prefixes: frozenset[str] = frozenset()  # of the vocabulary, for spelling-variant checks
    # doc_id -> words of its title and publisher that no other article's have ("lesson",
    # "newsletter", "definitive"), so a question can name its source.
    source_words: dict[str, frozenset[str]] = field(default_factory=dict)
    common_terms: frozenset[str] = frozenset()  # in COMMON_SHARE of the chunks or more
    titles: dict[str, str] = field(default_factory=dict)  # doc_id -> title
    bm25: Any = None
    by_id: dict[str, Chunk] = field(default_factory=dict)

    def named_sources(self, question: str) -> set[str]:
        """The articles a question names by a word only their title or publisher has."""
        asked = content_terms(question)
        return {doc for doc, own in self.source_words.items() if asked & own}

    @classmethod
    def from_collection(cls, collection: Any) -> ChunkIndex:
        raw = collection.get(include=["documents", "metadatas"])
        chunks = []
        for chunk_id, text, meta in zip(
            raw["ids"], raw["documents"], raw["metadatas"], strict=True
        ):
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
                )
            )
        chunks.sort(key=lambda c: (c.doc_id, c.position))
        vocabulary: set[str] = set()
        chunk_frequency: dict[str, int] = {}
        for c in chunks:
            terms = content_terms(_header(c) + " " + c.text)
            vocabulary |= terms
            for term in terms:
                chunk_frequency[term] = chunk_frequency.get(term, 0) + 1
        common = frozenset(
            t for t, n in chunk_frequency.items() if chunks and n / len(chunks) >= COMMON_SHARE
        )
        naming: dict[str, set[str]] = {}
        for c in chunks:
            naming.setdefault(c.doc_id, set()).update(
                content_terms(f"{c.title} {c.publisher or ''}")
            )
        source_words = {
            doc: frozenset(
                w for w in own if not any(w in other for d, other in naming.items() if d != doc)
            )
            for doc, own in naming.items()
        }
        bm25 = None
        if chunks:
            bm25 = bm25s.BM25()
            corpus_tokens = [_keyword_tokens(f"{_header(c)} {c.text}") for c in chunks]
            bm25.index(corpus_tokens, show_progress=False)
        return cls(
            chunks=chunks,
            vocabulary=frozenset(vocabulary),
            prefixes=word_prefixes(frozenset(vocabulary), PREFIX_LETTERS),
            source_words=source_words,
            common_terms=common,
            titles={c.doc_id: c.title for c in chunks},
            bm25=bm25,
            by_id={c.chunk_id: c for c in chunks},
        )


def _header(chunk: Chunk) -> str:
    """The chunk's context as a reader sees it: article title, publisher, section."""
    return " ".join(p for p in (chunk.title, chunk.publisher or "", chunk.section or "") if p)


class HybridRetriever:
    """Dense + BM25 retrieval over the chunk collection, fused by reciprocal rank."""

    def __init__(self, collection: Any, embedder: Embedder, exclude_kinds: tuple[str, ...] = ()):
        self.collection = collection
        self.embedder = embedder
        self.exclude_kinds = tuple(sorted(set(NEVER_ANSWER_FROM) | set(exclude_kinds)))
        self._lock = threading.Lock()
        self._index = ChunkIndex.from_collection(collection)
        self._sentences = self._embed_sentences(self._index)

    @property
    def index(self) -> ChunkIndex:
        return self._index

    def refresh(self) -> None:
        """Re-read the collection and swap the new snapshot in atomically."""
        fresh = ChunkIndex.from_collection(self.collection)
        sentences = self._embed_sentences(fresh)
        with self._lock:
            self._index, self._sentences = fresh, sentences

    def _embed_sentences(self, index: ChunkIndex) -> SentenceMatrix:
        """Every chunk's sentences with their vectors, embedded in one batch up front so that
        evidence selection costs no model call per question."""
        per_chunk = [(c.chunk_id, split_sentences(c.text)) for c in index.chunks]
        flat = [sentence for _, sentences in per_chunk for sentence in sentences]
        vectors = self.embedder.embed(flat) if flat else np.zeros((0, self.embedder.dim))
        spans, start = {}, 0
        for chunk_id, sentences in per_chunk:
            spans[chunk_id] = (start, sentences)
            start += len(sentences)
        return SentenceMatrix(np.asarray(vectors, dtype=np.float32), spans)

    def closest_sentence(self, query_vector: np.ndarray) -> float:
        """The cosine of the corpus sentence closest to `query_vector` (0 for an empty index)."""
        matrix = self._sentences.vectors
        return float(np.max(matrix @ query_vector)) if len(matrix) else 0.0

    def sentences(self, chunk: Chunk) -> tuple[list[str], np.ndarray]:
        """The chunk's sentences and their embeddings (from the snapshot that holds the chunk)."""
        cached = self._sentences.of(chunk.chunk_id)
        if cached is None:  # the chunk belongs to a snapshot swapped out mid-question
            sentences = split_sentences(chunk.text)
            cached = (sentences, self.embedder.embed(sentences))
        return cached

    def retrieve(
        self, question: str, top_k: int, query_vector: np.ndarray | None = None
    ) -> list[Hit]:
        """The `top_k` chunks for `question`, best first."""
        index = self._index
        eligible = [c for c in index.chunks if c.kind not in self.exclude_kinds]
        if not eligible:
            raise IndexNotReadyError(
                "The index is empty: run `career-rag ingest` to load the guides first."
            )
        if query_vector is None:
            query_vector = self.embedder.embed([question])[0]
        dense = self._dense(query_vector, len(eligible))
        keyword = self._keyword(question, index)
        sentence = self._best_sentence(query_vector, eligible)
        fused: dict[str, float] = {}
        rankings = (list(dense), list(keyword), list(sentence))
        for weight, ranking in zip(FUSION_WEIGHTS, rankings, strict=True):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda cid: fused[cid], reverse=True)
        hits = []
        for chunk_id in best:
            chunk = index.by_id.get(chunk_id)
            if chunk is None or chunk.kind in self.exclude_kinds:
                continue  # stored after our snapshot was taken; picked up on the next refresh
            hits.append(Hit(chunk, fused[chunk_id]))
            if len(hits) == top_k:
                break
        return hits

    def _dense(self, query_vector: np.ndarray, eligible: int) -> dict[str, float]:
        """chunk_id -> cosine similarity, best first, from Chroma."""
        where = {store.KIND: {"$nin": list(self.exclude_kinds)}} if self.exclude_kinds else None
        result = self.collection.query(
            query_embeddings=[query_vector.tolist()],
            n_results=min(CANDIDATES, eligible),
            where=where,
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = result["distances"][0]
        return {cid: 1.0 - float(d) for cid, d in zip(ids, distances, strict=True)}

    def _best_sentence(self, query_vector: np.ndarray, eligible: list[Chunk]) -> dict[str, float]:
        """chunk_id -> its best sentence's cosine with the question, best first.

        A chunk vector averages a whole passage; a pinpoint question ("which cloud platform...")
        matches one sentence of it far better than the average.
        """
        table = self._sentences
        similarities = table.vectors @ query_vector if len(table.vectors) else np.zeros(0)
        best: dict[str, float] = {}
        for chunk in eligible:
            start, sentences = table.spans.get(chunk.chunk_id, (0, []))
            if sentences:
                best[chunk.chunk_id] = float(similarities[start : start + len(sentences)].max())
        ranked = sorted(best, key=lambda cid: best[cid], reverse=True)[:CANDIDATES]
        return {cid: best[cid] for cid in ranked}

    def _keyword(self, question: str, index: ChunkIndex) -> dict[str, float]:
        """chunk_id -> BM25 score, best first, for chunks sharing at least one term."""
        tokens = expand_terms([t for t in _keyword_tokens(question) if t not in _BM25_SKIP])
        if not tokens or index.bm25 is None:
            return {}
        k = min(CANDIDATES + len(self.exclude_kinds) * 10, len(index.chunks))
        docs, scores = index.bm25.retrieve([tokens], k=k, show_progress=False)
        out: dict[str, float] = {}
        for position, score in zip(docs[0], scores[0], strict=True):
            chunk = index.chunks[int(position)]
            if score > 0 and chunk.kind not in self.exclude_kinds:
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
