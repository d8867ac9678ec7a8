"""Reads the corpus folder: the manifest (title, publisher per doc_id) and each article's text.

Articles are `.txt`, `.md`/`.markdown` and `.html`/`.htm` files (`ingest.formats`); `doc_id` is
the file name without its extension, so two files with the same stem are both refused. A bad
article (empty, binary, not UTF-8, unparseable markup, no visible text, over the size limit,
unreadable) is reported and skipped, never fatal: the caller keeps its previously ingested
chunks, because the file is still there. Nothing outside the folder is read: a symbolic link
that resolves outside it is skipped with a warning and counts as absent.

Only a missing folder, a broken manifest, a folder over the file-count or total-size limit
(checked before any article is read, so a huge folder fails at once), or a folder where no
article can be read raises `CorpusError`. Chunking and storage are left to `ingest.splitter` and
`ingest.pipeline`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from ingest.formats import FORMATS, Format, format_of, outline_of
from rag.config import Settings
from rag.errors import CorpusError

MANIFEST = "sources.json"
ARTICLE_GLOB = "*.txt"  # kept for callers that list plain-text articles; see FORMATS
MAX_TITLE_CHARS = 200

logger = logging.getLogger(__name__)
logging.getLogger("ingest").addHandler(logging.NullHandler())  # the CLI prints errors itself


@dataclass(frozen=True)
class CorpusLimits:
    """Bounds on what one ingest reads; see `rag.config.Settings` for the defaults."""

    max_article_bytes: int = 5_000_000
    max_files: int = 5_000
    max_total_bytes: int = 200_000_000

    @classmethod
    def from_settings(cls, settings: Settings) -> CorpusLimits:
        return cls(
            max_article_bytes=settings.max_article_bytes,
            max_files=settings.max_corpus_files,
            max_total_bytes=settings.max_corpus_bytes,
        )


@dataclass(frozen=True)
class Article:
    """One readable article; `doc_id` is its file name without the extension."""

    doc_id: str
    path: Path
    text: str  # the file's text, markup included: the splitter parses it by `fmt`
    title: str
    publisher: str  # "" when unknown: Chroma metadata cannot hold None
    fmt: Format = "txt"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class Corpus:
    """What the folder holds: readable articles, messages for bad files, every doc_id present."""

    articles: list[Article] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # includes unreadable files: keep their chunks

    def skip(self, message: str) -> None:
        logger.warning("%s", message)
        self.errors.append(message)


def load_corpus(folder: Path, limits: CorpusLimits | None = None) -> Corpus:
    """Load every article of `folder` with its manifest entry.

    Raises CorpusError when the folder is missing, the manifest is malformed or outside the
    folder, the folder holds no article or more than the limits allow, or none of its articles
    can be read.
    """
    limits = limits or CorpusLimits()
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    root = folder.resolve()
    manifest_path = folder / MANIFEST
    if manifest_path.is_symlink() and not _inside(manifest_path, root):
        raise CorpusError(f"{manifest_path}: the manifest links outside the corpus folder")
    manifest = read_manifest(manifest_path)
    paths = article_paths(folder, limits.max_files)
    if not paths:
        kinds = ", ".join(f"*{suffix}" for suffix in FORMATS)
        raise CorpusError(f"no articles ({kinds}) in corpus folder {folder}")
    corpus = Corpus()
    sizes = _sizes(paths, root, limits, corpus)
    total = sum(sizes.values())
    if total > limits.max_total_bytes:
        raise CorpusError(
            f"corpus folder {folder} holds {total:,} bytes of articles, over the limit of "
            f"{limits.max_total_bytes:,} (CAREER_RAG_MAX_CORPUS_BYTES); nothing was read"
        )
    for path in paths:
        if path not in sizes:
            continue  # already reported by _sizes
        fmt = format_of(path.suffix) or "txt"
        try:
            text = read_article_text(path, max_bytes=limits.max_article_bytes)
            own_title = _own_title(path, text, fmt)
        except CorpusError as exc:
            corpus.skip(str(exc))
            continue
        entry = manifest.get(path.stem, {})
        corpus.articles.append(
            Article(
                doc_id=path.stem,
                path=path,
                text=text,
                title=str(entry.get("title") or own_title),
                publisher=str(entry.get("publisher") or ""),
                fmt=fmt,
            )
        )
    if not corpus.articles:
        details = "; ".join(corpus.errors)
        raise CorpusError(f"no article in {folder} could be read: {details}")
    return corpus


def article_paths(folder: Path, max_files: int) -> list[Path]:
    """The folder's article files by name; CorpusError as soon as there are more than
    `max_files` (the scan stops there, so a folder of a million files fails at once)."""
    paths: list[Path] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if format_of(os.path.splitext(entry.name)[1]) is None:
                continue
            paths.append(folder / entry.name)
            if len(paths) > max_files:
                raise CorpusError(
                    f"corpus folder {folder} holds more than {max_files:,} article files "
                    "(CAREER_RAG_MAX_CORPUS_FILES); nothing was read"
                )
    return sorted(paths)


def _sizes(paths: list[Path], root: Path, limits: CorpusLimits, corpus: Corpus) -> dict[Path, int]:
    """Size of each article that may be read; reports (and leaves out) every one that may not."""
    by_stem: dict[str, list[Path]] = {}
    for path in paths:
        by_stem.setdefault(path.stem, []).append(path)
    sizes: dict[Path, int] = {}
    for path in paths:
        same_stem = by_stem[path.stem]
        if not _inside(path, root):
            corpus.skip(f"{path}: skipped, a symbolic link to a file outside the corpus folder")
            continue
        corpus.present.add(path.stem)  # from here on, a skipped file keeps its old chunks
        if len(same_stem) > 1:
            if path == same_stem[0]:
                names = ", ".join(p.name for p in same_stem)
                corpus.skip(
                    f"{path.parent}: skipped {names}: they share the doc_id {path.stem!r}; "
                    "rename or remove all but one"
                )
            continue
        try:
            stat = path.stat()
        except OSError as exc:
            corpus.skip(f"{path}: skipped, cannot read the file ({exc.strerror or exc})")
            continue
        if not path.is_file():
            corpus.skip(f"{path}: skipped, cannot read the file (not a regular file)")
        elif stat.st_size > limits.max_article_bytes:
            corpus.skip(_too_big(path, stat.st_size, limits.max_article_bytes))
        else:
            sizes[path] = stat.st_size
    return sizes


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every symbolic link followed, stays inside `root`."""
    return path.resolve().is_relative_to(root)


def _too_big(path: Path, size: int | None, limit: int) -> str:
    measured = f"{size:,} bytes" if size is not None else "the file grew"
    return (
        f"{path}: skipped, {measured}: over the limit of {limit:,} bytes per article "
        "(CAREER_RAG_MAX_ARTICLE_BYTES)"
    )


def _own_title(path: Path, text: str, fmt: Format) -> str:
    """The title an article gives itself: for Markdown and HTML the one its markup declares
    (front matter, `<title>`, first level-1 heading), else its first line of visible text."""
    if fmt == "txt":
        return first_line(text)
    try:
        outline = outline_of(fmt, text)
    except Exception as exc:  # a parser bug or a nesting too deep must not stop the ingest
        raise CorpusError(
            f"{path}: skipped, cannot parse the {fmt} ({type(exc).__name__}: {exc})"
        ) from exc
    if not outline.lines:
        raise CorpusError(f"{path}: skipped, no visible text once the {fmt} markup is removed")
    title = outline.title or outline.lines[0].text
    return title[:MAX_TITLE_CHARS]


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


def read_article_text(path: Path, max_bytes: int | None = None) -> str:
    """The article's text with Unix line endings; CorpusError naming the file when unusable.

    At most `max_bytes` are read, so a file that grew after it was measured cannot exhaust
    memory; the final path component must not be a symbolic link by then (`O_NOFOLLOW` on the
    resolved path), so a link swapped in after the folder check is not followed.
    """
    try:
        fd = os.open(path.resolve(), os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(-1 if max_bytes is None else max_bytes + 1)
    except OSError as exc:
        raise CorpusError(f"{path}: skipped, cannot read the file ({exc.strerror or exc})") from exc
    if max_bytes is not None and len(raw) > max_bytes:
        raise CorpusError(_too_big(path, None, max_bytes))
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
