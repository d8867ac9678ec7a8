"""Markdown and HTML articles through the whole ingest: real embedded Chroma in tmp_path, and
the CLI with the real model, asked a question answered from the Markdown article."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import ingest_corpus
from rag.config import Settings
from rag.store import DOC_ID, KIND
from tests.fakes import FakeEmbedder
from tests.ingest.conftest import snapshot

ARTICLES = Path(__file__).parent / "articles"


@pytest.fixture
def mixed_settings(settings: Settings) -> Settings:
    """The real corpus copy plus one Markdown and one HTML article."""
    for name in ("skills-guide.md", "hiring-notes.html"):
        shutil.copy(ARTICLES / name, settings.corpus_dir)
    return settings


def test_markdown_and_html_articles_are_ingested_beside_the_txt_ones(
    mixed_settings: Settings,
) -> None:
    summary = ingest_corpus(mixed_settings, embedder=FakeEmbedder())
    assert (summary.added, summary.errors) == (6, [])
    records = snapshot(mixed_settings).values()
    kinds = {
        doc: sorted(m[KIND] for _, m, _ in records if m[DOC_ID] == doc)
        for doc in (
            "skills-guide",
            "hiring-notes",
        )
    }
    assert kinds == {doc: ["faq", "faq", "section", "table"] for doc in kinds}
    again = ingest_corpus(mixed_settings, embedder=FakeEmbedder())
    assert (again.unchanged, again.added, again.updated) == (6, 0, 0)


def test_bad_markdown_and_html_files_are_reported_and_the_index_stays_intact(
    mixed_settings: Settings,
) -> None:
    ingest_corpus(mixed_settings, embedder=FakeEmbedder())
    before = snapshot(mixed_settings)
    corpus = mixed_settings.corpus_dir
    (corpus / "hiring-notes.html").write_bytes("<p>Caf\xe9</p>".encode("latin-1"))  # was fine
    (corpus / "only-images.md").write_text("![diagram](d.png)\n")
    (corpus / "too-deep.html").write_text("<div>" * 5000 + "x" + "</div>" * 5000)
    (corpus / "skills-guide.txt").write_text("Skills\nA clash with skills-guide.md.\n")

    summary = ingest_corpus(mixed_settings, embedder=FakeEmbedder())

    assert (summary.unchanged, summary.added, summary.updated, summary.deleted) == (4, 0, 0, 0)
    assert snapshot(mixed_settings) == before  # both old articles keep their chunks
    assert len(summary.errors) == 4
    for name, reason in [
        ("hiring-notes.html", "not UTF-8"),
        ("only-images.md", "no visible text"),
        ("too-deep.html", "cannot parse the html"),
        ("skills-guide.md, skills-guide.txt", "share the doc_id"),
    ]:
        assert any(name in e and reason in e for e in summary.errors), (name, summary.errors)


def test_an_article_behind_an_escaping_symlink_never_reaches_the_index(
    mixed_settings: Settings, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nThe vault code is 4711 and stays private.\n")
    (mixed_settings.corpus_dir / "secret.md").symlink_to(secret)
    summary = ingest_corpus(mixed_settings, embedder=FakeEmbedder())
    assert summary.added == 6
    assert any("secret.md" in e and "outside the corpus folder" in e for e in summary.errors)
    assert not any("4711" in doc for doc, _, _ in snapshot(mixed_settings).values())


def _run(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "career_rag", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=420,
        check=False,
    )


@pytest.mark.real
def test_cli_ingests_markdown_and_html_then_answers_from_markdown_with_a_verbatim_quote(
    tmp_path: Path, corpus_copy: Path
) -> None:
    for name in ("skills-guide.md", "hiring-notes.html"):
        shutil.copy(ARTICLES / name, corpus_copy)
    data = tmp_path / "data"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CAREER_RAG_LLM": "none"}
    env.pop("CAREER_RAG_CHROMA_URL", None)

    ingest = _run(
        "ingest", "--corpus", str(corpus_copy), "--data-dir", str(data), "--json", env=env
    )
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["added"] == 6

    ask = _run(
        "ask",
        "--local",
        "--llm",
        "none",
        "--json",
        "--data-dir",
        str(data),
        "Do AI engineers usually train their own models, or adapt pre-trained ones?",
        env=env,
    )
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert not answer["refused"], answer
    from_markdown = [c for c in answer["citations"] if c["doc_id"] == "skills-guide"]
    assert from_markdown, answer["citations"]
    source = (ARTICLES / "skills-guide.md").read_text(encoding="utf-8")
    visible = " ".join(source.replace("**", "").split())
    for citation in from_markdown:
        assert citation["title"] == "Skills for AI Engineers: A Field Guide"
        quote = " ".join(citation["quote"].split())
        assert quote and quote in visible, quote
        assert "**" not in citation["quote"] and "&amp;" not in citation["quote"]
