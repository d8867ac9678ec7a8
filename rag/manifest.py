"""The manifest: one small Chroma record naming the index's current generation.

Ingest publishes a generation by upserting this record last, after the generation's directory
and every vector it needs are written, so a reader sees either the old generation or the new
one, never half of one. It also carries what start-up and the refusal text need without a
scan: each article's title, publisher, chunk count and hashes, the corpus-wide common terms and
the words only one article's title has. Readers poll `current_generation` (a one-id get) to
notice a new generation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

RECORD_ID = "current"
_GENERATION = "generation"
# Chroma stores vectors with every record; the manifest needs none, so it gets a constant one.
_PLACEHOLDER_VECTOR = [1.0]


@dataclass(frozen=True)
class ArticleRecord:
    """One ingested article as the manifest lists it."""

    doc_id: str
    title: str
    publisher: str | None
    chunks: int
    content_hash: str  # of the file's text
    ingested_at: str
    record_hash: str = ""  # the ingest record's hash (text, title, index version)


@dataclass(frozen=True)
class Manifest:
    generation: int
    directory: str  # the generation's folder name under the generations dir
    index_version: str
    articles: dict[str, ArticleRecord] = field(default_factory=dict)
    common_terms: list[str] = field(default_factory=list)
    source_words: dict[str, list[str]] = field(default_factory=dict)  # doc_id -> own words
    acronyms: dict[str, str] = field(default_factory=dict)  # acronym -> long form the corpus gives
    # The ranking encoder whose vectors of every sentence are stored (`Settings.ranker`), if any.
    ranker: str | None = None

    @property
    def chunk_count(self) -> int:
        return sum(a.chunks for a in self.articles.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        articles = {k: ArticleRecord(**v) for k, v in data.pop("articles", {}).items()}
        return cls(articles=articles, **data)


def current_generation(collection: Any) -> int | None:
    """The published generation number, or None before the first publish (one-id lookup)."""
    got = collection.get(ids=[RECORD_ID], include=["metadatas"])
    if not got["ids"]:
        return None
    return int((got["metadatas"][0] or {}).get(_GENERATION, 0))


def read_manifest(collection: Any) -> Manifest | None:
    """The published manifest, or None before the first publish."""
    got = collection.get(ids=[RECORD_ID], include=["documents"])
    if not got["ids"] or not got["documents"][0]:
        return None
    return Manifest.from_json(got["documents"][0])


def publish(collection: Any, manifest: Manifest) -> None:
    """Make `manifest` the current one in a single upsert (readers switch on their next poll)."""
    collection.upsert(
        ids=[RECORD_ID],
        embeddings=[_PLACEHOLDER_VECTOR],
        documents=[manifest.to_json()],
        metadatas=[{_GENERATION: manifest.generation}],
    )
