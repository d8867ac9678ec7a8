"""Any OpenAI-compatible chat-completions server (llama.cpp server, Ollama, vLLM, hosted APIs).

Streams the reply with a bounded timeout; connection failures and timeouts become
`LLMUnavailableError` so callers can fall back or report them plainly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rag.config import Settings
from rag.errors import LLMUnavailableError
from rag.llm.base import Message


class OpenAICompatLLM:
    """Chat completions over HTTP from a server that speaks the OpenAI API."""

    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float) -> None:
        import openai

        self.name = f"openai:{model}"
        self._model = model
        self._openai = openai
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",  # local servers ignore it; the client insists on one
            timeout=timeout_s,
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
        except self._openai.OpenAIError:
            return False
        return True

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]:
        try:
            stream: Any = self._client.chat.completions.create(
                model=self._model,
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except self._openai.OpenAIError as exc:
            raise LLMUnavailableError(f"the LLM server did not answer: {exc}") from exc
