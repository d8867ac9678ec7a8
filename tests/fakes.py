"""Deterministic stand-ins for the heavy components, for fast unit tests (never the only proof)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from rag.coverage import FEATURES, CoverageModel
from rag.llm.base import Message

_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Bag-of-words hashed into a fixed-size vector: texts sharing words get similar vectors."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim
                out[row, bucket] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


class ScriptedLLM:
    """Replies with a fixed text, or with `reply(messages)`; records every prompt it was given."""

    name = "scripted"

    def __init__(
        self,
        reply: str | Callable[[list[Message]], str] = "",
        *,
        says_yes: float | None = None,
        coverage_floor: float = 0.0,
    ) -> None:
        """`says_yes`: its probability of "Yes" to the coverage check, asked when
        `coverage_floor` is above 0."""
        self._reply = reply
        self._says_yes = says_yes
        self.coverage_floor = coverage_floor
        self.prompts: list[list[Message]] = []
        self.checks: list[list[Message]] = []

    def yes_probability(self, messages: list[Message]) -> float | None:
        self.checks.append(messages)
        return self._says_yes

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]:
        self.prompts.append(messages)
        text = self._reply(messages) if callable(self._reply) else self._reply
        yield from re.findall(r"\S+\s*", text)

    def ready(self) -> bool:
        return True


def fake_coverage_model() -> CoverageModel:
    """A coverage model for the fake embedder's similarities (the packaged one is fitted to
    MiniLM's): answers when the evidence holds the question's topic words and the question names
    nothing the corpus lacks."""
    weights = dict.fromkeys(FEATURES, 0.0)
    weights.update(topic_overlap=10.0, unknown_specifics=-10.0, figure_missing=-10.0)
    return CoverageModel(weights, bias=-5.0, threshold=0.5, partial_similarity=0.7)
