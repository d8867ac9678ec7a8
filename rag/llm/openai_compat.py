"""Any OpenAI-compatible chat-completions server (llama.cpp server, Ollama, vLLM, hosted APIs).

Streams the reply within a bounded time: `timeout_s` bounds the connection, each read and the
whole reply (a server that trickles one token at a time is cut off too). A server that is down,
too slow, answers with an error status or sends something that is not a chat-completion stream
raises `LLMUnavailableError`, so callers can fall back or report it plainly; it never hangs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

from rag.config import Settings
from rag.errors import LLMUnavailableError
from rag.llm.base import Message, yes_share

# A server's model is taken to be at least as capable as the packaged Qwen2.5-1.5B, whose check
# is trusted below even odds (docs/answering.md); CAREER_RAG_LLM_COVERAGE_FLOOR overrides it.
COVERAGE_FLOOR = 0.5
# Connecting to a server that is up takes milliseconds; a refused or black-holed connection
# should not eat the whole budget.
CONNECT_TIMEOUT_S = 5.0


class OpenAICompatLLM:
    """Chat completions over HTTP from a server that speaks the OpenAI API."""

    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float) -> None:
        import openai

        self.name = f"openai:{model}"
        self.coverage_floor = COVERAGE_FLOOR
        self._model = model
        self._openai = openai
        self._timeout_s = timeout_s
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",  # local servers ignore it; the client insists on one
            timeout=openai.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            max_retries=0,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAICompatLLM:
        if not settings.llm_url:
            raise LLMUnavailableError(
                "CAREER_RAG_LLM=openai needs CAREER_RAG_LLM_URL, e.g. http://127.0.0.1:8080/v1"
            )
        return cls(
            settings.llm_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_s
        )

    def ready(self) -> bool:
        try:
            self._client.models.list()
        except Exception:  # down, an error status or a body that is not a model list
            return False
        return True

    def yes_probability(self, messages: list[Message]) -> float | None:
        # Streamed like an answer, so the same deadline bounds a server that trickles.
        first = None
        text = ""
        for chunk in self._chunks(messages, max_tokens=1, logprobs=True, top_logprobs=20):
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            if first is None and choice.logprobs and choice.logprobs.content:
                first = choice.logprobs.content[0]
            text += choice.delta.content or ""
        if first is not None and first.top_logprobs:
            return yes_share({t.token: math.exp(t.logprob) for t in first.top_logprobs})
        # A server that gives no log-probabilities (some Ollama versions): the reply's word.
        return yes_share({text: 1.0})

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]:
        for chunk in self._chunks(messages, max_tokens=max_tokens):
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content

    def _chunks(self, messages: list[Message], *, max_tokens: int, **options: Any) -> Iterator[Any]:
        """The reply's chat-completion chunks, within `timeout_s` in all."""
        deadline = time.monotonic() + self._timeout_s
        stream: Any = None
        try:
            stream = self._client.chat.completions.create(
                model=self._model,
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
                **options,
            )
            chunks = 0
            for chunk in stream:
                chunks += 1
                if time.monotonic() > deadline:
                    raise LLMUnavailableError(
                        f"the LLM server did not finish its reply within {self._timeout_s:g} s"
                    )
                yield chunk
            if chunks == 0:
                raise LLMUnavailableError("the LLM server's reply held no chat-completion chunk")
        except LLMUnavailableError:
            raise
        except self._openai.APITimeoutError as exc:
            raise LLMUnavailableError(
                f"the LLM server did not answer within {self._timeout_s:g} s"
            ) from exc
        except Exception as exc:  # down, error status, or a body that is not a completion stream
            raise LLMUnavailableError(f"the LLM server did not answer: {exc}") from exc
        finally:
            if stream is not None:
                stream.close()  # frees the connection however the reply ended
