"""One generation of the index on disk: the chunk table and the saved keyword (BM25) index.

Ingest writes each generation once, into its own folder under the data dir's `generations/`
(written to a temporary name, then renamed), and never changes it afterwards; the manifest in
Chroma says which one is current. Readers open the chunk table read-only (SQLite, looked up by
key, never read whole) and memory-map the BM25 arrays (`bm25s` `load(mmap=True)`), so opening a
generation costs about the same for four articles as for thousands. The chunk table's row
number is the BM25 document number. Vectors stay in Chroma (`rag.store`).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

import bm25s

from rag.text import STOPWORDS, TEXT_NOUNS, content_terms, defined_acronyms, stem, words

CHUNK_TABLE = "chunks.sqlite"
KEYWORD_DIR = "bm25"


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
    ingest_run: str = ""  # the run that wrote its vector (see rag.store.INGEST_RUN)
    sentences: int = 0  # how many sentence records it has (rag.store sentence collection)

    @property
    def text_hash(self) -> str:
        return text_hash(self.text)


_COLUMNS = [f.name for f in fields(Chunk)]


def text_hash(text: str) -> str:
    """The key of a chunk text's sentence records: same text, same sentences, same vectors."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def sentence_ids(chunk: Chunk) -> list[str]:
    """The ids of the chunk's sentence records, in sentence order."""
    key = chunk.text_hash
    return [f"{key}:{i}" for i in range(chunk.sentences)]


def header(chunk: Chunk) -> str:
    """The chunk's context as a reader sees it: article title, publisher, section."""
    return " ".join(p for p in (chunk.title, chunk.publisher or "", chunk.section or "") if p)


def heading_initials(chunk: Chunk) -> set[str]:
    """The initials of the chunk's multi-word headings ("faq" for "Frequently Asked Questions"):
    a reader may name a section by them, so they are known words, not unknown names."""
    initials = set()
    for heading in (chunk.title, *(chunk.section or "").split("·")):
        content = [w for w in words(heading) if w not in STOPWORDS]
        if 2 <= len(content) <= 6:
            initials.add(stem("".join(w[0] for w in content)))
    return initials


def keyword_tokens(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def write_generation(folder: Path, chunks: list[Chunk]) -> set[str]:
    """Write the chunk table and keyword index of `chunks` (in BM25 order) into `folder`.

    Returns the corpus vocabulary (content terms), which the caller summarises in the manifest."""
    folder.mkdir(parents=True)
    vocabulary: set[str] = set()
    tokens = []
    for chunk in chunks:
        vocabulary |= content_terms(header(chunk) + " " + chunk.text) | heading_initials(chunk)
        tokens.append(keyword_tokens(f"{header(chunk)} {chunk.text}"))
    with sqlite3.connect(folder / CHUNK_TABLE) as db:
        columns = ", ".join(_COLUMNS)
        db.execute(f"CREATE TABLE chunks (row INTEGER PRIMARY KEY, {columns}, text_hash TEXT)")
        db.executemany(
            f"INSERT INTO chunks VALUES ({', '.join('?' * (len(_COLUMNS) + 2))})",
            ((row, *astuple(c), c.text_hash) for row, c in enumerate(chunks)),
        )
        db.execute("CREATE UNIQUE INDEX chunk_ids ON chunks (chunk_id)")
        db.execute("CREATE INDEX text_hashes ON chunks (text_hash)")
        db.execute("CREATE TABLE vocabulary (term TEXT PRIMARY KEY) WITHOUT ROWID")
        db.executemany("INSERT INTO vocabulary VALUES (?)", ((t,) for t in sorted(vocabulary)))
    db.close()
    if chunks:
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        bm25.save(str(folder / KEYWORD_DIR), show_progress=False)
    return vocabulary


class Generation:
    """A published generation opened read-only; safe to share between threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        uri = f"{(folder / CHUNK_TABLE).resolve().as_uri()}?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self.count = int(self._one("SELECT COUNT(*) FROM chunks")[0])
        self.bm25 = None
        if self.count:
            self.bm25 = bm25s.BM25.load(
                str(folder / KEYWORD_DIR), mmap=True, show_progress=False, verbosity=0
            )

    def close(self) -> None:
        self._db.close()

    def _one(self, sql: str, *args: object) -> tuple[Any, ...]:
        with self._lock:
            return tuple(self._db.execute(sql, args).fetchone())

    def _rows(self, where: str, keys: list[Any]) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        with self._lock:
            for start in range(0, len(keys), 500):  # SQLite's bound-variable limit
                part = keys[start : start + 500]
                marks = ", ".join("?" * len(part))
                sql = f"SELECT row, {', '.join(_COLUMNS)} FROM chunks WHERE {where} IN ({marks})"
                out.extend(self._db.execute(sql, part).fetchall())
        return out

    def by_rows(self, rows: Iterable[int]) -> dict[int, Chunk]:
        """BM25 document number -> chunk."""
        return {int(r[0]): Chunk(*r[1:]) for r in self._rows("row", list(rows))}

    def by_ids(self, chunk_ids: Iterable[str]) -> dict[str, Chunk]:
        """chunk_id -> chunk, for the ids this generation holds."""
        chunks = (Chunk(*r[1:]) for r in self._rows("chunk_id", list(chunk_ids)))
        return {c.chunk_id: c for c in chunks}

    def by_docs(self, doc_ids: Iterable[str]) -> dict[str, list[Chunk]]:
        """doc_id -> its chunks in this generation, in article order."""
        out: dict[str, list[Chunk]] = {}
        for r in self._rows("doc_id", list(doc_ids)):
            chunk = Chunk(*r[1:])
            out.setdefault(chunk.doc_id, []).append(chunk)
        for chunks in out.values():
            chunks.sort(key=lambda c: c.position)
        return out

    def by_text_hashes(self, hashes: Iterable[str]) -> dict[str, list[Chunk]]:
        """text hash -> this generation's chunks with that text (equal texts share sentences)."""
        out: dict[str, list[Chunk]] = {}
        for r in self._rows("text_hash", list(hashes)):
            chunk = Chunk(*r[1:])
            out.setdefault(chunk.text_hash, []).append(chunk)
        return out

    def sentence_counts(self) -> dict[str, int]:
        """text hash -> sentence records, for every chunk text this generation uses."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT text_hash, sentences FROM chunks").fetchall()
        return {str(h): int(n) for h, n in rows}

    def has_term(self, term: str) -> bool:
        with self._lock:
            found = self._db.execute("SELECT 1 FROM vocabulary WHERE term = ?", (term,))
            return found.fetchone() is not None

    def all_chunks(self) -> Iterator[Chunk]:
        """Every chunk in BM25 order: for tools and evals, never on a request's path."""
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM chunks ORDER BY row")
            got = rows.fetchall()
        for r in got:
            yield Chunk(*r)


class Vocabulary:
    """Membership test against a generation's vocabulary, without loading it."""

    def __init__(self, generation: Generation | None) -> None:
        self._generation = generation

    def __contains__(self, term: object) -> bool:
        return (
            isinstance(term, str)
            and self._generation is not None
            and self._generation.has_term(term)
        )


# Terms in at least this share of chunks say what the whole corpus is about ("engineer", "role"),
# not what one question is about.
COMMON_SHARE = 0.2
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z]+")  # a word as the text writes it in lower case


def common_terms(chunks: list[Chunk]) -> list[str]:
    """Content terms found in COMMON_SHARE of the chunks or more."""
    frequency: dict[str, int] = {}
    for chunk in chunks:
        for term in content_terms(header(chunk) + " " + chunk.text):
            frequency[term] = frequency.get(term, 0) + 1
    return sorted(t for t, n in frequency.items() if n / len(chunks) >= COMMON_SHARE)


def corpus_acronyms(chunks: list[Chunk], common: list[str]) -> dict[str, str]:
    """Acronym -> long form, for each acronym the corpus defines ("Retrieval-Augmented
    Generation (RAG)") that is not one of its everyday terms: a question's "RAG" is spelled out
    for the embedder, which does not know it, while "AI" and "ML" are everywhere already."""
    found: dict[str, str] = {}
    for chunk in chunks:
        for acronym, long_form in defined_acronyms(chunk.text).items():
            found.setdefault(acronym, long_form)
    everyday = set(common)
    return {a: long_form for a, long_form in sorted(found.items()) if stem(a) not in everyday}


def source_words(chunks: list[Chunk]) -> dict[str, list[str]]:
    """doc_id -> words of its title and publisher that no other article's have and that name it:
    a word for a text ("lesson", "newsletter"), or a name ("Egor", "Forge", "definitive"): a word
    no article writes in lower case and no other article uses at all. "Difference" (from "What's
    the Difference?"), "data" (from "Big Blue Data Academy") or "neural" (from "Neural Forge")
    are what passages talk about, and a question using them names no source."""
    naming: dict[str, set[str]] = {}
    lower_case: set[str] = set()
    used_by: dict[str, set[str]] = {}
    for chunk in chunks:
        naming.setdefault(chunk.doc_id, set()).update(
            content_terms(f"{chunk.title} {chunk.publisher or ''}")
        )
        lower_case.update(stem(w) for w in _LOWER_WORD.findall(chunk.text))
        for term in content_terms(chunk.text):
            used_by.setdefault(term, set()).add(chunk.doc_id)
    owners: dict[str, int] = {}
    for own in naming.values():
        for word in own:
            owners[word] = owners.get(word, 0) + 1

    def names(word: str, doc: str) -> bool:
        if owners[word] > 1:
            return False
        return word in TEXT_NOUNS or (word not in lower_case and used_by.get(word, set()) <= {doc})

    return {doc: sorted(w for w in own if names(w, doc)) for doc, own in naming.items()}
