"""`career-rag serve` arguments, the request id in every log line of a request, and
`career-rag ask` answered by a running server."""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import LOG_FORMAT, add_arguments
from api.middleware import RequestIdLogFilter
from rag import cli as ask_cli
from rag.config import Settings
from rag.errors import BusyError, CareerRagError, IndexNotReadyError, LLMUnavailableError
from rag.schemas import Answer, Turn
from tests.api.conftest import FakeAssistant, FakeIngest, LiveServer


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_serve_defaults_to_localhost_8000() -> None:
    args = parse()
    assert (args.host, args.port, args.data_dir) == ("127.0.0.1", 8000, None)


def test_serve_accepts_host_port_and_data_dir() -> None:
    args = parse("--host", "0.0.0.0", "--port", "9001", "--data-dir", "state")
    assert (args.host, args.port, args.data_dir) == ("0.0.0.0", 9001, Path("state"))


def test_career_rag_dispatches_serve_to_this_module(capsys: pytest.CaptureFixture[str]) -> None:
    import career_rag

    with pytest.raises(SystemExit) as exited:
        career_rag.main(["serve", "--help"])
    assert exited.value.code == 0
    assert "--port" in capsys.readouterr().out


def test_serve_on_a_taken_port_says_so_at_once_without_loading_anything(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The port is checked before the app (and its models) is built: a clear line, exit 2."""
    import socket

    from api import cli as serve_cli

    built: list[object] = []
    monkeypatch.setattr("api.app.create_app", lambda *a, **k: built.append(a))
    handlers = list(logging.getLogger().handlers)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = time.monotonic()
        code = serve_cli.run(parse("--port", str(port)))
    assert code == 2 and not built
    assert logging.getLogger().handlers == handlers, "nothing was set up before the check"
    assert time.monotonic() - started < 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.addFilter(RequestIdLogFilter())
        self.setFormatter(logging.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_request_id_reaches_logs_also_from_worker_threads(client: TestClient) -> None:
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        client.post("/chat", json={"question": "hi"}, headers={"X-Request-ID": "trace-42"})
        client.post(
            "/chat", json={"question": "hi", "stream": True}, headers={"X-Request-ID": "trace-43"}
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert any("[trace-42]" in line and "fake_assistant" in line for line in handler.lines)
    assert any("[trace-43]" in line and "fake_assistant" in line for line in handler.lines)
    assert any("[trace-42]" in line and "POST /chat -> 200" in line for line in handler.lines)


# -- `career-rag ask` with a server running --------------------------------------------------


def ask_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    ask_cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def no_local_models(settings: Settings) -> None:
    raise AssertionError("a running server must answer without loading models here")


def test_ask_sends_the_question_to_a_running_server(
    live_server: LiveServer, fake_assistant: FakeAssistant, capsys: pytest.CaptureFixture[str]
) -> None:
    question = "What does an AI engineer do?"
    args = ask_args(question, "--server", live_server.url, "--json", "--top-k", "2")
    started = time.monotonic()
    assert ask_cli.run(args, build_assistant=no_local_models) == 0
    assert time.monotonic() - started < 5
    captured = capsys.readouterr()
    answer = Answer.model_validate(json.loads(captured.out))
    assert answer.citations[0].quote == fake_assistant._answer(question, 2).citations[0].quote
    assert fake_assistant.calls == [("ask", question, [], 2)]
    assert captured.err == ""


def test_local_flag_answers_here_even_with_a_server_running(
    live_server: LiveServer,
    fake_assistant: FakeAssistant,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--local` skips the server (here: the local index is missing, so exit 3)."""
    args = ask_args("What does an AI engineer do?", "--local", "--data-dir", str(tmp_path / "x"))
    assert ask_cli.run(args, build_assistant=no_local_models) == 3
    assert fake_assistant.calls == []
    assert "career-rag ingest" in capsys.readouterr().err


class FailingAssistant(FakeAssistant):
    """Raises the given domain error for every question."""

    def __init__(self, error: CareerRagError) -> None:
        super().__init__()
        self.error = error

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int | None = None,
        **options: object,
    ) -> Answer:
        raise self.error  # the quotes-only fallback too, so the error reaches the client


@pytest.fixture(
    params=[IndexNotReadyError("The index is empty."), BusyError(), LLMUnavailableError("down")],
    ids=["index_not_ready", "busy", "llm_unavailable"],
)
def failing_server(
    request: pytest.FixtureRequest, api_settings: Settings, fake_ingest: FakeIngest
) -> Iterator[tuple[LiveServer, CareerRagError]]:
    error = request.param
    app = create_app(api_settings, lambda _s: FailingAssistant(error), fake_ingest)
    server = LiveServer(app).start()
    try:
        yield server, error
    finally:
        server.stop()


def test_server_errors_keep_the_exit_code_of_their_domain_error(
    failing_server: tuple[LiveServer, CareerRagError], capsys: pytest.CaptureFixture[str]
) -> None:
    server, error = failing_server
    args = ask_args("What does an AI engineer do?", "--server", server.url)
    assert ask_cli.run(args, build_assistant=no_local_models) == error.exit_code
    assert capsys.readouterr().err.startswith("error: ")
