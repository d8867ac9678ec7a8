"""The one interface every generation backend implements, and the factory that picks one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, TypedDict

if TYPE_CHECKING:
    from rag.config import Settings


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


class LLM(Protocol):
    """A chat model that streams its reply as text pieces.

    Implementations apply the model's own chat template, decode greedily (temperature 0) and stop
    after `max_tokens`. They raise `LLMUnavailableError` when the model cannot answer.
    """

    name: str

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]: ...

    def ready(self) -> bool: ...


def complete(llm: LLM, messages: list[Message], *, max_tokens: int) -> str:
    """The whole reply of `llm` as one string."""
    return "".join(llm.stream(messages, max_tokens=max_tokens))


def build_llm(settings: Settings, backend: str | None = None) -> LLM | None:
    """The backend named by `backend` (default: `settings.llm`); None for `none` (extractive)."""
    name = backend or settings.llm
    if name == "none":
        return None
    if name == "local":
        from rag.llm.local import LocalLLM

        return LocalLLM.from_settings(settings)
    if name == "openai":
        from rag.llm.openai_compat import OpenAICompatLLM

        return OpenAICompatLLM.from_settings(settings)
    raise ValueError(f"unknown LLM backend {name!r}; choose local, openai or none")
