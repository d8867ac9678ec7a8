"""`career-rag ask`: the question and the index are checked before any model loads, the way to
fix each problem is printed with its exit code, and `--help` shows examples.

Answers from a running server are tested in tests/api/test_cli.py (they need a live server).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import career_rag
from rag.cli import add_arguments, render, run, server_is_up
from rag.config import Settings, get_settings
from rag.schemas import Answer
from rag.store import open_collection
from tests.fakes import FakeEmbedder
from tests.processes import free_port
from tests.rag.conftest import fake_assistant

QUESTION = "What does an ML engineer do day to day?"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


class Factory:
    """Stands in for `Assistant.from_settings`: records the settings it was given."""

    def __init__(self, index: tuple[Settings, FakeEmbedder] | None = None) -> None:
        self.index = index
        self.calls: list[Settings] = []

    def __call__(self, settings: Settings) -> Any:
        self.calls.append(settings)
        assert self.index is not None, "no model may load here"
        return fake_assistant(self.index)


@pytest.fixture
def env_data_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Set CAREER_RAG_DATA_DIR for one test (the settings are cached process-wide)."""

    def set_dir(path: Path) -> None:
        monkeypatch.setenv("CAREER_RAG_DATA_DIR", str(path))
        get_settings.cache_clear()

    yield set_dir
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "question",
    ["", "   \n\t ", "x" * (get_settings().max_question_chars + 1)],
    ids=["empty", "whitespace", "too-long"],
)
def test_blank_or_too_long_question_exits_4_before_the_index_or_a_model(
    question: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = Factory()
    args = parse(question, "--local", "--data-dir", str(tmp_path / "missing"))
    assert run(args, build_assistant=factory) == 4
    err = capsys.readouterr().err
    assert err.startswith("error: The question ")
    assert "empty" in err or "the limit is" in err
    assert "loading" not in err
    assert factory.calls == []


def test_missing_index_exits_3_with_the_ingest_command_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = Factory()
    missing = tmp_path / "missing"
    assert run(parse(QUESTION, "--data-dir", str(missing)), build_assistant=factory) == 3
    err = capsys.readouterr().err
    assert f"No index in {missing}" in err
    assert f"career-rag ingest --data-dir {missing}" in err
    assert not missing.exists()
    assert factory.calls == []


def test_a_relative_data_dir_stays_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(parse(QUESTION, "--data-dir", "state"), build_assistant=Factory()) == 3
    assert "No index in state:" in capsys.readouterr().err
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("kind", ["empty folder", "empty collection"])
def test_an_empty_index_exits_3_saying_how_to_ingest(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if kind == "empty collection":
        open_collection(Settings(data_dir=data))
    factory = Factory()
    assert run(parse(QUESTION, "--local", "--data-dir", str(data)), build_assistant=factory) == 3
    assert "career-rag ingest" in capsys.readouterr().err
    assert factory.calls == []


def test_local_answer_says_what_it_loads_then_prints_the_answer(
    fake_index: tuple[Settings, FakeEmbedder], capsys: pytest.CaptureFixture[str]
) -> None:
    factory = Factory(fake_index)
    data = str(fake_index[0].data_dir)
    assert run(parse(QUESTION, "--json", "--data-dir", data), build_assistant=factory) == 0
    captured = capsys.readouterr()
    assert captured.err == ("loading the embedding model and the local LLM (about 15 s)...\n")
    answer = Answer.model_validate(json.loads(captured.out))
    assert answer.retrieved
    assert [s.data_dir for s in factory.calls] == [fake_index[0].data_dir]


def test_without_a_server_ask_answers_here_after_a_short_probe(
    fake_index: tuple[Settings, FakeEmbedder],
    env_data_dir: Callable[[Path], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    env_data_dir(fake_index[0].data_dir)
    nobody = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    assert not server_is_up(nobody)
    assert time.monotonic() - started < 2
    factory = Factory(fake_index)
    assert run(parse(QUESTION, "--server", nobody), build_assistant=factory) == 0
    captured = capsys.readouterr()
    assert f"no career-rag server at {nobody}; answering here" in captured.err
    assert "Sources:" in captured.out or "Closest passages:" in captured.out
    assert len(factory.calls) == 1


def test_server_with_local_only_options_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = parse(QUESTION, "--server", "http://127.0.0.1:9", "--llm", "none")
    assert run(args, build_assistant=Factory()) == 2
    assert "drop --server" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse(QUESTION, "--server", "http://127.0.0.1:9", "--local")


@pytest.mark.parametrize("command", ["", "ask", "ingest", "serve", "eval"])
def test_help_ends_with_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        career_rag.main([command, "--help"] if command else ["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    examples = out.split("\nexamples:\n", 1)[1]
    lines = [line for line in examples.splitlines() if line.startswith("  career-rag ")]
    assert 2 <= len(lines) <= 3
    if command:
        assert all(line.startswith(f"  career-rag {command}") for line in lines)


def test_render_keeps_the_answers_own_line_breaks() -> None:
    answer = Answer(answer="The guides are 2 articles:\n- First\n- Second", refused=False)
    assert render(answer).splitlines()[:3] == ["The guides are 2 articles:", "- First", "- Second"]
