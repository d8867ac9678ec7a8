"""Any OpenAI-compatible chat-completions server (llama.cpp server, Ollama, vLLM, hosted APIs).

Streams the reply within a bounded time: `timeout_s` bounds the connection, each read and the
whole reply (a server that trickles one token at a time is cut off too). A server that is down,
too slow, answers with an error status or sends something that is not a chat-completion stream
raises `LLMUnavailableError`, so callers can fall back or report it plainly; it never hangs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from rag.config import Settings
from rag.errors import LLMUnavailableError
from rag.llm.base import Message

# Connecting to a server that is up takes milliseconds; a refused or black-holed connection
# should not eat the whole budget.
CONNECT_TIMEOUT_S = 5.0


class OpenAICompatLLM:
    """Chat completions over HTTP from a server that speaks the OpenAI API."""

    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float) -> None:
        import openai

        self.name = f"openai:{model}"
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

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]:
        deadline = time.monotonic() + self._timeout_s
        stream: Any = None
        try:
            stream = self._client.chat.completions.create(
                model=self._model,
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
            )
            chunks = 0
            for chunk in stream:
                chunks += 1
                if time.monotonic() > deadline:
                    raise LLMUnavailableError(
                        f"the LLM server did not finish its reply within {self._timeout_s:g} s"
                    )
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
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
