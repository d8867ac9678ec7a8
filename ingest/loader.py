"""Reads the corpus folder: the manifest (title, publisher per doc_id) and each article's text.

A bad article (empty, binary, not UTF-8, unreadable) is reported and skipped, never fatal: the
caller keeps its previously ingested chunks, because the file is still there. Only a missing
folder, a broken manifest, or a folder where no article can be read raises `CorpusError`.
Chunking and storage are left to `ingest.splitter` and `ingest.pipeline`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import CorpusError

MANIFEST = "sources.json"
ARTICLE_GLOB = "*.txt"
MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Article:
    """One readable article; `doc_id` is its file name without the extension."""

    doc_id: str
    path: Path
    text: str
    title: str
    publisher: str  # "" when unknown: Chroma metadata cannot hold None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class Corpus:
    """What the folder holds: readable articles, messages for bad files, every doc_id present."""

    articles: list[Article] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # includes unreadable files: keep their chunks


def load_corpus(folder: Path) -> Corpus:
    """Load every `*.txt` article of `folder` with its manifest entry.

    Raises CorpusError when the folder is missing, the manifest is malformed, the folder holds
    no article, or none of its articles can be read.
    """
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    manifest = read_manifest(folder / MANIFEST)
    paths = sorted(folder.glob(ARTICLE_GLOB))
    if not paths:
        raise CorpusError(f"no articles ({ARTICLE_GLOB}) in corpus folder {folder}")
    corpus = Corpus()
    for path in paths:
        corpus.present.add(path.stem)
        try:
            text = read_article_text(path)
        except CorpusError as exc:
            corpus.errors.append(str(exc))
            continue
        entry = manifest.get(path.stem, {})
        corpus.articles.append(
            Article(
                doc_id=path.stem,
                path=path,
                text=text,
                title=str(entry.get("title") or first_line(text)),
                publisher=str(entry.get("publisher") or ""),
            )
        )
    if not corpus.articles:
        details = "; ".join(corpus.errors)
        raise CorpusError(f"no article in {folder} could be read: {details}")
    return corpus


def read_manifest(path: Path) -> dict[str, dict[str, object]]:
    """doc_id -> {"title", "publisher", …}; an absent manifest is an empty one."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read the manifest: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise CorpusError(f"{path}: the manifest must map each doc_id to an object")
    return data


def read_article_text(path: Path) -> str:
    """The article's text with Unix line endings; CorpusError naming the file when unusable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: skipped, cannot read the file ({exc.strerror or exc})") from exc
    if b"\x00" in raw:
        raise CorpusError(f"{path}: skipped, binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")  # tolerate a byte-order mark from Windows editors
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path}: skipped, not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from exc
    if not text.strip():
        raise CorpusError(f"{path}: skipped, the file is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def first_line(text: str) -> str:
    """The first non-blank line, whitespace-normalised: the title of an article without one."""
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:MAX_TITLE_CHARS]
    return ""
