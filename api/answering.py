"""How a chat request gets its answer: a generation slot, or the quotes-only answer.

A question that did not ask to wait gets a generation slot if one frees up within the gate's
wait budget (see `api.limits`); when the generator is saturated it gets, at once, the quotes-only
answer: the same retrieval, coverage and verification with no model draft, so verbatim evidence
sentences with their citations, marked `fallback: "generator_busy"`. A client that prefers the
model's answer sends `Prefer: wait=N` (RFC 7240): it waits up to N seconds in the queue and gets
503 + Retry-After when the queue is full or the wait runs out.

A model that fails before or while drafting (server down, slower than its timeout, garbage) is
replaced by the quotes-only answer too, marked `fallback: "llm_unavailable"`; if even that fails
the original error stands (502). Both routes, `/chat` and `/v1/chat/completions`, use this.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from functools import partial

import anyio
from starlette.concurrency import run_in_threadpool

from api.deps import AssistantLike
from api.limits import GenerationGate, Lease
from api.streaming import ThreadedIterator
from rag.errors import LLMUnavailableError
from rag.schemas import Answer, FallbackReason, Turn

logger = logging.getLogger("api.answering")

PREFER_HEADER_DOC = (
    "`wait=N` (RFC 7240): wait up to N seconds (N ≥ 1) for the model's answer, and get 503 with "
    "Retry-After if it cannot start by then. Without it, a saturated generator answers at once "
    'with the quotes-only answer, marked `fallback: "generator_busy"`.'
)
# `wait=N` among the preferences of a Prefer header (`respond-async, wait=10`, `wait="5"`).
_WAIT = re.compile(r'(?:^|[,;])\s*wait\s*=\s*"?(\d{1,9})"?\s*(?=$|[,;])', re.IGNORECASE)


def preferred_wait_s(prefer: str | None) -> float | None:
    """Seconds the client will wait for a slot, from `Prefer: wait=N`; None when it did not
    ask (a malformed or zero value is no request to wait: preferences are hints)."""
    match = _WAIT.search(prefer or "")
    if match is None or int(match.group(1)) == 0:
        return None
    return float(match.group(1))


def preference_applied(wait_s: float | None) -> dict[str, str]:
    """The `Preference-Applied` header RFC 7240 asks for when a preference was honoured."""
    return {} if wait_s is None else {"Preference-Applied": f"wait={int(wait_s)}"}


async def admit(gate: GenerationGate, wait_s: float | None) -> Lease | None:
    """A slot (waiting as the client asked), or None when the quotes-only answer is due."""
    if wait_s is not None:
        return await gate.acquire(wait_s)
    return await gate.try_acquire()


async def answer(
    assistant: AssistantLike,
    gate: GenerationGate,
    wait_s: float | None,
    question: str,
    history: Sequence[Turn],
    top_k: int | None,
) -> Answer:
    """The verified answer, or the quotes-only one when the generator is busy or fails."""
    lease = await admit(gate, wait_s)
    if lease is None:
        reason: FallbackReason = "generator_busy"
    else:
        try:
            return await run_in_threadpool(assistant.ask, question, history, top_k)
        except LLMUnavailableError as exc:
            logger.warning("the model did not answer (%s); answering with quotes only", exc)
            reason = "llm_unavailable"
        finally:
            lease.release()
    quotes_only = partial(assistant.ask, question, history, top_k, fallback=reason)
    return await anyio.to_thread.run_sync(quotes_only, limiter=gate.quote_limiter)


def _pieces_or_quotes(
    assistant: AssistantLike, question: str, history: Sequence[Turn], top_k: int | None
) -> Iterator[str | Answer]:
    """`assistant.stream`, ending with the quotes-only answer if the model fails on the way
    (clients show the final answer, never the draft, so a cut-off draft is harmless)."""
    try:
        yield from assistant.stream(question, history, top_k)
    except LLMUnavailableError as exc:
        logger.warning("the model did not answer (%s); answering with quotes only", exc)
        yield from assistant.stream(question, history, top_k, fallback="llm_unavailable")


async def open_answer_stream(
    assistant: AssistantLike,
    gate: GenerationGate,
    wait_s: float | None,
    question: str,
    history: Sequence[Turn],
    top_k: int | None,
) -> tuple[Lease | None, ThreadedIterator[str | Answer]]:
    """Admit the request and start its stream up to the first item (so early failures are
    plain HTTP errors); the lease is None for a quotes-only answer, which needs no slot."""
    lease = await admit(gate, wait_s)
    if lease is None:
        make = partial(assistant.stream, question, history, top_k, fallback="generator_busy")
    else:
        make = partial(_pieces_or_quotes, assistant, question, history, top_k)
    stream: ThreadedIterator[str | Answer] = ThreadedIterator(make)
    try:
        if lease is None:
            async with gate.quote_limiter:  # the whole quotes-only answer is its first item
                await stream.prime()
        else:
            await stream.prime()
    except BaseException:
        await stream.aclose()
        if lease is not None:
            lease.release()
        raise
    return lease, stream
