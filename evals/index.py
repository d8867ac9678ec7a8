"""The eval's view of the index: build it when missing, read back every stored chunk, and
read the articles themselves.

Citations are checked against the chunks exactly as stored; in hard mode the FAQ chunks are
left out here too, so citing one counts as invalid. Quoted text in answers is checked against
the articles, since a chunk may hold text the article does not (a table's labels). Ingestion
itself is `ingest`'s job.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from evals.metrics import StoredChunk
from rag.config import Settings
from rag.embedding import Embedder
from rag.manifest import read_manifest
from rag.store import DOC_ID, KIND, open_collection, open_manifest, read_all


def ensure_index(
    settings: Settings,
    embedder: Embedder,
    console: Console | None = None,
    ranker: Embedder | None = None,
) -> None:
    """Ingest the corpus into the data dir when the collection is empty, or when the index lacks
    the configured ranking encoder's vectors (then only those are added)."""
    from ingest.pipeline import ingest_corpus

    if open_collection(settings).count():
        manifest = read_manifest(open_manifest(settings))
        if manifest is None or manifest.ranker == settings.ranker_name:
            return
        if console:
            console.print(f"adding the {settings.ranker} ranker's vectors to the index ...")
    elif console:
        console.print(f"index empty: ingesting {settings.corpus_dir} ...")
    ingest_corpus(settings, embedder=embedder, ranker=ranker)


def index_chunks(settings: Settings, collection: Any | None = None) -> dict[str, StoredChunk]:
    """Every stored chunk by id (FAQ chunks left out when `settings.exclude_faq`)."""
    collection = collection or open_collection(settings)
    got = read_all(collection, ["documents", "metadatas"])
    chunks = {}
    for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
        meta = meta or {}
        kind = str(meta.get(KIND, "section"))
        if settings.exclude_faq and kind == "faq":
            continue
        chunks[cid] = StoredChunk(cid, str(meta.get(DOC_ID, "")), text or "", kind)
    return chunks


def article_texts(settings: Settings) -> dict[str, str]:
    """Each article's text as a reader sees it, by doc id: what a quote must be verbatim from.

    A `.txt` article is its file; a Markdown or HTML article is the visible text of its outline.
    An article that cannot be read now maps to nothing, so quotes of it count as unchecked.
    """
    from ingest.formats import outline_of
    from ingest.loader import load_corpus

    texts = {}
    for article in load_corpus(settings.corpus_dir).articles:
        if article.fmt == "txt":
            texts[article.doc_id] = article.text
        else:
            lines = outline_of(article.fmt, article.text).lines
            texts[article.doc_id] = "\n".join(line.text for line in lines)
    return texts
