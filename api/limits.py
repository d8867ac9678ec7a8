"""Admission control for generation: a few answers run, a few wait, the rest get 503 at once.

Generation is the slow, CPU-bound part; letting requests pile up would make every client wait
longer and eventually time out. The gate keeps at most `max_concurrent` generations running and
`max_queued` waiting, and refuses the rest with `BusyError` (mapped to 503 + Retry-After). A
waiting request gives up after `max_wait_s`, so nobody waits without bound. Retrieval-only
routes are not gated. The gate lives on one event loop; the assistant itself runs in threads.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from rag.errors import BusyError


class Lease:
    """A held generation slot; `release()` is idempotent so every exit path may call it."""

    def __init__(self, gate: GenerationGate) -> None:
        self._gate = gate
        self._started = time.monotonic()
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._gate._release(time.monotonic() - self._started)


class GenerationGate:
    """Bounded concurrency plus a bounded waiting room for generation."""

    def __init__(self, max_concurrent: int, max_queued: int, max_wait_s: float = 60.0) -> None:
        self.max_concurrent = max(1, max_concurrent)
        self.max_queued = max(0, max_queued)
        self.max_wait_s = max_wait_s
        self._semaphore = asyncio.Semaphore(self.max_concurrent)
        self._admitted = 0  # running + waiting; only touched on the event loop thread
        self._avg_seconds = 2.0

    @property
    def running(self) -> int:
        return min(self._admitted, self.max_concurrent)

    @property
    def waiting(self) -> int:
        return max(0, self._admitted - self.max_concurrent)

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue ahead times the typical answer time."""
        rounds = (self._admitted + 1) / self.max_concurrent
        return max(1, min(60, math.ceil(rounds * self._avg_seconds)))

    async def acquire(self) -> Lease:
        """Take a slot, waiting in the queue if there is room; raise BusyError otherwise."""
        if self._admitted >= self.max_concurrent + self.max_queued:
            raise BusyError(
                "The assistant is answering other questions and its queue is full; "
                "retry in a few seconds.",
                retry_after_s=self.retry_after(),
            )
        self._admitted += 1
        try:
            with anyio.fail_after(self.max_wait_s):
                await self._semaphore.acquire()
        except TimeoutError:
            self._admitted -= 1
            raise BusyError(
                "The assistant stayed busy for too long; retry in a few seconds.",
                retry_after_s=self.retry_after(),
            ) from None
        except BaseException:
            self._admitted -= 1
            raise
        return Lease(self)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Lease]:
        lease = await self.acquire()
        try:
            yield lease
        finally:
            lease.release()

    def _release(self, seconds: float) -> None:
        self._admitted -= 1
        self._semaphore.release()
        # Exponential moving average; only feeds the Retry-After hint.
        self._avg_seconds = 0.8 * self._avg_seconds + 0.2 * seconds
