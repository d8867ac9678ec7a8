"""SSE from `POST /chat` with `stream: true`: event order, payloads and mid-stream errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.limits import GenerationGate
from rag.errors import IndexNotReadyError
from rag.schemas import Answer
from tests.api.conftest import FakeAssistant, LiveServer
from tests.api.sse import parse_sse, sse_json


def test_stream_sends_tokens_then_the_verified_answer_then_done(client: TestClient) -> None:
    response = client.post(
        "/chat", json={"question": "What does an AI engineer do?", "stream": True}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_json(response.text)
    names = [name for name, _ in events]
    assert names == ["token", "token", "token", "answer", "done"]
    assert "".join(data["text"] for name, data in events if name == "token") == (
        "AI engineers build products (draft)."
    )
    answer = Answer.model_validate(events[3][1])
    assert answer.answer.startswith("AI engineers build products on foundation models [1].")
    assert [c.n for c in answer.citations] == [1, 2]
    assert events[4][1] == {}


def test_stream_passes_history_to_the_assistant(
    client: TestClient, fake_assistant: FakeAssistant
) -> None:
    client.post(
        "/chat",
        json={
            "question": "And ML engineers?",
            "history": [{"role": "user", "content": "What do AI engineers do?"}],
            "stream": True,
        },
    )
    kind, question, turns, _ = fake_assistant.calls[-1]
    assert (kind, question, [t.content for t in turns]) == (
        "stream",
        "And ML engineers?",
        ["What do AI engineers do?"],
    )


def test_error_mid_stream_becomes_an_error_event_without_details(client: TestClient) -> None:
    response = client.post("/chat", json={"question": "please explode", "stream": True})
    assert response.status_code == 200
    events = sse_json(response.text)
    assert [name for name, _ in events] == ["token", "error"]
    error = events[-1][1]["error"]
    assert error["type"] == "internal_error"
    assert "/internal/path" not in response.text and "RuntimeError" not in response.text


def test_streamed_validation_errors_are_plain_422(client: TestClient) -> None:
    response = client.post("/chat", json={"question": " ", "stream": True})
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "validation_error"


def test_stream_over_a_real_socket_arrives_incrementally(live_server: LiveServer) -> None:
    """Over real HTTP the events arrive as separate SSE frames and end with done."""
    frames: list[str] = []
    with httpx.stream(
        "POST",
        f"{live_server.url}/chat",
        json={"question": "What does an AI engineer do?", "stream": True},
        timeout=10,
    ) as response:
        assert response.headers["x-request-id"]
        for chunk in response.iter_text():
            frames.append(chunk)
    names = [name for name, _ in parse_sse("".join(frames))]
    assert names[-2:] == ["answer", "done"]
    assert names.count("token") == 3


def test_client_disconnect_closes_the_assistant_stream(
    live_server: LiveServer, fake_assistant: FakeAssistant
) -> None:
    """Abandoning a stream closes the generator and frees the slot for the next question."""
    fake_assistant.block_mid_stream = threading.Event()
    with httpx.stream(
        "POST", f"{live_server.url}/chat", json={"question": "hi", "stream": True}, timeout=10
    ) as response:
        assert response.status_code == 200
        assert fake_assistant.mid_stream.wait(5)
    # The client hung up while the assistant was still writing.
    assert not fake_assistant.stream_closed.is_set()
    fake_assistant.block_mid_stream.set()
    assert fake_assistant.stream_closed.wait(5)
    gate: GenerationGate = live_server.app.state.gate
    for _ in range(200):
        if gate.running == 0:
            break
        threading.Event().wait(0.025)
    assert gate.running == 0
    follow_up = httpx.post(f"{live_server.url}/chat", json={"question": "hi"}, timeout=10)
    assert follow_up.status_code == 200


def test_failure_before_the_first_token_is_a_plain_http_error(
    client: TestClient, fake_assistant: FakeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_ready(*args: object, **kwargs: object) -> Iterator[str]:
        raise IndexNotReadyError("The index is empty; run `career-rag ingest`.")
        yield ""  # pragma: no cover - makes this a generator, like the real stream

    monkeypatch.setattr(fake_assistant, "stream", not_ready)
    response = client.post("/chat", json={"question": "hi", "stream": True})
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "index_not_ready"
    gate: GenerationGate = client.app.state.gate  # type: ignore[attr-defined]
    assert (gate.running, gate.waiting) == (0, 0)  # the slot was given back
