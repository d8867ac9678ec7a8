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
    # Below this probability of "Yes" to `rag.prompt.CHECK`, the model's own reading of the
    # evidence says it does not answer the question; 0 where the model's reading is not trusted.
    coverage_floor: float

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]: ...

    def yes_probability(self, messages: list[Message]) -> float | None:
        """P("Yes") / (P("Yes") + P("No")) for the reply's first token; None when the backend
        cannot tell (a server that gives no log-probabilities and replied neither)."""
        ...

    def ready(self) -> bool: ...


def complete(llm: LLM, messages: list[Message], *, max_tokens: int) -> str:
    """The whole reply of `llm` as one string."""
    return "".join(llm.stream(messages, max_tokens=max_tokens))


def yes_share(probabilities: dict[str, float]) -> float | None:
    """P(yes) / (P(yes) + P(no)) from first-token probabilities keyed by token text (any case,
    spaces around); None when neither word is among them."""
    yes = sum(p for token, p in probabilities.items() if token.strip().lower() == "yes")
    no = sum(p for token, p in probabilities.items() if token.strip().lower() == "no")
    return yes / (yes + no) if yes + no > 0 else None


def llm_coverage_floor(settings: Settings, llm: LLM) -> float:
    """The configured floor for the model's own check (`Settings.llm_coverage_floor`), else the
    backend's own default."""
    floor = settings.llm_coverage_floor
    return llm.coverage_floor if floor is None else floor


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
