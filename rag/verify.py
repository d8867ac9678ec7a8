"""Verification: keep only the draft sentences that the retrieved evidence supports.

Each draft sentence is aligned to the candidate evidence sentences (all statement sentences of
the retrieved passages) by embedding similarity plus lexical containment. A sentence is kept only
if an aligned evidence sentence also contains every number, amount, year and proper name it states,
and says the same thing of the same entity (`rag.claims.meaning_changes`: polarity, degree words,
what attaches to which role). The citation comes from this alignment, never from the
model's own markers, so it cannot point outside the retrieved passages. Composing the final text
is left to `rag.answer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.claims import entities, meaning_changes
from rag.embedding import Embedder
from rag.evidence import ANAPHORA, Evidence, antecedent
from rag.text import (
    acronym_terms,
    content_terms,
    numbers,
    proper_names,
    spelled_out_acronyms,
    split_sentences,
    stem,
    words,
)

# A sentence is supported when it is close in meaning to one evidence sentence AND every one of
# its content words occurs in it (an acronym counts for its spelled-out words and back). Cosine
# alone lets fluent contradictions through (measured: "AI engineers come from a mathematical
# background" scores 0.82 against "AI Engineers are often from a software engineering
# background"). A word the evidence lacks is a claim nobody checked ("junior", "(US)", "the
# newsletter says"), so it sends the sentence back to its quote. Verifier benchmark: containment
# 0.6 / 0.8 / 1.0 accepted 98.3% / 97.3% / 91.3% of faithful claims (every corruption kind
# rejected at 1.0). 1.0 still let the corpus's everyday words through unchecked; 50 answers read by
# hand then held "AI agents are responsible..." (for "AI Engineers") and "The guides also
# include..."; checking those words too, and refusing a leading pronoun whose antecedent names a
# role or lies outside the chunk, accepts 81.0% (the rest are shown as their quotes) and still
# rejects every corruption kind; a fourth read of 50 answers found no wrong model sentence.
SUPPORT_SIMILARITY = 0.6
SUPPORT_CONTAINMENT = 1.0
REPLACE_SIMILARITY = 0.6  # close enough to swap a failed sentence for the quote it distorts
MIN_SENTENCE_WORDS = 4
REPEAT_SIMILARITY = 0.9  # a kept sentence this close to an earlier one is a repetition
ALIGN_CANDIDATES = 4

_MARKER = re.compile(r"\s*\[(?:\d+(?:,\s*)?)+\]")
_PREFIX = re.compile(r"^(?:answer|response|a)\s*:\s*", re.IGNORECASE)


@dataclass
class Supported:
    """An answer sentence with the evidence sentence that supports it."""

    text: str
    evidence: Evidence
    quoted: bool  # True when the sentence is the evidence itself, not the model's wording


@dataclass
class Verification:
    kept: list[Supported] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (sentence, reason)


def draft_sentences(draft: str) -> list[str]:
    """The draft's sentences, without the model's own citation markers or an "Answer:" prefix."""
    out = []
    for sentence in split_sentences(draft):
        cleaned = _PREFIX.sub("", _MARKER.sub("", sentence)).strip(" -*•")
        if cleaned:
            out.append(cleaned)
    return out


def _digits(token: str) -> str:
    return re.sub(r"[^\d.]", "", token).strip(".")


def unsupported_facts(sentence: str, evidence_text: str) -> list[str]:
    """The numbers and proper names in `sentence` that `evidence_text` does not contain."""
    missing = []
    evidence_numbers = numbers(evidence_text)
    evidence_digits = {_digits(n) for n in evidence_numbers}
    for number in numbers(sentence):
        plain = number == _digits(number)
        if number not in evidence_numbers and not (plain and number in evidence_digits):
            missing.append(number)
    # A name counts as found in another number ("Engineers" for "engineer") or spelling out the
    # evidence's acronym ("Machine Learning" for "ML"); an acronym the evidence only spells out
    # does not ("API" for "application programming interfaces" hid a dropped "LLMs" in the
    # verifier benchmark).
    found = content_terms(evidence_text) | spelled_out_acronyms(sentence, evidence_text)
    missing += [name for name in proper_names(sentence) if stem(name) not in found]
    return missing


def verify(draft: str, pool: list[Evidence], embedder: Embedder) -> Verification:
    """Align each draft sentence to `pool`; keep, replace by its quote, or drop it (with why)."""
    result = Verification()
    # Fragments ("1.", "The frameworks are:") state nothing checkable.
    sentences = [
        s
        for s in draft_sentences(draft)
        if len(words(s)) >= MIN_SENTENCE_WORDS and not s.rstrip().endswith(":")
    ]
    if not sentences or not pool:
        result.dropped = [(s, "no evidence to check against") for s in sentences]
        return result
    vectors = embedder.embed(sentences)
    pool_matrix = np.stack([ev.vector for ev in pool])
    kept_vectors: list[np.ndarray] = []
    for sentence, vector in zip(sentences, vectors, strict=True):
        if any(float(vector @ other) > REPEAT_SIMILARITY for other in kept_vectors):
            result.dropped.append((sentence, "repeats an earlier sentence"))
            continue
        similarities = pool_matrix @ vector
        order = np.argsort(-similarities)[:ALIGN_CANDIDATES]
        terms = content_terms(sentence)
        reason = "nothing in the guides supports it"
        support: Evidence | None = None
        for i in order:
            ev, similarity = pool[int(i)], float(similarities[int(i)])
            if similarity < SUPPORT_SIMILARITY or not terms:
                continue
            before = antecedent(ev) if ANAPHORA.match(sentence) else ""
            if before is None or (before and entities(before)):
                # In an answer the pronoun points at whatever precedes it there, not at the role
                # it meant in the article (or at what the chunk does not show), so who "they"
                # are cannot be checked.
                reason = "its subject is a pronoun for a role the sentence does not name"
                continue
            missing = unsupported_facts(sentence, ev.text)
            lacking = terms - content_terms(ev.text) - acronym_terms(sentence, ev.text)
            if len(lacking) / len(terms) > 1 - SUPPORT_CONTAINMENT:
                missing = sorted(set(missing) | lacking)
            if missing:
                reason = "states " + ", ".join(sorted(missing)) + " which its evidence does not"
                continue
            changes = meaning_changes(sentence, ev.text)
            if changes:
                reason = "; ".join(changes)
                continue
            support = ev
            break
        if support is not None:
            result.kept.append(Supported(sentence, support, quoted=False))
            kept_vectors.append(vector)
            continue
        best = pool[int(order[0])]
        if float(similarities[int(order[0])]) >= REPLACE_SIMILARITY and not any(
            k.evidence is best for k in result.kept
        ):
            result.kept.append(Supported(best.text, best, quoted=True))
            kept_vectors.append(best.vector)
            result.dropped.append((sentence, reason + "; replaced by the quote it paraphrases"))
        else:
            result.dropped.append((sentence, reason))
    return result
