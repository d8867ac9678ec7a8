"""Reading the corpus folder: manifest metadata and each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.loader import load_corpus, read_article_text
from rag.errors import CorpusError


def test_manifest_gives_title_and_publisher_and_none_becomes_empty(corpus_copy: Path) -> None:
    corpus = load_corpus(corpus_copy)
    by_id = {a.doc_id: a for a in corpus.articles}
    assert len(by_id) == 4 and corpus.errors == []
    guide = by_id["ai-engineer-vs-ml-engineer-definitive-2026-guide"]
    assert guide.title == "AI Engineer vs ML Engineer: The Definitive 2026 Career Guide"
    assert guide.publisher == "Big Blue Data Academy"
    assert by_id["ai-engineering-vs-machine-learning-engineering"].publisher == ""


def test_article_missing_from_manifest_takes_its_title_from_the_first_line(
    corpus_copy: Path,
) -> None:
    (corpus_copy / "new-article.txt").write_text("\n  My   New Title \nBody text here.\n")
    article = next(a for a in load_corpus(corpus_copy).articles if a.doc_id == "new-article")
    assert article.title == "My New Title"
    assert article.publisher == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"Title\x00\x01\x02binary", "binary"),
        (b"Title\nCaf\xe9 cr\xe8me\n", "not UTF-8"),
    ],
)
def test_bad_file_is_skipped_with_a_message_naming_it(
    corpus_copy: Path, content: bytes, message: str
) -> None:
    bad = corpus_copy / "bad-file.txt"
    bad.write_bytes(content)
    corpus = load_corpus(corpus_copy)
    assert "bad-file" not in {a.doc_id for a in corpus.articles}
    assert "bad-file" in corpus.present  # still there: its old chunks must be kept
    assert len(corpus.errors) == 1
    assert str(bad) in corpus.errors[0] and message in corpus.errors[0]


def test_unreadable_file_is_skipped_with_a_message_naming_it(corpus_copy: Path) -> None:
    (corpus_copy / "a-folder.txt").mkdir()  # reading it fails even as root
    (corpus_copy / "dangling.txt").symlink_to(corpus_copy / "nowhere")
    corpus = load_corpus(corpus_copy)
    assert {"a-folder", "dangling"} <= corpus.present
    assert len(corpus.errors) == 2
    assert all("cannot read" in e for e in corpus.errors)
    assert len(corpus.articles) == 4


def test_missing_corpus_folder_raises_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="corpus folder not found"):
        load_corpus(tmp_path / "nope")


def test_folder_with_no_readable_article_raises_listing_each_file(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_bytes(b"")
    (tmp_path / "two.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path)
    assert "one.txt" in str(info.value) and "two.txt" in str(info.value)


def test_folder_without_articles_raises(tmp_path: Path) -> None:
    (tmp_path / "sources.json").write_text("{}")
    with pytest.raises(CorpusError, match="no articles"):
        load_corpus(tmp_path)


def test_malformed_manifest_raises_naming_it(corpus_copy: Path) -> None:
    (corpus_copy / "sources.json").write_text("{not json")
    with pytest.raises(CorpusError, match=r"sources\.json"):
        load_corpus(corpus_copy)
    (corpus_copy / "sources.json").write_text(json.dumps({"x": "not an object"}))
    with pytest.raises(CorpusError, match=r"sources\.json"):
        load_corpus(corpus_copy)


def test_windows_line_endings_and_byte_order_mark_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeffTitle\r\nBody.\r\n".encode())
    assert read_article_text(path) == "Title\nBody.\n"
