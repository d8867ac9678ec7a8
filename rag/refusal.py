"""Decides, from the evidence alone, whether the guides cover a question.

Two kinds of uncovered questions: off-topic ones (nothing in the guides is close to them) and
on-topic ones that ask about something the guides never mention (a country, a year, an employer,
a statistic). The first shows as low similarity; the second as question terms, names or numbers
that occur nowhere in the corpus. Thresholds are calibrated on the dev set (see docs/answering.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.evidence import Evidence, question_terms
from rag.retrieve import PREFIX_LETTERS
from rag.text import numbers, proper_names, stem, word_prefixes

OFF_TOPIC_SIMILARITY = 0.40  # best evidence sentence below this: the guides are not about it
WEAK_SIMILARITY = 0.60  # below this, any unknown topical term is enough to decline
MOSTLY_UNKNOWN = 0.5  # share of unknown topical terms that declines unless the match is strong
STRONG_SIMILARITY = 0.70
PREFIX = PREFIX_LETTERS  # a term sharing 5 first letters with a corpus word is a variant, not new
_YEAR = re.compile(r"^(?:19|20)\d\d$")

# Questions that ask for a statistic can only be answered by evidence that contains a number.
_ASKS_FOR_STATISTIC = re.compile(
    r"\b(?:percentage|proportion|fraction|ratio|rate)\b|\bhow many\b"
    r"|\bhow much\b.*\b(?:earn|pay|paid|make|salar|cost)|\b(?:percent|statistic)",
    re.IGNORECASE,
)
_ASKS_FOR_SHARE = re.compile(r"\b(?:percentage|proportion|fraction|share|ratio|rate)\b", re.I)
STATISTIC_EVIDENCE = 5  # how many of the best evidence sentences may hold the number

REFUSAL_MESSAGE = (
    "The guides don't cover that. They compare AI engineers and machine learning engineers: what "
    "each role does, the skills and tools they use, salaries and demand, career paths, and how to "
    "choose between them. The closest passages are listed below."
)


@dataclass(frozen=True)
class Coverage:
    covered: bool
    reason: str
    best_similarity: float
    unknown_terms: tuple[str, ...]


def assess(
    question: str,
    candidates: list[Evidence],
    vocabulary: frozenset[str],
    prefixes: frozenset[str] | None = None,
) -> Coverage:
    """Whether the best evidence for `question` is close enough and mentions what it asks about."""
    prefixes = word_prefixes(vocabulary, PREFIX) if prefixes is None else prefixes
    best = max((ev.similarity for ev in candidates), default=0.0)
    specific = {stem(n) for n in proper_names(question) | numbers(question)}
    unknown_specific = sorted(t for t in specific if t not in vocabulary)
    terms = question_terms(question)
    unknown_terms = sorted(t for t in terms if t not in vocabulary and t[:PREFIX] not in prefixes)
    if not candidates:
        return Coverage(False, "no passage matched", best, tuple(unknown_terms))
    if unknown_specific:
        return Coverage(
            False,
            "the guides never mention " + ", ".join(unknown_specific),
            best,
            tuple(unknown_terms),
        )
    if _ASKS_FOR_STATISTIC.search(question) and not any(
        _figures(ev.text, share=bool(_ASKS_FOR_SHARE.search(question)))
        for ev in candidates[:STATISTIC_EVIDENCE]
    ):
        return Coverage(
            False, "it asks for a figure no close passage gives", best, tuple(unknown_terms)
        )
    if best < OFF_TOPIC_SIMILARITY:
        return Coverage(
            False, f"no passage is close (best similarity {best:.2f})", best, tuple(unknown_terms)
        )
    mostly_unknown = terms and len(unknown_terms) / len(terms) >= MOSTLY_UNKNOWN
    if unknown_terms and (best < WEAK_SIMILARITY or (mostly_unknown and best < STRONG_SIMILARITY)):
        return Coverage(
            False,
            "the guides never mention " + ", ".join(unknown_terms),
            best,
            tuple(unknown_terms),
        )
    return Coverage(True, "covered", best, tuple(unknown_terms))


def _figures(text: str, share: bool = False) -> set[str]:
    """The numbers in `text` other than years (every guide mentions 2026); with `share`, only
    percentages (a salary is no answer to "what percentage")."""
    found = {n for n in numbers(text) if not _YEAR.match(n)}
    if share:
        found = {n for n in found if n.endswith(("%", "percent"))}
    return found
