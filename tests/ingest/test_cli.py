"""`career-rag ingest` / `python -m ingest`: output shapes, messages and exit codes."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import career_rag
from ingest.cli import add_arguments, run
from rag.config import Settings, get_settings
from tests.fakes import FakeEmbedder
from tests.ingest.conftest import FailingEmbedder, snapshot

SUMMARY_KEYS = {"added", "updated", "unchanged", "deleted", "chunks", "seconds", "errors"}


@pytest.fixture(autouse=True)
def _no_ranker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads its settings from the environment; these tests are about its output, with
    the fake embedder alone (the ranking encoder has tests of its own)."""
    monkeypatch.setenv("CAREER_RAG_RANKER", "none")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def cli_args(settings: Settings, *extra: str) -> argparse.Namespace:
    return parse("--corpus", str(settings.corpus_dir), "--data-dir", str(settings.data_dir), *extra)


def test_json_flag_prints_exactly_the_summary_object(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(cli_args(settings, "--json"), embedder=FakeEmbedder()) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert set(data) == SUMMARY_KEYS
    assert (data["added"], data["unchanged"], data["errors"]) == (4, 0, [])
    assert isinstance(data["chunks"], int) and isinstance(data["seconds"], float)
    assert run(cli_args(settings, "--json"), embedder=FakeEmbedder()) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 4


def test_without_json_a_one_line_human_summary_is_printed(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(cli_args(settings), embedder=FakeEmbedder()) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("4 added, 0 updated, 0 unchanged, 0 deleted;")
    assert "chunks in the index" in out


def test_bad_file_is_named_on_stderr_and_the_run_still_succeeds(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = settings.corpus_dir / "broken.txt"
    bad.write_bytes(b"\x00\x00")
    assert run(cli_args(settings, "--json"), embedder=FakeEmbedder()) == 0
    captured = capsys.readouterr()
    assert f"ingest: {bad}: skipped, binary file" in captured.err
    assert json.loads(captured.out)["errors"] == [
        f"{bad}: skipped, binary file (contains NUL bytes)"
    ]


def test_missing_corpus_folder_exits_with_the_corpus_error_code(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("--corpus", str(tmp_path / "nope"), "--data-dir", str(settings.data_dir))
    assert run(args, embedder=FakeEmbedder()) == 2
    assert "corpus folder not found" in capsys.readouterr().err


def test_nothing_readable_exits_non_zero(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in settings.corpus_dir.glob("*.txt"):
        path.write_bytes(b"")
    assert run(cli_args(settings), embedder=FakeEmbedder()) == 2
    assert "could be read" in capsys.readouterr().err


def test_every_article_failing_to_embed_exits_non_zero(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    class AlwaysFailing(FailingEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("model unavailable")

    assert run(cli_args(settings), embedder=AlwaysFailing(fail_on=1)) == 1
    assert capsys.readouterr().err.count("not ingested (RuntimeError: model unavailable)") == 4


def test_ctrl_c_exits_130_with_a_message_and_a_consistent_index(
    settings: Settings, clean_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    embedder = FailingEmbedder(fail_on=2, exc=KeyboardInterrupt())
    assert run(cli_args(settings), embedder=embedder) == 130
    assert "interrupted" in capsys.readouterr().err
    assert run(cli_args(settings), embedder=FakeEmbedder()) == 0
    assert run(cli_args(clean_settings), embedder=FakeEmbedder()) == 0
    assert snapshot(settings) == snapshot(clean_settings)


def test_career_rag_ingest_help_lists_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        career_rag.main(["ingest", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--corpus DIR" in out and "--data-dir DIR" in out and "--json" in out
    assert "Incremental" in out
