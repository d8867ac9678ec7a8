"""Token counts for OpenAI's `usage` field, and the `max_completion_tokens` cut.

No backend reports token counts (the extractive `none` backend has no tokens at all, and the
answer a client gets is the verified text, not what the model wrote), so counts are estimates:
one token per 4 characters, rounded up, OpenAI's rule of thumb for English text.
`prompt_tokens` counts the text of the request's messages, not the evidence prompt the server
builds; `completion_tokens` counts the answer text sent. Clients use these for budgeting, where
an estimate serves; a real tokenizer would be the LLM's own, and it differs per backend.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from api.schemas import Usage

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """About how many tokens `text` is: ceil(characters / 4)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def usage(prompt_texts: Iterable[str], completion: str) -> Usage:
    prompt = sum(estimate_tokens(text) for text in prompt_texts)
    answer = estimate_tokens(completion)
    return Usage(prompt_tokens=prompt, completion_tokens=answer, total_tokens=prompt + answer)


def cut_to_tokens(text: str, max_tokens: int | None) -> tuple[str, str]:
    """(text, finish_reason): `text` within `max_tokens` estimated tokens, "length" if it was cut.

    The cut falls on the last whitespace that fits, so no word is split, unless the first word
    alone is already too long.
    """
    if max_tokens is None or estimate_tokens(text) <= max_tokens:
        return text, "stop"
    limit = max_tokens * CHARS_PER_TOKEN
    head = text[:limit]
    if not text[limit].isspace():  # the cut falls inside a word: leave that word out
        last_space = max(head.rfind(c) for c in " \t\n")
        if head[:last_space].strip():
            head = head[:last_space]
    return head.rstrip(), "length"
