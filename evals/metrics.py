"""Per-question metrics, deterministic and offline: retrieval, answer, grounding, refusal.

Each function scores one answer; `evals.scoring` applies them to a run and `evals.stats`
aggregates. Definitions (also in docs/evals.md):

- relevant passage: a chunk from one of the item's source docs that holds one of the item's
  `evidence` snippets (the verbatim text where the answer is); items without snippets fall back to
  a chunk of a source doc holding a key fact on word boundaries;
- key-fact recall: share of key facts with an alternative present in the answer on word
  boundaries; a declined answerable question scores 0 (the refusal text earns nothing);
- sentence support: a sentence is supported when at least SUPPORT_THRESHOLD of its content words
  (stopwords and [n] markers left out; negations and comparatives count as content) occur in the
  quote sentence it rests on, AND `evals.attribution.claim_problems` finds nothing (same polarity,
  no comparative, number or role the quote lacks, nothing attached to another role). Quotes attach
  through the sentence's own [n] markers; a sentence without markers is aligned to the single
  citation that supports it best;
- unsupported number: a number written with digits in the answer that occurs in none of the
  answer's citation quotes;
- valid citation: its quote is non-empty verbatim text of the chunk it names, as stored in the
  index, and that chunk is among the answer's retrieved passages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytrec_eval

from evals.attribution import best_quote_sentence, claim_problems
from evals.text import (
    content_words,
    fact_present,
    facts_found,
    markers,
    normalize,
    numbers,
    sentences,
    squad_tokens,
    words,
)
from rag.embedding import Embedder
from rag.schemas import Answer, Citation

SUPPORT_THRESHOLD = 0.6


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the index holds it: the ground truth citations are checked against."""

    chunk_id: str
    doc_id: str
    text: str
    kind: str = "section"


# Retrieval ---------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _plain(text: str) -> str:
    """Letters and digits only, single-spaced: cells and quotes compare as a reader sees them."""
    return " ".join(words(normalize(text)))


def holds_snippet(chunk_text: str, snippet: str) -> bool:
    """True when the chunk holds the snippet's words in order (punctuation and case aside)."""
    needle = _plain(snippet)
    return bool(needle) and f" {needle} " in f" {_plain(chunk_text)} "


def is_relevant(
    chunk_doc: str,
    chunk_text: str,
    source_docs: Sequence[str],
    facts: Sequence[str],
    evidence: Sequence[str] = (),
) -> bool:
    if chunk_doc not in source_docs:
        return False
    if evidence:
        return any(holds_snippet(chunk_text, snippet) for snippet in evidence)
    return any(fact_present(f, chunk_text) for f in facts)


def relevant_chunks(
    chunks: Mapping[str, StoredChunk],
    source_docs: Sequence[str],
    facts: Sequence[str],
    evidence: Sequence[str] = (),
) -> set[str]:
    """Ids of every indexed chunk that counts as relevant for an item."""
    return {
        c.chunk_id
        for c in chunks.values()
        if is_relevant(c.doc_id, c.text, source_docs, facts, evidence)
    }


def retrieval_scores(
    ranked: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]], k: int
) -> dict[str, dict[str, float]]:
    """hit@k, MRR and recall@k per query with pytrec_eval.

    `ranked` maps a query id to its retrieved chunk ids, best first; `qrels` to its relevant ids.
    A query with no relevant chunk in the index scores 0 on all three (pytrec_eval would skip it,
    and a skipped row would hide a retrieval failure).
    """
    judged = {q: {c: 1 for c in rel} for q, rel in qrels.items() if rel}
    # pytrec_eval orders by score, so encode rank as a descending score.
    run = {
        q: {cid: float(len(ids) - i) for i, cid in enumerate(dict.fromkeys(ids))}
        for q, ids in ranked.items()
        if q in judged
    }
    for q in judged:
        run.setdefault(q, {})
    measures = {"recip_rank", f"recall.{k}", f"success.{k}"}
    evaluated = pytrec_eval.RelevanceEvaluator(judged, measures).evaluate(run) if judged else {}
    out: dict[str, dict[str, float]] = {}
    for q in ranked:
        got = evaluated.get(q, {})
        out[q] = {
            "hit": float(got.get(f"success_{k}", 0.0)),
            "mrr": float(got.get("recip_rank", 0.0)),
            "recall": float(got.get(f"recall_{k}", 0.0)),
        }
    return out


def fact_coverage(passages_text: Sequence[str], facts: Sequence[str]) -> float:
    """Share of key facts found in at least one of the given passages."""
    if not facts:
        return 0.0
    joined = "\n".join(passages_text)
    return sum(facts_found(facts, joined)) / len(facts)


# Answer ------------------------------------------------------------------------------------------


def key_fact_recall(answer: str, facts: Sequence[str], refused: bool = False) -> float:
    """Share of key facts present in the answer (0 when there are none to find, and 0 for a
    declined answer: words of a refusal are no answer)."""
    if not facts or refused:
        return 0.0
    return sum(facts_found(facts, answer)) / len(facts)


def token_f1(answer: str, reference: str) -> float:
    """SQuAD token F1 between the answer and the reference."""
    pred, gold = squad_tokens(answer), squad_tokens(reference)
    common = sum((Counter(pred) & Counter(gold)).values())
    if not pred or not gold or not common:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def cosine_similarities(
    embedder: Embedder, answers: Sequence[str], references: Sequence[str]
) -> list[float]:
    """Cosine similarity of each answer to its reference (vectors are normalised); an empty answer
    scores 0 rather than the similarity of an empty string's embedding."""
    if not answers:
        return []
    vectors = embedder.embed([*answers, *references])
    a, r = vectors[: len(answers)], vectors[len(answers) :]
    sims = np.sum(a * r, axis=1)
    return [0.0 if not ans.strip() else float(s) for ans, s in zip(answers, sims, strict=True)]


# Grounding ---------------------------------------------------------------------------------------


def support(sentence: str, quotes: Sequence[str]) -> float:
    """Share of the sentence's content words that occur in the quote sentence it rests on."""
    claim = content_words(sentence)
    if not claim:
        return 1.0  # nothing is claimed ("Yes.")
    evidence = set(words(best_quote_sentence(sentence, quotes)))
    return sum(w in evidence for w in claim) / len(claim)


@dataclass(frozen=True)
class SentenceSupport:
    sentence: str
    cited: tuple[int, ...]
    score: float
    supported: bool
    problems: tuple[str, ...] = ()


def check_sentence(sentence: str, quotes: Sequence[str]) -> tuple[float, list[str]]:
    """The support score of a sentence against its quotes, and what it says differently."""
    score = support(sentence, quotes)
    problems = claim_problems(sentence, best_quote_sentence(sentence, quotes)) if quotes else []
    return score, problems


def sentence_support(answer: str, citations: Sequence[Citation]) -> list[SentenceSupport]:
    """Each sentence of the answer with the citations attached to it and its support verdict."""
    by_n = {c.n: c for c in citations}
    out = []
    for sent in sentences(answer):
        cited = sorted(n for n in markers(sent) if n in by_n)
        if not cited and citations:
            best = max(citations, key=lambda c: support(sent, [c.quote]))
            cited = [best.n]
        if cited:
            score, problems = check_sentence(sent, [by_n[n].quote for n in cited])
        else:
            score, problems = 0.0, ["no citation"]
        supported = score >= SUPPORT_THRESHOLD and not problems
        out.append(SentenceSupport(sent, tuple(cited), score, supported, tuple(problems)))
    return out


def unsupported_numbers(answer: str, citations: Sequence[Citation]) -> list[str]:
    """Numbers in the answer that occur in none of its citation quotes."""
    quoted = {n for c in citations for n in numbers(c.quote)}
    return [n for n in numbers(answer) if n not in quoted]


def quoted_spans(answer: str) -> list[str]:
    """The outermost “…” spans of an answer (a quote may itself hold a quoted word)."""
    spans, depth, start = [], 0, 0
    for i, char in enumerate(answer):
        if char == "“":
            if depth == 0:
                start = i + 1
            depth += 1
        elif char == "”" and depth:
            depth -= 1
            if depth == 0:
                spans.append(answer[start:i])
    return spans


def unverbatim_quotes(answer: Answer, articles: Mapping[str, str]) -> list[str]:
    """The quoted spans of the answer that are not text of an article it cites (whitespace
    aside): a quote must be the article's own words, never text the system rebuilt."""
    cited = [" ".join(articles.get(c.doc_id, "").split()) for c in answer.citations]
    return [
        span
        for span in quoted_spans(answer.answer)
        if not any(" ".join(span.split()) in text for text in cited)
    ]


def citation_problem(
    citation: Citation, chunks: Mapping[str, StoredChunk], retrieved_ids: set[str]
) -> str | None:
    """Why a citation is invalid, or None when it is valid."""
    chunk = chunks.get(citation.chunk_id)
    if chunk is None:
        return "chunk not in index"
    if not citation.quote.strip():
        return "empty quote"
    if citation.quote not in chunk.text:
        return "quote not verbatim"
    if citation.chunk_id not in retrieved_ids:
        return "chunk not retrieved"
    if citation.doc_id != chunk.doc_id:
        return "wrong doc_id"
    return None


def citation_problems(answer: Answer, chunks: Mapping[str, StoredChunk]) -> list[str | None]:
    retrieved = {p.chunk_id for p in answer.retrieved}
    return [citation_problem(c, chunks, retrieved) for c in answer.citations]
