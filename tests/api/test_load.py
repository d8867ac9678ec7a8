"""`benchmarks.load`, bounded: a few clients for a few seconds against a real server.

The full run (16 and 64 clients, the local model) is a benchmark with its figures in
docs/reliability.md; here the driver itself is checked, and the server is shown to answer every
request of the mix under concurrent load.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from api.app import create_app
from benchmarks.load import ROUTES, main, run_level
from rag.config import Settings
from tests.api.conftest import LiveServer


@pytest.fixture
def always_busy() -> Iterator[LiveServer]:
    """A server that answers every request with 503 and `Retry-After: 1` (but its probe)."""
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def busy(path: str) -> JSONResponse:
        return JSONResponse({"error": {"type": "busy"}}, 503, headers={"Retry-After": "1"})

    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()


def test_clients_honour_retry_after(always_busy: LiveServer) -> None:
    """Told to come back in 1 s, each client sends about one request a second, not a flood."""
    level = asyncio.run(run_level(always_busy.url, clients=4, duration_s=2.5, seed=0, timeout_s=5))
    assert level.stuck == 0
    assert {r.status for r in level.results} == {503}
    assert 4 <= len(level.results) <= 4 * 3


@pytest.mark.real
def test_short_load_run_answers_every_request(real_settings: Settings, tmp_path: Path) -> None:
    settings = real_settings.model_copy(
        update={"max_concurrent_generations": 1, "max_queued_generations": 1}
    )
    server = LiveServer(create_app(settings), startup_timeout_s=180).start()
    output = tmp_path / "load.json"
    try:
        args = ["--url", server.url, "--clients", "4", "--duration", "4", "--json"]
        assert main([*args, "--output", str(output), "--request-timeout-s", "30"]) == 0
    finally:
        server.stop()
    report = json.loads(output.read_text())
    assert report["idle_answer_ms"] > 0
    (level,) = report["levels"]
    assert level["stuck"] == 0 and not level["errors"]
    assert set(level["status_counts"]) == {"200"}, level["status_counts"]
    assert {name for name, row in level["routes"].items() if row["ok"]} == {n for n, _ in ROUTES}
    assert level["chat_answers"] > 0 and level["throughput_rps"] > 0
    for row in level["routes"].values():
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
