"""Checks that a sentence says what its quote says, not only with the same words.

Word overlap alone scores "AI engineers earn more than ML engineers" as supported by "ML engineers
earn more than AI engineers", and "X is not Y" by "X is Y". These checks compare what overlap
cannot see: polarity (negation), comparative and superlative words, the roles a sentence talks
about, and which role each number, comparative or content word is attached to (the nearest role
named before it). Roles are read from the text ("<modifier> engineer/scientist/..."), not from a
fixed pair. Pure functions over text, independent of the system's own verifier on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from evals.text import STOPWORDS, normalize, numbers, sentences, strip_markers, words

NEGATIONS = frozenset(
    "no not nor never none neither cannot can't don't doesn't didn't isn't aren't wasn't "
    "weren't won't wouldn't shouldn't without".split()
)
# Comparative and superlative words whose flip reverses a claim ("more" <-> "less").
COMPARATIVES = frozenset(
    "more less fewer most least higher lower highest lowest better worse best worst easier harder "
    "easiest hardest larger smaller largest smallest greater greatest bigger biggest faster slower "
    "stronger weaker earlier later longer shorter".split()
)
# Each comparative's reversal, for the controls and the verifier benchmark that corrupt claims.
COMPARATIVE_FLIPS = dict(
    pair.split(":")
    for pair in """more:less less:more fewer:more most:least least:most higher:lower lower:higher
    highest:lowest lowest:highest better:worse worse:better best:worst worst:best easier:harder
    harder:easier easiest:hardest hardest:easiest larger:smaller smaller:larger largest:smallest
    smallest:largest greater:smaller bigger:smaller faster:slower slower:faster stronger:weaker
    weaker:stronger earlier:later later:earlier longer:shorter shorter:longer""".split()
)
assert set(COMPARATIVE_FLIPS) <= COMPARATIVES
_ROLE_NOUN = (
    r"(?:engineer|engineers|engineering|scientist|scientists|science|developer|developers"
    r"|analyst|analysts|researcher|researchers)"
)
_ROLE = re.compile(r"\b((?:[a-z]+ ){0,2})" + _ROLE_NOUN + r"\b")
_QUOTE_OPEN, _QUOTE_CLOSE = '"“', '"”'


def initialisms(*texts: str) -> dict[str, str]:
    """Two-word names that one of the texts writes as its two initials ("machine learning" ->
    "ml" when another says "ML"), so both spellings name one role; read from the texts."""
    tokens = [words(t) for t in texts]
    short = {t for ts in tokens for t in ts if len(t) == 2 and t.isalpha() and t not in STOPWORDS}
    return {
        f"{a} {b}": a[0] + b[0]
        for ts in tokens
        for a, b in pairwise(ts)
        if a[0] + b[0] in short and min(len(a), len(b)) > 2 and not {a, b} & STOPWORDS
    }


def _role_name(modifier: str, noun: str, short: dict[str, str]) -> str:
    kept = [w for w in modifier.split() if w not in STOPWORDS]
    name = " ".join(kept)
    name = short.get(name, name)
    family = "science" if noun.startswith("scien") else re.sub(r"(s|ing)$", "", noun)
    return f"{name} {family}".strip()


def role_mentions(text: str, short: dict[str, str] | None = None) -> list[tuple[int, str]]:
    """(word position, role) for every role named in `text`, in order ("ai engineer",
    "ml engineer", "data science", ...); positions index `words(text)`. Two-word names are
    shortened as `short` says (by default, as the text itself writes them: `initialisms`)."""
    short = initialisms(text) if short is None else short
    normalized = " ".join(words(text))
    out = []
    for match in _ROLE.finditer(normalized):
        modifier = match.group(1)
        noun = match.group(0)[len(modifier) :]
        position = len(normalized[: match.start() + len(modifier)].split())
        out.append((position, _role_name(modifier, noun, short)))
    return out


def roles(text: str, short: dict[str, str] | None = None) -> set[str]:
    # a bare "engineer" is no role
    return {role for _, role in role_mentions(text, short) if " " in role}


def has_negation(text: str) -> bool:
    return any(w in NEGATIONS or w.endswith("n't") for w in words(text))


def anchors(text: str, short: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Word -> the roles named nearest before its occurrences, for the words worth attaching
    (content words, numbers, comparatives); occurrences before any role are left out."""
    tokens = words(text)
    mentions = [(pos, role) for pos, role in role_mentions(text, short) if " " in role]
    out: dict[str, set[str]] = {}
    for i, token in enumerate(tokens):
        if token in STOPWORDS and token not in COMPARATIVES:
            continue
        before = [role for pos, role in mentions if pos <= i]
        if before:
            out.setdefault(token, set()).add(before[-1])
    return out


def is_quoted(sentence: str) -> bool:
    """True for an answer sentence that is a verbatim quote (“…” with its citation markers)."""
    bare = strip_markers(sentence).strip().rstrip(".")
    return len(bare) > 1 and bare[0] in _QUOTE_OPEN and bare[-1] in _QUOTE_CLOSE


def quoted_flags(sentences: Sequence[str]) -> list[bool]:
    """For each sentence of an answer, whether it lies inside a quotation (“ … ”): a quote of
    several sentences is split by the sentence splitter, and each of its pieces is quoted."""
    flags, inside = [], False
    for sentence in sentences:
        opens = sentence.count("“")
        closes = sentence.count("”")
        flags.append(inside or opens > 0 or is_quoted(sentence))
        inside = (inside or opens > 0) and closes < opens + int(inside)
    return flags


def claim_problems(sentence: str, quote: str) -> list[str]:
    """Why `sentence` does not say what `quote` says, beyond word overlap (empty: no problem)."""
    problems = []
    said, source = set(words(sentence)), set(words(quote))
    if has_negation(sentence) != has_negation(quote):
        problems.append("negation differs")
    flipped = sorted((said & COMPARATIVES) - source)
    if flipped:
        problems.append("comparative not in the quote: " + ", ".join(flipped))
    missing_numbers = sorted(set(numbers(sentence)) - set(numbers(quote)))
    if missing_numbers:
        problems.append("number not in the quote: " + ", ".join(missing_numbers))
    short = initialisms(sentence, quote)
    quoted_roles = roles(quote, short)
    extra_roles = sorted(roles(sentence, short) - quoted_roles)
    if extra_roles and quoted_roles:
        problems.append("role the quote does not talk about: " + ", ".join(extra_roles))
    mine, theirs = anchors(sentence, short), anchors(quote, short)
    moved = sorted(w for w in mine if w in theirs and not mine[w] & theirs[w])
    if moved and len(quoted_roles) > 1:
        problems.append("attached to another role: " + ", ".join(moved[:5]))
    return problems


def best_quote_sentence(sentence: str, quotes: Sequence[str]) -> str:
    """The sentence of the quotes that shares the most words with `sentence` (claims are checked
    against the one sentence they rest on, not a bag of every cited word)."""
    said = set(words(sentence)) - STOPWORDS
    pieces = [s for q in quotes for s in (sentences(q) or [q])] or [""]
    return max(pieces, key=lambda s: len(said & set(words(s))))


def unquoted(sentence: str) -> str:
    """The sentence without markers and enclosing quotation marks."""
    bare = normalize(strip_markers(sentence))
    return bare.strip(_QUOTE_OPEN + _QUOTE_CLOSE + " ")
