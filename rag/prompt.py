"""The generation prompt: short instructions, numbered evidence sentences, the question.

Kept deliberately small: tiny models follow two plain instructions far better than ten, and
every token of prompt costs latency on a CPU. Citations are not requested from the model; they
come from verification.
"""

from __future__ import annotations

from rag.evidence import Evidence
from rag.llm.base import Message
from rag.text import normalise_space

# Nothing about the guides' subject: the corpus decides what the assistant knows about.
SYSTEM = (
    "You answer a reader's question from the facts given, which come from the site's guides. "
    "Use only those facts. Answer in two or three short sentences."
)


# Asked before the answer is written, as the same prompt with this line added: a model then
# reuses the shared prefix's computation for the answer, so the check costs about one token.
CHECK = "Do the facts answer the question? Reply Yes or No."


def build_messages(question: str, evidence: list[Evidence]) -> list[Message]:
    return prompt_messages(question, [normalise_space(ev.text) for ev in evidence])


def build_check_messages(question: str, evidence: list[Evidence]) -> list[Message]:
    """The answering prompt asking first whether the facts answer the question at all."""
    return with_check(build_messages(question, evidence))


def prompt_messages(question: str, facts: list[str]) -> list[Message]:
    """The answering prompt for facts given as text (`benchmarks.local_models` times it)."""
    numbered = "\n".join(f"[{i}] {fact}" for i, fact in enumerate(facts, start=1))
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Facts:\n{numbered}\n\nQuestion: {question}"},
    ]


def with_check(messages: list[Message]) -> list[Message]:
    """An answering prompt with the coverage check (`CHECK`) added after its question."""
    system, user = messages
    return [system, {"role": "user", "content": f"{user['content']}\n\n{CHECK}"}]
