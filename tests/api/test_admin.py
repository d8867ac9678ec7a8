"""`POST /ingest`: the admin token (missing, wrong, right, not configured) and the re-ingest."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.schemas import IngestSummary
from tests.api.conftest import ADMIN_TOKEN, FakeAssistant, FakeIngest, LiveServer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_right_token_reingests_and_refreshes(
    client: TestClient, fake_ingest: FakeIngest, fake_assistant: FakeAssistant
) -> None:
    response = client.post("/ingest", headers=bearer(ADMIN_TOKEN))
    assert response.status_code == 200
    assert (
        response.json() == IngestSummary(added=1, unchanged=3, chunks=42, seconds=0.5).model_dump()
    )
    assert len(fake_ingest.calls) == 1
    assert fake_ingest.calls[0]["embedder"] is fake_assistant.embedder
    assert fake_assistant.refreshed == 1


def test_missing_token_is_401(client: TestClient, fake_ingest: FakeIngest) -> None:
    response = client.post("/ingest")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["error"]["message"]
    assert fake_ingest.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        bearer("wrong"),
        bearer(ADMIN_TOKEN + "x"),
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": ADMIN_TOKEN},
    ],
)
def test_wrong_token_is_401(
    client: TestClient, fake_ingest: FakeIngest, headers: dict[str, str]
) -> None:
    response = client.post("/ingest", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "unauthorized"
    assert ADMIN_TOKEN not in response.text
    assert fake_ingest.calls == []


def test_no_configured_token_is_403_saying_how_to_enable(
    make_app: Callable[..., FastAPI], fake_ingest: FakeIngest
) -> None:
    with TestClient(make_app(admin_token=None)) as client:
        response = client.post("/ingest", headers=bearer("anything"))
    assert response.status_code == 403
    assert "CAREER_RAG_ADMIN_TOKEN" in response.json()["error"]["message"]
    assert fake_ingest.calls == []


def test_queries_keep_answering_during_a_reingest(
    api_settings: Settings, fake_assistant: FakeAssistant
) -> None:
    """While an ingest is running, /chat and /search answer; a second ingest gets 409."""
    from api.app import create_app

    started, release = threading.Event(), threading.Event()

    def slow_ingest(settings: Settings, **kwargs: Any) -> IngestSummary:
        started.set()
        assert release.wait(10)
        return IngestSummary(unchanged=4)

    server = LiveServer(create_app(api_settings, lambda _s: fake_assistant, slow_ingest)).start()
    try:
        import httpx

        results: dict[str, int] = {}

        def run_ingest() -> None:
            r = httpx.post(f"{server.url}/ingest", headers=bearer(ADMIN_TOKEN), timeout=15)
            results["ingest"] = r.status_code

        worker = threading.Thread(target=run_ingest)
        worker.start()
        assert started.wait(10)
        chat = httpx.post(f"{server.url}/chat", json={"question": "hi"}, timeout=5)
        search = httpx.get(f"{server.url}/search", params={"q": "models"}, timeout=5)
        second = httpx.post(f"{server.url}/ingest", headers=bearer(ADMIN_TOKEN), timeout=5)
        release.set()
        worker.join(15)
        assert (chat.status_code, search.status_code) == (200, 200)
        assert second.status_code == 409
        assert results["ingest"] == 200
        assert fake_assistant.refreshed == 1
    finally:
        release.set()
        server.stop()
