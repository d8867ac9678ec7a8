"""A hostile or careless corpus folder: links out of it, clashing names, huge files, huge folders,
and Markdown/HTML files that cannot be used. Each is refused with a message saying which and why,
without reading outside the folder and in bounded time."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ingest.loader import CorpusLimits, load_corpus
from rag.errors import CorpusError

ARTICLES = Path(__file__).parent / "articles"
SECRET = "The launch code is 0000 and nobody outside may read it."


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A corpus folder with one Markdown and one HTML article, and a secret file beside it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("skills-guide.md", "hiring-notes.html"):
        shutil.copy(ARTICLES / name, corpus)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"# Secret\n\n{SECRET}\n")
    return corpus


def test_symlinks_leading_outside_the_folder_are_skipped_with_a_warning(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "relative.md").symlink_to(Path("..") / "outside" / "secret.md")
    (folder / "absolute.md").symlink_to(folder.parent / "outside" / "secret.md")
    (folder / "inside.md").symlink_to(folder / "skills-guide.md")  # stays in: allowed
    corpus = load_corpus(folder)
    assert {a.doc_id for a in corpus.articles} == {"skills-guide", "hiring-notes", "inside"}
    assert all(SECRET not in a.text for a in corpus.articles)
    assert {"relative", "absolute"}.isdisjoint(corpus.present)  # their old chunks get deleted
    assert len(corpus.errors) == 2
    assert all("symbolic link to a file outside the corpus folder" in e for e in corpus.errors)
    assert sum("outside the corpus folder" in r.getMessage() for r in caplog.records) == 2


def test_a_manifest_linking_outside_the_folder_is_refused(folder: Path) -> None:
    (folder.parent / "outside" / "sources.json").write_text("{}")
    (folder / "sources.json").symlink_to(folder.parent / "outside" / "sources.json")
    with pytest.raises(CorpusError, match="links outside the corpus folder"):
        load_corpus(folder)


def test_a_corpus_folder_reached_through_dot_dot_is_read_as_itself(folder: Path) -> None:
    roundabout = folder / ".." / "outside" / ".." / folder.name
    corpus = load_corpus(roundabout)
    assert {a.doc_id for a in corpus.articles} == {"skills-guide", "hiring-notes"}
    assert corpus.errors == []


def test_two_files_with_the_same_stem_are_both_refused_naming_each(folder: Path) -> None:
    (folder / "skills-guide.txt").write_text("Skills\nA plain text version of the guide.\n")
    corpus = load_corpus(folder)
    assert [a.doc_id for a in corpus.articles] == ["hiring-notes"]
    assert "skills-guide" in corpus.present  # whatever was ingested under it is kept
    (message,) = corpus.errors
    assert "skills-guide.md" in message and "skills-guide.txt" in message
    assert "share the doc_id 'skills-guide'" in message


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("latin1.html", "<p>Caf\xe9 cr\xe8me</p>".encode("latin-1"), "not UTF-8"),
        ("images.md", b"![a diagram](diagram.png)\n\n<!-- a comment -->\n", "no visible text"),
        ("scripts.html", b"<html><script>var a = 1;</script><p hidden>x</p></html>", "no visible"),
        ("deep.html", b"<div>" * 5000 + b"text" + b"</div>" * 5000, "cannot parse the html"),
        ("nul.md", b"# Title\x00\x00", "binary file"),
    ],
)
def test_a_bad_markdown_or_html_file_is_reported_by_name_and_reason_and_skipped(
    folder: Path, name: str, content: bytes, reason: str
) -> None:
    (folder / name).write_bytes(content)
    corpus = load_corpus(folder)
    assert {a.doc_id for a in corpus.articles} == {"skills-guide", "hiring-notes"}
    (message,) = corpus.errors
    assert str(folder / name) in message and reason in message


def test_a_50_mb_article_is_skipped_at_once_without_being_read(folder: Path) -> None:
    huge = folder / "huge.md"
    with huge.open("wb") as handle:  # sparse: 50 MB long, no disk blocks written
        handle.truncate(50 * 1024 * 1024)
    started = time.perf_counter()
    corpus = load_corpus(folder)
    assert time.perf_counter() - started < 2.0
    assert {a.doc_id for a in corpus.articles} == {"skills-guide", "hiring-notes"}
    (message,) = corpus.errors
    assert "huge.md" in message and "52,428,800 bytes" in message
    assert "CAREER_RAG_MAX_ARTICLE_BYTES" in message
    assert "huge" in corpus.present


def test_the_article_size_limit_is_a_setting(folder: Path) -> None:
    size = (folder / "hiring-notes.html").stat().st_size
    corpus = load_corpus(folder, CorpusLimits(max_article_bytes=size - 1))
    assert [a.doc_id for a in corpus.articles] == ["skills-guide"]
    assert "over the limit" in corpus.errors[0]


def test_a_folder_of_10000_files_fails_at_once_with_the_limit_named(tmp_path: Path) -> None:
    for n in range(10_000):
        (tmp_path / f"article-{n:05d}.md").write_text(f"# Article {n}\n\nBody {n}.\n")
    started = time.perf_counter()
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path)  # default limit: 5,000 files
    assert time.perf_counter() - started < 5.0
    assert "more than 5,000 article files" in str(info.value)
    assert "CAREER_RAG_MAX_CORPUS_FILES" in str(info.value)


def test_a_folder_within_a_raised_file_limit_is_read_whole(tmp_path: Path) -> None:
    for n in range(2_000):
        (tmp_path / f"article-{n:05d}.md").write_text(f"# Article {n}\n\nBody {n}.\n")
    corpus = load_corpus(tmp_path, CorpusLimits(max_files=2_000))
    assert len(corpus.articles) == 2_000 and corpus.errors == []
    with pytest.raises(CorpusError, match="more than 1,999 article files"):
        load_corpus(tmp_path, CorpusLimits(max_files=1_999))


def test_a_folder_over_the_total_size_limit_fails_before_reading_anything(folder: Path) -> None:
    total = sum(p.stat().st_size for p in folder.iterdir())
    with pytest.raises(CorpusError, match="CAREER_RAG_MAX_CORPUS_BYTES"):
        load_corpus(folder, CorpusLimits(max_total_bytes=total - 1))
    assert len(load_corpus(folder, CorpusLimits(max_total_bytes=total)).articles) == 2


def test_special_files_are_not_read(folder: Path) -> None:
    os.mkfifo(folder / "pipe.md")  # reading a FIFO would block forever
    started = time.perf_counter()
    corpus = load_corpus(folder)
    assert time.perf_counter() - started < 2.0
    (message,) = corpus.errors
    assert "pipe.md" in message and "not a regular file" in message
