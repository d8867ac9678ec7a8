"""Generation admission: bounded running + queued, then 503 with Retry-After, never unbounded."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import pytest

from api.limits import GenerationGate
from rag.errors import BusyError
from tests.api.conftest import FakeAssistant, LiveServer


def wait_until_queued(server: LiveServer, waiting: int) -> None:
    gate: GenerationGate = server.app.state.gate
    for _ in range(200):
        if gate.waiting >= waiting:
            return
        threading.Event().wait(0.025)
    raise AssertionError(f"never saw {waiting} queued request(s)")


def test_saturated_server_answers_503_with_retry_after(
    live_server: LiveServer, fake_assistant: FakeAssistant
) -> None:
    """1 running + 1 queued (the test settings); the third request is refused at once."""
    fake_assistant.block = threading.Event()
    url = f"{live_server.url}/chat"
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(httpx.post, url, json={"question": "one"}, timeout=15)
        assert fake_assistant.entered.acquire(timeout=5)  # first is generating
        second = pool.submit(httpx.post, url, json={"question": "two", "stream": True}, timeout=15)
        wait_until_queued(live_server, 1)
        refused = httpx.post(url, json={"question": "three"}, timeout=5)
        fake_assistant.block.set()
        assert first.result().status_code == 200
        assert second.result().status_code == 200
    assert refused.status_code == 503
    assert refused.json()["error"]["type"] == "busy"
    assert int(refused.headers["Retry-After"]) >= 1
    assert "retry" in refused.json()["error"]["message"]
    # Retrieval is not generation: it is never refused by the gate.
    assert httpx.get(f"{live_server.url}/search", params={"q": "x"}, timeout=5).status_code == 200


def test_streaming_requests_count_against_the_limit(
    live_server: LiveServer, fake_assistant: FakeAssistant
) -> None:
    fake_assistant.block = threading.Event()
    url = f"{live_server.url}/chat"
    with ThreadPoolExecutor(max_workers=2) as pool:
        running = pool.submit(httpx.post, url, json={"question": "a", "stream": True}, timeout=15)
        assert fake_assistant.entered.acquire(timeout=5)
        queued = pool.submit(httpx.post, url, json={"question": "b", "stream": True}, timeout=15)
        wait_until_queued(live_server, 1)
        refused = httpx.post(url, json={"question": "c", "stream": True}, timeout=5)
        fake_assistant.block.set()
        assert "event: done" in running.result().text
        assert "event: done" in queued.result().text
    assert refused.status_code == 503
    assert "Retry-After" in refused.headers


def test_gate_bounds_the_wait_in_the_queue() -> None:
    async def main() -> None:
        gate = GenerationGate(max_concurrent=1, max_queued=1, max_wait_s=0.1)
        lease = await gate.acquire()
        with pytest.raises(BusyError) as caught:
            await gate.acquire()  # queued, then gives up after max_wait_s
        assert caught.value.retry_after_s >= 1
        assert (gate.running, gate.waiting) == (1, 0)
        lease.release()
        lease.release()  # idempotent
        async with gate.slot():
            assert gate.running == 1
        assert gate.running == 0

    anyio.run(main)


def test_gate_refuses_at_once_when_the_queue_is_full() -> None:
    async def main() -> None:
        gate = GenerationGate(max_concurrent=1, max_queued=0, max_wait_s=30)
        async with gate.slot():
            with anyio.fail_after(1), pytest.raises(BusyError):
                await gate.acquire()

    anyio.run(main)
