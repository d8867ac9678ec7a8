"""Text helpers shared by the metrics: normalisation, key-fact matching, tokens, sentences, numbers.

All matching is deterministic and lexical; nothing here loads a model.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

_SPACE = re.compile(r"\s+")
_MARKER = re.compile(r"\[(\d+)\]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Digits with optional thousands separators or decimals: 3, 2026, 105k -> 105, 1,000, 4.5.
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
# A sentence ends at . ! or ? (possibly inside a closing quote or bracket) before whitespace.
# A sentence ends at . ! ? (inside closing quotes or not), or at a citation marker that the next
# quotation or sentence follows: a quoted list item has no full stop of its own ("… learning
# paths” [2] “Either way…”), and each quote is checked against its own citation.
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"\u201d\u2019')\]]))\s+(?=\S)|(?<=\])\s+(?=[\"\u201cA-Z])"
)
_LEADING_MARKERS = re.compile(r"^((?:\[\d+\]\s*)+[.!?]?)\s*(.*)$", re.S)

# Function words carry no claim; leaving them out keeps "supported" about content words.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "much",
        "of",
        "on",
        "or",
        "our",
        "so",
        "such",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "also",
        "both",
        "either",
        "each",
        "just",
        "may",
        "might",
        "must",
        "should",
    ]
)


def normalize(text: str) -> str:
    """Lower case, hyphens and dashes as spaces, runs of whitespace collapsed."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[-\u2010-\u2015]", " ", text)
    return _SPACE.sub(" ", text).strip()


def fact_alternatives(fact: str) -> list[str]:
    return [alt.strip() for alt in fact.split("|") if alt.strip()]


def contains_phrase(phrase: str, text: str) -> bool:
    """True when `phrase` occurs in `text` on word boundaries, case-insensitively ("Go" is not
    found in "algorithms"); hyphens and whitespace runs are normalised on both sides."""
    needle = normalize(phrase)
    if not needle:
        return False
    pattern = r"(?<![a-z0-9])" + re.escape(needle) + r"(?![a-z0-9])"
    return re.search(pattern, normalize(text)) is not None


def fact_present(fact: str, text: str) -> bool:
    """A key fact is present when any `|` alternative occurs in `text` on word boundaries
    (case-insensitive; 'Retrieval-Augmented' matches 'retrieval augmented')."""
    return any(contains_phrase(alt, text) for alt in fact_alternatives(fact))


def facts_found(facts: Iterable[str], text: str) -> list[bool]:
    return [fact_present(fact, text) for fact in facts]


def strip_markers(text: str) -> str:
    """The text without `[n]` citation markers."""
    return _SPACE.sub(" ", _MARKER.sub(" ", text)).strip()


def markers(text: str) -> set[int]:
    """The citation numbers `[n]` that occur in `text`."""
    return {int(m) for m in _MARKER.findall(text)}


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits), markers removed."""
    return _WORD.findall(normalize(strip_markers(text)))


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def squad_tokens(text: str) -> list[str]:
    """Tokens as SQuAD's F1 sees them: lower case, no punctuation, no articles."""
    text = strip_markers(text).lower()
    text = "".join(" " if ch in string.punctuation else ch for ch in text)
    return [t for t in text.split() if t not in {"a", "an", "the"}]


def sentences(text: str) -> list[str]:
    """Sentences of an answer; markers written after the full stop ('... models. [1][2] Next')
    stay with the sentence before them, so citations attach where the writer meant them."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        lead = _LEADING_MARKERS.match(piece)
        if out and lead:
            out[-1] = f"{out[-1]} {lead.group(1).strip()}"
            piece = lead.group(2)
        if piece.strip():
            out.append(piece.strip())
    return out


def numbers(text: str) -> list[str]:
    """Numbers written with digits, thousands separators removed ('1,000' -> '1000').
    Citation markers are not numbers of the answer."""
    return [n.replace(",", "") for n in _NUMBER.findall(strip_markers(text))]


_ROLE = re.compile(r"\b(?:ai|ml|machine learning) engineer", re.I)


def names_role(fact: str) -> bool:
    """True for a key fact that names one of the two roles ("AI Engineer", "ML Engineer", ...):
    such facts check that an answer attributes a trait to the right role."""
    return any(_ROLE.search(normalize(alt)) for alt in fact_alternatives(fact))
