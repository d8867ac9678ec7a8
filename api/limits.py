"""Admission control for generation: a few answers run, a few wait, the rest are served otherwise.

Generation is the slow, CPU-bound part; letting requests pile up would make every client wait
longer and eventually time out. The gate keeps at most `max_concurrent` generations running and
offers two ways in:

- `try_acquire()`, for a client that did not ask to wait: a slot now, or after a wait bounded by
  `wait_answers` typical answer times (measured from the answers given, so the bound follows the
  model and the machine). When that many are waiting already, or the wait runs out, it returns
  None at once and the caller serves the quotes-only answer instead. An admitted answer thus takes
  at most about `wait_answers + 1` answer times.
- `acquire(wait_s)`, for a client that asked to wait (`Prefer: wait=N`): it queues in the waiting
  room (`max_queued` places) for up to `wait_s` seconds, and gets `BusyError` (503 + Retry-After)
  when the room is full or the wait runs out.

The quotes-only answers themselves (retrieval, embedding, verification) run at most
`quote_workers` at a time, by default one per core the generators leave free: under saturation
they come by the dozen a second, and unbounded they would take the model's core too and slow
every admitted answer. Retrieval-only routes are not gated. The gate lives on one event loop; the
assistant itself runs in threads.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from rag.errors import BusyError

# Until the first answer is measured: about one answer of the default local model on a CPU.
INITIAL_ANSWER_S = 2.0


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

    def __init__(
        self,
        max_concurrent: int,
        max_queued: int,
        max_wait_s: float = 60.0,
        wait_answers: float = 1.0,
        quote_workers: int | None = None,
    ) -> None:
        self.max_concurrent = max(1, max_concurrent)
        self.max_queued = max(0, max_queued)
        self.max_wait_s = max_wait_s
        self.wait_answers = max(0.0, wait_answers)
        self._semaphore = asyncio.Semaphore(self.max_concurrent)
        self._admitted = 0  # running + waiting; only touched on the event loop thread
        self._avg_seconds = INITIAL_ANSWER_S
        self.fallbacks = 0  # requests turned to the quotes-only answer, for metrics and tests
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        spare = (cores or 1) - self.max_concurrent
        self.quote_limiter = anyio.CapacityLimiter(quote_workers or max(1, spare))

    @property
    def running(self) -> int:
        return min(self._admitted, self.max_concurrent)

    @property
    def waiting(self) -> int:
        return max(0, self._admitted - self.max_concurrent)

    @property
    def typical_answer_s(self) -> float:
        """Moving average of how long a slot is held: the measured answer time."""
        return self._avg_seconds

    def wait_budget_s(self) -> float:
        """How long a client that did not ask to wait may wait for a slot."""
        return self.wait_answers * self._avg_seconds

    def waiting_room(self) -> int:
        """Places for clients that did not ask to wait: as many as a slot frees up for within
        the wait budget (`wait_answers` answer times, `max_concurrent` slots), never more than
        the waiting room itself."""
        return min(self.max_queued, math.floor(self.wait_answers * self.max_concurrent))

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue ahead times the typical answer time."""
        rounds = (self._admitted + 1) / self.max_concurrent
        return max(1, min(60, math.ceil(rounds * self._avg_seconds)))

    async def try_acquire(self) -> Lease | None:
        """A slot within the wait budget, or None at once when it cannot be had in time."""
        if self._admitted >= self.max_concurrent and self.waiting >= self.waiting_room():
            self.fallbacks += 1
            return None
        if await self._enter(self.wait_budget_s()):
            return Lease(self)
        self.fallbacks += 1
        return None

    async def acquire(self, wait_s: float | None = None) -> Lease:
        """Take a slot, waiting up to `wait_s` (at most `max_wait_s`) if there is room in the
        queue; raise BusyError otherwise."""
        if self._admitted >= self.max_concurrent + self.max_queued:
            raise BusyError(
                "The assistant is answering other questions and its queue is full; "
                "retry in a few seconds.",
                retry_after_s=self.retry_after(),
            )
        limit = self.max_wait_s if wait_s is None else min(wait_s, self.max_wait_s)
        if not await self._enter(limit):
            raise BusyError(
                "The assistant stayed busy for too long; retry in a few seconds.",
                retry_after_s=self.retry_after(),
            )
        return Lease(self)

    async def _enter(self, wait_s: float) -> bool:
        """Wait up to `wait_s` for the semaphore; whether it was taken."""
        self._admitted += 1
        try:
            with anyio.move_on_after(wait_s):
                await self._semaphore.acquire()
                return True
        except BaseException:
            self._admitted -= 1
            raise
        self._admitted -= 1
        return False

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
        # Exponential moving average: sizes the wait budget and the Retry-After hint.
        self._avg_seconds = 0.8 * self._avg_seconds + 0.2 * seconds
