"""Server-Sent Events for `POST /chat` and `POST /v1/chat/completions`.

The assistant's `stream()` is a blocking generator (the model writes on the CPU). It runs in one
dedicated worker thread per request, always the same thread, because the model backend may hold
thread-bound locks between pieces; the event loop only awaits each next piece. When the client
goes away the generator is closed in that thread before the generation slot is given back, so
the concurrency limit stays true even for abandoned streams. The first piece is fetched before
the response starts, so early failures (empty index, LLM down) are ordinary HTTP errors.

Event contract of `/chat` (each `data` is JSON):
  token  {"text": str}          zero or more, the model's draft as it is written
  answer <Answer>               exactly one, the verified answer (clients show this text)
  done   {}                     end of stream
  error  {"error": {...}}       instead of answer/done when something fails mid-stream; ends it
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Generic, TypeVar

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from api.errors import describe_any_error, error_body, openai_error_body
from api.limits import Lease
from api.usage import cut_to_tokens, usage
from rag.schemas import Answer

logger = logging.getLogger("api.stream")

T = TypeVar("T")
_END: Any = object()

# Keeps proxies from buffering the stream; sse-starlette sets the content type and no-cache.
SSE_HEADERS = {"X-Accel-Buffering": "no"}


class ThreadedIterator(Generic[T]):
    """Drives a blocking iterator from async code, every step in the same worker thread.

    `prime()` fetches the first item before any response is sent, so failures that happen before
    the model writes anything (index not ready, LLM down) still become plain HTTP errors.
    """

    def __init__(self, make_iter: Callable[[], Iterator[T]]) -> None:
        self._make_iter = make_iter
        self._context = contextvars.copy_context()  # carries the request id into the thread's logs
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="career-rag-stream")
        self._iterator: Iterator[T] | None = None
        self._primed: list[Any] = []
        self._closed = False

    async def _in_thread(self, func: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._context.run, func)

    async def _step(self) -> Any:
        if self._iterator is None:
            self._iterator = await self._in_thread(lambda: iter(self._make_iter()))
        return await self._in_thread(partial(next, self._iterator, _END))

    async def prime(self) -> None:
        self._primed.append(await self._step())

    def __aiter__(self) -> ThreadedIterator[T]:
        return self

    async def __anext__(self) -> T:
        item = self._primed.pop() if self._primed else await self._step()
        if item is _END:
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        """Close the blocking iterator in its thread, after the step in flight, if any."""
        if self._closed:
            return
        self._closed = True
        # Shielded: on disconnect we still wait for the running step and the close, so the
        # generation slot is only released once the model has really stopped.
        with anyio.CancelScope(shield=True):
            if self._iterator is not None:
                await self._in_thread(partial(_close, self._iterator))
        self._executor.shutdown(wait=False)


def _close(iterator: Iterator[Any]) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


class LeasedEventSourceResponse(EventSourceResponse):
    """An SSE response that closes its stream and frees its slot (if it holds one: a quotes-only
    answer does not) however the response ends."""

    def __init__(
        self,
        content: AsyncIterator[Any],
        *,
        lease: Lease | None,
        stream: ThreadedIterator[Any],
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(content, headers={**SSE_HEADERS, **(headers or {})}, **kwargs)
        self._lease = lease
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self._stream.aclose()
            finally:
                if self._lease is not None:
                    self._lease.release()


async def chat_events(stream: ThreadedIterator[str | Answer]) -> AsyncIterator[ServerSentEvent]:
    """`/chat` events from `Assistant.stream`: tokens, then the verified answer, then done."""
    answered = False
    try:
        async for item in stream:
            if isinstance(item, Answer):
                answered = True
                yield ServerSentEvent(item.model_dump_json(), event="answer")
            elif item:
                yield ServerSentEvent(_json({"text": item}), event="token")
        if not answered:
            raise RuntimeError("the assistant's stream ended without an answer")
        yield ServerSentEvent("{}", event="done")
    except Exception as exc:
        _, error_type, message, _ = describe_any_error(exc)
        yield ServerSentEvent(_json(error_body(error_type, message)), event="error")


_PIECE = re.compile(r"\s*\S+\s*|\s+")


def split_pieces(text: str) -> list[str]:
    """Words with their following whitespace; joined back they give `text` exactly."""
    return _PIECE.findall(text)


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


async def completion_chunks(
    stream: ThreadedIterator[str | Answer],
    *,
    model: str,
    prompt_texts: list[str],
    max_tokens: int | None = None,
    include_usage: bool = False,
) -> AsyncIterator[str]:
    """OpenAI `chat.completion.chunk` data lines, ending with `[DONE]`.

    OpenAI clients append every delta and cannot take text back, so these deltas carry the
    verified answer (sent as soon as verification is done), never the unverified draft. The
    last choice chunk has `finish_reason` ("stop", or "length" when `max_tokens` cut the answer)
    and this server's `citations`, `refused` and `fallback` fields. With `include_usage`, as
    OpenAI does, every chunk has `usage: null` and one more chunk, with `choices: []`, carries
    the counts.
    A failure mid-stream is an OpenAI-shaped `{"error": {...}}` data line that ends the stream.
    """
    cid, created = completion_id(), int(time.time())

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> str:
        if include_usage:
            extra.setdefault("usage", None)
        return _json(
            {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
                **extra,
            }
        )

    def delta(content: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return chunk([{"index": 0, "delta": content, "finish_reason": finish}], **extra)

    try:
        answer: Answer | None = None
        async for item in stream:
            if isinstance(item, Answer):
                answer = item
        if answer is None:
            raise RuntimeError("the assistant's stream ended without an answer")
        text, finish = cut_to_tokens(answer.answer, max_tokens)
        yield delta({"role": "assistant", "content": ""})
        for piece in split_pieces(text):
            yield delta({"content": piece})
        citations = [c.model_dump() for c in answer.citations]
        yield delta(
            {}, finish, citations=citations, refused=answer.refused, fallback=answer.fallback
        )
        if include_usage:
            yield chunk([], usage=usage(prompt_texts, text).model_dump())
        yield "[DONE]"
    except Exception as exc:
        status, error_type, message, _ = describe_any_error(exc)
        yield _json(openai_error_body(status, error_type, message))
