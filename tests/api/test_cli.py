"""`career-rag serve` arguments and the request id in every log line of a request."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli import LOG_FORMAT, add_arguments
from api.middleware import RequestIdLogFilter


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
