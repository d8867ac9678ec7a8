"""Evidence selection: the few sentences of the retrieved passages that best answer the question.

Tiny models do much better with five focused sentences than with five whole pages. Each
`Evidence` keeps the chunk it came from, so every later citation points into a retrieved passage
by construction. Generation and verification are left to other modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.retrieve import Chunk, Hit, HybridRetriever, expand_terms
from rag.text import content_terms, split_sentences, words

# The share of question terms a sentence contains, added to its cosine. Re-chosen with the
# ranking encoder's cosine (bank dev / dev2 / the older sets, --llm none, key facts): 0.25, 0.35,
# 0.5, 0.65, 0.8 gave 0.598 / 0.525 / 0.881, 0.624 / 0.537 / 0.881, 0.624 / 0.556 / 0.898,
# 0.618 / 0.537 / 0.898, 0.603 / 0.537 / 0.898 (MiniLM's alone: 0.35, within a question of 0.5).
LEXICAL_WEIGHT = 0.5
RANK_WEIGHT = 0.04  # a small nudge towards passages the retriever ranked higher
MIN_WORDS = 5  # shorter lines are headings or list stubs, not statements
FRAGMENT_PENALTY = 0.06  # list items without a full stop lack the context of a sentence
DIVERSITY_MARGIN = 0.1  # another article's best sentence joins if this close to the overall best
DIVERSITY_FLOOR = 0.45  # ...and at least this similar to the question
FAQ_MATCH_FLOOR = 0.6  # an FAQ question this similar to the user's is asking the same thing...
FAQ_MATCH_WEIGHT = 1.0  # ...and its answer sentences gain (similarity - floor) * weight
SOURCE_WEIGHT = 0.15  # for sentences of the article the question names ("in the lesson")
# "They do not build models": read alone, a leading pronoun points at whatever precedes it.
ANAPHORA = re.compile(r"^(?:they|them|their|it|its|this|these|those|he|she|his|her|such)\b", re.I)
MAX_ANTECEDENT = 3  # sentences a quote may reach back for the noun its pronouns stand for
_QA_PREFIX = re.compile(r"^[QA]\s*:\s*")
_BULLET = re.compile(r"^\s*(?:[-•*]|\d+[.)])\s+")
MAX_LIST_ITEMS = 10  # a lead-in gathers at most this many following lines as its items
MAX_ITEM_WORDS = 12  # an unbulleted line this short right after a lead-in reads as an item


@dataclass(frozen=True, eq=False)  # identity equality: vectors are arrays
class Evidence:
    """One sentence of a retrieved chunk, with how well it matches the question."""

    text: str
    chunk: Chunk
    vector: np.ndarray
    similarity: float  # MiniLM cosine with the question (what thresholds are calibrated on)
    score: float  # the ranking encoder's cosine (else MiniLM's) + lexical + rank terms: the order


def antecedent(ev: Evidence) -> str | None:
    """What a leading pronoun of `ev` refers back to: the sentences before it in its chunk, back
    to the nearest one that does not itself open with a pronoun (at most MAX_ANTECEDENT), as
    the chunk has them; None when the chunk holds no sentence before it."""
    start = _antecedent_start(ev)
    return None if start is None else ev.chunk.text[start : ev.chunk.text.find(ev.text)].strip()


def with_antecedent(ev: Evidence) -> str:
    """The evidence as it may be quoted: led by its antecedent when it opens with a pronoun, as
    the chunk has the sentences (so the quote stays the article's words)."""
    start = _antecedent_start(ev) if ANAPHORA.match(ev.text) else None
    if start is None:
        return ev.text
    return ev.chunk.text[start : ev.chunk.text.find(ev.text) + len(ev.text)]


def _antecedent_start(ev: Evidence) -> int | None:
    """Where `antecedent` begins in the chunk text."""
    text = ev.chunk.text
    at = text.find(ev.text)
    before = split_sentences(text[:at]) if at > 0 else []
    if not before:
        return None
    first = len(before) - 1
    while first > max(0, len(before) - MAX_ANTECEDENT) and ANAPHORA.match(before[first]):
        first -= 1
    return text.rfind(before[first], 0, at)


def question_terms(question: str, common: frozenset[str]) -> set[str]:
    """The question's topical terms: content words not common across the corpus."""
    return {t for t in content_terms(question) if t not in common}


def candidate_sentences(
    question_vector: np.ndarray,
    question: str,
    hits: list[Hit],
    retriever: HybridRetriever,
    ranker_vector: np.ndarray | None = None,
) -> list[Evidence]:
    """Every statement sentence of the hits, scored against the question, best first.

    With `ranker_vector` (the question by the ranking encoder), a sentence's score starts from
    that encoder's cosine instead of MiniLM's: it tells which sentence answers a question
    better (bank dev key facts 0.582 -> 0.624, docs/answering.md), while MiniLM's similarity,
    which coverage and verification are calibrated on, is kept beside it."""
    index = retriever.index
    topical = question_terms(question, index.common_terms) or content_terms(question)
    terms = set(expand_terms(sorted(topical)))
    n_terms = len(topical)
    named = index.named_sources(question)
    candidates: list[Evidence] = []
    stored = retriever.sentences_of(hit.chunk for hit in hits)  # one lookup for all hits
    ranked = {}
    if ranker_vector is not None:
        ranked = retriever.ranker_vectors_of(hit.chunk for hit in hits)
    for rank, hit in enumerate(hits):
        headings = headings_of(hit.chunk)
        sentences, vectors = stored[hit.chunk.chunk_id]
        boost = SOURCE_WEIGHT if hit.chunk.doc_id in named else 0.0
        if hit.chunk.kind == "faq":
            boost += _faq_match(sentences, vectors, question_vector)
        own = ranked.get(hit.chunk.chunk_id)
        for sentence, span in evidence_units(hit.chunk.text, sentences):
            if not is_statement(sentence, headings):
                continue
            sentence = _QA_PREFIX.sub("", sentence)  # the rest is still verbatim chunk text
            vector = unit_vector(vectors, span)
            similarity = float(vector @ question_vector)
            closeness = similarity
            if own is not None and ranker_vector is not None:
                closeness = float(unit_vector(own, span) @ ranker_vector)
            overlap = min(1.0, len(terms & content_terms(sentence)) / n_terms) if n_terms else 0.0
            score = closeness + LEXICAL_WEIGHT * overlap - RANK_WEIGHT * rank + boost
            if sentence.rstrip()[-1:] not in ".!?":
                score -= FRAGMENT_PENALTY
            candidates.append(Evidence(sentence, hit.chunk, vector, similarity, score))
    candidates.sort(key=lambda e: e.score, reverse=True)
    return candidates


def headings_of(chunk: Chunk) -> set[str]:
    """The headings a chunk sits under, as `is_statement` compares them."""
    return {h.strip() for h in (chunk.section or "").split("·")}


def is_statement(sentence: str, headings: set[str]) -> bool:
    """Whether a sentence of a chunk under `headings` can stand as a claim. Short headings, list
    stubs and FAQ question lines cannot; nor can a lead-in still ending in ":", one whose items
    `evidence_units` could not join (whole paragraphs), which quoted alone promises a list it
    does not show; nor a heading line repeated in the chunk text."""
    return (
        len(words(sentence)) >= MIN_WORDS
        and not sentence.rstrip().endswith(("?", ":"))
        and not any(sentence.strip() in h for h in headings)
    )


def evidence_units(text: str, sentences: list[str]) -> list[tuple[str, slice]]:
    """The chunk's sentences as evidence units, each with the slice of `sentences` it covers: a
    list's lead-in ("...include:") is joined with its items into one unit, the verbatim slice of
    the chunk from the lead-in to its last item. Other sentences stand alone."""
    units: list[tuple[str, slice]] = []
    i = 0
    offset = 0
    while i < len(sentences):
        sentence = sentences[i]
        start = text.find(sentence, offset)
        offset = start + len(sentence) if start >= 0 else offset
        j = i + 1
        if sentence.rstrip().endswith(":") and start >= 0:
            while j < len(sentences) and j - i <= MAX_LIST_ITEMS and _is_item(sentences[j]):
                j += 1
        if j - i > 1:
            end = start
            for item in sentences[i + 1 : j]:
                found = text.find(item, end)
                end = (found + len(item)) if found >= 0 else end
            units.append((text[start:end], slice(i, j)))
            offset = end
        else:
            units.append((sentence, slice(i, j)))
        i = j
    return units


def unit_vector(vectors: np.ndarray, span: slice) -> np.ndarray:
    """A unit's vector from its sentences' (one encoder's): a sentence's own, or for a list the
    normalised mean of its lines'."""
    if span.stop - span.start == 1:
        return vectors[span.start]
    mean = vectors[span].mean(axis=0)
    return mean / (np.linalg.norm(mean) or 1.0)


def _is_item(sentence: str) -> bool:
    """A list item: a bullet, or a short line that is neither a question nor a new lead-in."""
    if _BULLET.match(sentence):
        return True
    return len(words(sentence)) <= MAX_ITEM_WORDS and not sentence.rstrip().endswith(("?", ":"))


def _faq_match(sentences: list[str], vectors: np.ndarray, question_vector: np.ndarray) -> float:
    """How much an FAQ chunk's own question matches the user's, as a boost for its answer."""
    similarities = [
        float(v @ question_vector)
        for s, v in zip(sentences, vectors, strict=True)
        if s.rstrip().endswith("?")
    ]
    best = max(similarities, default=0.0)
    return FAQ_MATCH_WEIGHT * max(0.0, best - FAQ_MATCH_FLOOR)


def select_evidence(
    candidates: list[Evidence], limit: int = 5, per_chunk: int = 3
) -> list[Evidence]:
    """The best `limit` sentences, at most `per_chunk` from one chunk, with each article that has
    a close-to-best sentence represented (so disagreeing sources are all seen), in score order."""
    # A sentence opening with a pronoun cannot be quoted so that it reads right when its quote,
    # antecedent included, still opens with one: the antecedent lies outside its chunk ("This
    # deployment phase..." first in its chunk) or more than MAX_ANTECEDENT sentences back.
    candidates = [ev for ev in candidates if not ANAPHORA.match(with_antecedent(ev))]
    if not candidates:
        return []
    chosen: list[Evidence] = []
    best_score = candidates[0].score
    seen_docs: set[str] = set()
    # First pass: the best sentence of each article that is nearly as good as the overall best.
    for ev in candidates:
        close = ev.score >= best_score - DIVERSITY_MARGIN and ev.similarity >= DIVERSITY_FLOOR
        if ev.chunk.doc_id not in seen_docs and (close or not chosen):
            chosen.append(ev)
            seen_docs.add(ev.chunk.doc_id)
    per_chunk_count: dict[str, int] = {}
    for ev in chosen:
        per_chunk_count[ev.chunk.chunk_id] = per_chunk_count.get(ev.chunk.chunk_id, 0) + 1
    for ev in candidates:
        if len(chosen) >= limit:
            break
        if ev in chosen or per_chunk_count.get(ev.chunk.chunk_id, 0) >= per_chunk:
            continue
        if any(float(ev.vector @ other.vector) > 0.95 for other in chosen):
            continue  # near-duplicate sentence (FAQ answers often restate the body)
        chosen.append(ev)
        per_chunk_count[ev.chunk.chunk_id] = per_chunk_count.get(ev.chunk.chunk_id, 0) + 1
    chosen = chosen[:limit]
    chosen.sort(key=lambda e: e.score, reverse=True)
    return chosen
