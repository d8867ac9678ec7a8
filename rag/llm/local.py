"""The embedded LLM: a packaged GGUF run by llama.cpp on the CPU, loaded once per process.

Which GGUF a model name means, and how it gets onto disk, is `rag.llm.models`' business. Models
whose GGUF carries a chat template (SmolLM2, Qwen2.5 with ChatML) are driven through
`create_chat_completion`. Gemma 3 270M is a base model whose GGUF has no chat template, so it gets
Gemma's own turn markup as a plain completion. Decoding is greedy with a repetition penalty and a
token bound; a lock serialises calls because a llama.cpp context is not thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings
from rag.errors import LLMUnavailableError, ModelUnavailableError
from rag.llm.base import Message, yes_share
from rag.llm.models import local_model, model_path

__all__ = ["LocalLLM", "gemma_prompt", "model_path"]

REPEAT_PENALTY = 1.15  # tiny models loop without it
CONTEXT_TOKENS = 2048
# One thread by default. On an idle 2-core machine two threads are only ~15% faster (0.75 s vs
# 0.89 s for a 125-token reply), but llama.cpp's threads spin while they wait, so when anything
# else runs (embedding, a second process) two threads were 3-5x slower than one.
DEFAULT_THREADS = 1


def gemma_prompt(messages: list[Message]) -> str:
    """Gemma's turn format; Gemma has no system role, so a system message leads the first turn."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    parts: list[str] = []
    for m in messages:
        if m["role"] == "system":
            continue
        role = "model" if m["role"] == "assistant" else "user"
        content = (
            f"{system}\n\n{m['content']}"
            if system and role == "user" and not parts
            else m["content"]
        )
        parts.append(f"<start_of_turn>{role}\n{content}<end_of_turn>\n")
    return "".join(parts) + "<start_of_turn>model\n"  # llama.cpp adds <bos> itself


class LocalLLM:
    """A packaged GGUF model served in-process by llama-cpp-python."""

    def __init__(self, name: str, path: Path, threads: int | None = None) -> None:
        from llama_cpp import Llama

        self.name = f"local:{name}"
        model = local_model(name)
        self._chat_template = model.chat_template
        self.coverage_floor = model.coverage_floor
        n_threads = threads or DEFAULT_THREADS
        self._lock = threading.Lock()
        try:
            self._llama: Any = Llama(
                model_path=str(path),
                n_ctx=CONTEXT_TOKENS,
                # Prompt evaluation too: llama.cpp would otherwise use every core for it.
                n_threads=n_threads,
                n_threads_batch=n_threads,
                verbose=False,
            )
        except Exception as exc:  # llama.cpp raises bare ValueError/RuntimeError on bad files
            raise LLMUnavailableError(f"could not load the local model {path.name}: {exc}") from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalLLM:
        name = settings.local_model
        try:
            path = model_path(name, settings)
        except ModelUnavailableError as exc:  # parts missing or corrupt: the LLM is unavailable
            raise LLMUnavailableError(str(exc)) from exc
        return cls(name, path, settings.llm_threads)

    def ready(self) -> bool:
        return True

    def yes_probability(self, messages: list[Message]) -> float | None:
        first: list[Any] = []

        def keep_first_logits(input_ids: Any, scores: Any) -> Any:
            if not first:
                first.append(scores.copy())
            return scores

        # A logits processor sees the next token's logits without `logits_all`, which would hold
        # every position's logits (gigabytes at this vocabulary and context).
        options: dict[str, Any] = dict(
            max_tokens=1, temperature=0.0, logits_processor=[keep_first_logits]
        )
        with self._lock:
            if self._chat_template:
                self._llama.create_chat_completion(messages=list(messages), **options)
            else:
                self._llama.create_completion(gemma_prompt(messages), **options)
            words = {w: self._first_token(w) for w in ("Yes", "yes", "No", "no")}
        logits = first[0]
        shifted = np.exp(logits - logits.max())
        return yes_share({w: float(shifted[t]) / float(shifted.sum()) for w, t in words.items()})

    def _first_token(self, word: str) -> int:
        return int(self._llama.tokenize(word.encode(), add_bos=False, special=False)[0])

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]:
        with self._lock:
            if not self._chat_template:
                pieces = self._llama.create_completion(
                    gemma_prompt(messages),
                    max_tokens=max_tokens,
                    temperature=0.0,
                    repeat_penalty=REPEAT_PENALTY,
                    stop=["<end_of_turn>", "<start_of_turn>"],
                    stream=True,
                )
                for piece in pieces:
                    yield piece["choices"][0]["text"]
                return
            chunks = self._llama.create_chat_completion(
                messages=list(messages),
                max_tokens=max_tokens,
                temperature=0.0,
                repeat_penalty=REPEAT_PENALTY,
                stream=True,
            )
            for chunk in chunks:
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield text
