"""The `Assistant` facade: the one object the CLI, the API and the evals talk to.

It wires retrieval, evidence selection, generation, verification and refusal together. Heavy
parts (embedder, LLM, Chroma) are built once in `from_settings` and shared by every call; the
object is safe to call from several threads (the LLM serialises itself).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rag.config import Settings, get_settings
from rag.embedding import Embedder
from rag.llm.base import LLM
from rag.schemas import Answer, DocumentInfo, Passage, Turn


class Assistant:
    """Answers career questions from the indexed guides, with verified citations."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder,
        llm: LLM | None,
        collection: Any,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.llm = llm
        self.collection = collection
        raise NotImplementedError  # being written (issue 3)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        llm: LLM | None | str = "default",
    ) -> Assistant:
        """Build the real thing: packaged MiniLM, the configured LLM backend, the configured Chroma.

        `llm="default"` uses `settings.llm`; pass a backend name ("local", "openai", "none"), an LLM
        object, or None for extractive answers.
        """
        raise NotImplementedError

    def ask(
        self, question: str, history: Sequence[Turn] = (), top_k: int | None = None
    ) -> Answer:
        """Answer `question` (a follow-up is rewritten using `history`). Raises InvalidQuestionError,
        IndexNotReadyError, LLMUnavailableError."""
        raise NotImplementedError

    def stream(
        self, question: str, history: Sequence[Turn] = (), top_k: int | None = None
    ) -> Iterator[str | Answer]:
        """Like `ask`, but yields the model's draft text pieces as they are written, then the final
        verified `Answer` as the last item (which may differ from the draft)."""
        raise NotImplementedError

    def search(self, query: str, top_k: int | None = None) -> list[Passage]:
        """Retrieval only: the fused top passages for `query`."""
        raise NotImplementedError

    def documents(self) -> list[DocumentInfo]:
        """Each ingested article with its chunk count, content hash and ingest time."""
        raise NotImplementedError

    def refresh(self) -> None:
        """Reload the keyword index from the store; call after a re-ingest. Queries keep working
        on the previous snapshot until the new one is swapped in."""
        raise NotImplementedError

    def status(self) -> dict[str, Any]:
        """{"chunks": int, "llm": str, "llm_ready": bool} for readiness checks."""
        raise NotImplementedError


def default_settings() -> Settings:
    return get_settings()
