"""Generation admission: bounded running + waiting, then the quotes-only answer at once (or 503
with Retry-After for a client that asked to wait), never an unbounded wait."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import pytest

from api.answering import preferred_wait_s
from api.limits import GenerationGate
from rag.errors import BusyError
from tests.api.conftest import FakeAssistant, LiveServer
from tests.api.sse import sse_json


def wait_until_queued(server: LiveServer, waiting: int) -> None:
    gate: GenerationGate = server.app.state.gate
    for _ in range(200):
        if gate.waiting >= waiting:
            return
        threading.Event().wait(0.025)
    raise AssertionError(f"never saw {waiting} queued request(s)")


def test_saturated_server_answers_quotes_only_at_once(
    live_server: LiveServer, fake_assistant: FakeAssistant
) -> None:
    """1 running + 1 waiting (the room for one answer time); the third gets the quotes-only
    answer at once, marked as such, instead of an error."""
    fake_assistant.block = threading.Event()
    url = f"{live_server.url}/chat"
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(httpx.post, url, json={"question": "one"}, timeout=15)
        assert fake_assistant.entered.acquire(timeout=5)  # first is generating
        second = pool.submit(httpx.post, url, json={"question": "two", "stream": True}, timeout=15)
        wait_until_queued(live_server, 1)
        quoted = httpx.post(url, json={"question": "three"}, timeout=5)
        quoted_v1 = httpx.post(
            f"{live_server.url}/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "four"}]},
            timeout=5,
        )
        fake_assistant.block.set()
        assert first.result().status_code == 200
        assert first.result().json()["fallback"] is None
        assert second.result().status_code == 200
    assert quoted.status_code == 200
    assert quoted.json()["fallback"] == "generator_busy"
    assert quoted.json()["citations"]
    assert quoted_v1.status_code == 200
    assert quoted_v1.json()["fallback"] == "generator_busy"
    assert quoted_v1.json()["choices"][0]["message"]["content"]
    # Retrieval is not generation: it is never refused by the gate.
    assert httpx.get(f"{live_server.url}/search", params={"q": "x"}, timeout=5).status_code == 200


def test_client_that_asks_to_wait_gets_503_with_retry_after(
    live_server: LiveServer, fake_assistant: FakeAssistant
) -> None:
    """`Prefer: wait=N` queues for the model; with the queue full that is a 503, not quotes."""
    fake_assistant.block = threading.Event()
    url = f"{live_server.url}/chat"
    wait = {"Prefer": "wait=10"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(httpx.post, url, json={"question": "one"}, timeout=15)
        assert fake_assistant.entered.acquire(timeout=5)
        second = pool.submit(httpx.post, url, json={"question": "two"}, headers=wait, timeout=15)
        wait_until_queued(live_server, 1)
        refused = httpx.post(url, json={"question": "three"}, headers=wait, timeout=5)
        fake_assistant.block.set()
        assert first.result().status_code == 200
        waited = second.result()
    assert waited.status_code == 200 and waited.json()["fallback"] is None
    assert waited.headers["Preference-Applied"] == "wait=10"
    assert refused.status_code == 503
    assert refused.json()["error"]["type"] == "busy"
    assert int(refused.headers["Retry-After"]) >= 1
    assert "retry" in refused.json()["error"]["message"]


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
        quoted = httpx.post(url, json={"question": "c", "stream": True}, timeout=5)
        refused = httpx.post(
            url, json={"question": "d", "stream": True}, headers={"Prefer": "wait=5"}, timeout=5
        )
        fake_assistant.block.set()
        assert "event: done" in running.result().text
        assert "event: done" in queued.result().text
    events = sse_json(quoted.text)
    assert [name for name, _ in events] == ["answer", "done"]
    assert events[0][1]["fallback"] == "generator_busy"
    assert refused.status_code == 503
    assert "Retry-After" in refused.headers


def test_a_waiting_question_gets_quotes_once_its_wait_budget_is_spent() -> None:
    """Without `Prefer: wait`, the wait for a slot is bounded by 1.5 typical answer times."""

    async def main() -> None:
        gate = GenerationGate(max_concurrent=1, max_queued=4, wait_answers=1.5)
        gate._avg_seconds = 0.1  # as if answers took 0.1 s
        lease = await gate.acquire()
        with anyio.fail_after(1):
            assert await gate.try_acquire() is None  # waited 0.15 s, then gave up
        assert (gate.running, gate.waiting, gate.fallbacks) == (1, 0, 1)
        lease.release()
        second = await gate.try_acquire()
        assert second is not None
        second.release()

    anyio.run(main)


def test_waiting_room_follows_the_wait_budget() -> None:
    assert GenerationGate(1, 4, wait_answers=1.5).waiting_room() == 1
    assert GenerationGate(2, 4, wait_answers=1.5).waiting_room() == 3
    assert GenerationGate(1, 4, wait_answers=0).waiting_room() == 0
    assert GenerationGate(1, 1, wait_answers=5).waiting_room() == 1  # never beyond the room


def test_measured_answer_time_sizes_the_wait() -> None:
    async def main() -> None:
        gate = GenerationGate(max_concurrent=1, max_queued=1, wait_answers=2)
        for _ in range(30):
            lease = await gate.acquire()
            lease._started -= 5.0  # as if each answer took 5 s
            lease.release()
        assert 4.5 < gate.typical_answer_s <= 5.01
        assert 9 < gate.wait_budget_s() <= 10.02

    anyio.run(main)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("wait=10", 10.0),
        ("respond-async, wait=5", 5.0),
        ('WAIT="7"', 7.0),
        ("wait=0", None),
        ("wait=soon", None),
        ("handling=lenient", None),
        ("nowait=3", None),
    ],
)
def test_prefer_wait_header_is_parsed_leniently(header: str | None, expected: float | None) -> None:
    assert preferred_wait_s(header) == expected


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
