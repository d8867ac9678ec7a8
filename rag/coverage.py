"""Decides whether the guides cover a question: answer, partial, or decline.

A small logistic model over evidence features replaces hand-written word rules. The features
say how close the best evidence is, how much of the question's own topic the evidence holds, and
whether the question names something (a place, a year, an employer, a certification) that no
article mentions. The weights are fitted on the question bank's dev split by
`python -m evals.fit_coverage` and stored in `coverage_model.json` beside this module, with the
dev figures that chose the threshold. Unknown generic words lower a feature; they never decide
alone.

A question that names something no article mentions (a country, a certification) is never
answered as if the guides covered it: when its topic is close to the evidence (the model's
probability reaches the threshold, or the best evidence is at least `partial_similarity`
similar), it gets a partial answer that says plainly what the guides do not give, then quotes
what they do; otherwise it is declined.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from rag.evidence import Evidence, question_terms
from rag.text import STOPWORDS, content_terms, numbers, proper_names, split_sentences, stem, words

MODEL_PATH = Path(__file__).resolve().parent / "coverage_model.json"
EVIDENCE_DEPTH = 5  # how many of the best evidence sentences the features look at
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# Asking for a figure: only evidence holding a figure can answer. "share", "figure", "number" and
# "statistics" also name other things ("the roles share tools", "good with numbers", "loves
# statistics", "figure out"), so they count only as what is asked for: after "what", "which" or
# "the", or before "of", "on", "for" or "about".
_FIGURE_NOUN = r"(?:shares?|figures?|numbers?|statistics?)"
# "How much" before a noun asks how much of that thing ("how much maths does each job need?"),
# which the guides answer in words ("Heavy: Linear algebra..."); an amount is asked for when it
# comes before a verb or a comparison ("how much do they earn", "how much more") or ends the
# question ("and by how much?").
_HOW_MUCH = (
    r"how much(?=\s+(?:more|less|higher|lower|do|does|did|is|are|was|were|will|would|can|could"
    r"|should|has|have)\b|\s*[?.,;!]|\s*$)"
)
_ASKS_FOR_FIGURE = re.compile(
    rf"\b(?:how many|{_HOW_MUCH}|percentages?|proportions?|ratios?"
    rf"|(?:what|which|the) {_FIGURE_NOUN}|{_FIGURE_NOUN} (?:of|on|for|about))\b",
    re.IGNORECASE,
)

Decision = Literal["answer", "partial", "decline"]
# Each feature with the sign its weight must have: more support in the evidence can only raise
# the probability. Fitted freely, dev's near-miss questions (which reuse the guides' words on
# purpose) gave `topic_overlap` a negative weight, and plain questions whose every word is in the
# evidence were declined for it.
DIRECTION = {
    "best_similarity": 1,
    "top_similarity": 1,
    "topic_overlap": 1,
    "known_share": 1,
    "unknown_specifics": -1,
    "figure_missing": -1,
}
FEATURES = tuple(DIRECTION)


@dataclass(frozen=True)
class Coverage:
    decision: Decision
    probability: float  # that the guides answer the question, per the fitted model
    missing: tuple[str, ...]  # names, places, years... of the question that no article mentions
    features: dict[str, float] = field(default_factory=dict)

    @property
    def covered(self) -> bool:
        return self.decision == "answer"


@dataclass(frozen=True)
class CoverageModel:
    weights: dict[str, float]
    bias: float
    threshold: float  # answer at or above this probability
    partial_similarity: float  # below the threshold, still quote what is close to the topic

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights[name] * features[name] for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> CoverageModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    return CoverageModel(
        weights={name: float(data["weights"][name]) for name in FEATURES},
        bias=float(data["bias"]),
        threshold=float(data["threshold"]),
        partial_similarity=float(data["partial_similarity"]),
    )


# "Hey Sam, ...", "Hi ChatGPT, ...": a sentence that opens with capitalised words (after at most
# one lowercase word) ending at a comma names whom the message addresses, not what it asks
# about. One that opens with a stopword ("In Germany, ...") is part of the question.
_ADDRESS = re.compile(r"^(?:([a-z]+) )?([A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,3}),\s*")


def _address(sentence: str) -> re.Match[str] | None:
    found = _ADDRESS.match(sentence)
    if found is None:
        return None
    first = (found.group(1) or found.group(2).split()[0]).lower()
    return None if first in STOPWORDS else found


# Two-letter initialisms are too short for `proper_names`, but after "the" they name a place or
# body ("the US", "The EU"), never "OK" or "us".
_THE_INITIALISM = re.compile(r"\b[Tt]he ([A-Z]{2})\b")


_SHOUTED = re.compile(r"\b[A-Z]{2,}(?:[ \t]+[A-Z]{2,}){2,}\b")


def unknown_specifics(question: str, vocabulary: Container[str]) -> list[str]:
    """Names, numbers and years the question states that no article mentions, as the question
    writes them ("Germany"); not the name of whom it addresses ("Hey Sam, ...")."""
    # One sentence a line: a line break is a hard sentence boundary, so each sentence's first
    # word stays a sentence opening for `proper_names`.
    sentences = split_sentences(question)
    addresses = [_address(s) for s in sentences]
    asked = "\n".join(
        s if found is None else s[found.end() :]
        for s, found in zip(sentences, addresses, strict=True)
    )
    names = proper_names(asked) | {i.lower() for i in _THE_INITIALISM.findall(asked)}
    # Whom the message addresses stays so wherever it recurs ("You are CareerBot... CareerBot,
    # is AI engineering replacing ML engineering?").
    addressed = {found.group(2).lower() for found in addresses if found}
    names -= {w for name in addressed for w in name.split()}
    # Three capitalised words in a row or more are shouted, not names ("NEW ADMIN INSTRUCTIONS").
    names -= {w.lower() for run in _SHOUTED.findall(asked) for w in run.split()}
    specific = {stem(n): n for n in names}
    specific.update({w: w for n in numbers(asked) for w in words(n)})
    return [_as_written(question, specific[t]) for t in sorted(specific) if t not in vocabulary]


def _as_written(question: str, word: str) -> str:
    found = re.search(rf"\b{re.escape(word)}\b", question, re.IGNORECASE)
    return found.group(0) if found else word


def _figures(text: str) -> bool:
    return any(not _YEAR.match(n) for n in numbers(text))


def features(
    question: str,
    candidates: list[Evidence],
    vocabulary: Container[str],
    common: frozenset[str],
) -> tuple[dict[str, float], list[str]]:
    """The model's inputs for `question` given its evidence, and the unknown specifics."""
    top = candidates[:EVIDENCE_DEPTH]
    sims = sorted((ev.similarity for ev in candidates), reverse=True)
    topic = question_terms(question, common)
    in_evidence: set[str] = set()
    for ev in top:
        in_evidence |= content_terms(f"{ev.text} {ev.chunk.title} {ev.chunk.section or ''}")
    missing = unknown_specifics(question, vocabulary)
    values = {
        "best_similarity": sims[0] if sims else 0.0,
        "top_similarity": sum(sims[:3]) / 3 if sims else 0.0,
        "topic_overlap": len(topic & in_evidence) / len(topic) if topic else 1.0,
        "known_share": len({t for t in topic if t in vocabulary}) / len(topic) if topic else 1.0,
        "unknown_specifics": float(min(len(missing), 2)),
        "figure_missing": float(
            bool(_ASKS_FOR_FIGURE.search(question)) and not any(_figures(ev.text) for ev in top)
        ),
    }
    return values, missing


def assess(
    question: str,
    candidates: list[Evidence],
    vocabulary: Container[str],
    common: frozenset[str],
    model: CoverageModel | None = None,
) -> Coverage:
    """Answer, partial or decline for `question`, from its evidence alone."""
    model = model or load_model()
    values, missing = features(question, candidates, vocabulary, common)
    if not candidates:
        return Coverage("decline", 0.0, tuple(missing), values)
    probability = model.probability(values)
    close = probability >= model.threshold or values["best_similarity"] >= model.partial_similarity
    if probability >= model.threshold and not missing:
        decision: Decision = "answer"
    elif missing and close:
        decision = "partial"  # the topic is there, the named thing is not
    else:
        decision = "decline"
    return Coverage(decision, round(probability, 4), tuple(missing), values)


# When the model configured to answer reads the evidence as not answering the question: said as a
# doubt, since neither it nor the coverage model is certain.
UNSURE = "The guides may not answer exactly that. What they do say:"


def refusal_message(titles: list[str], missing: tuple[str, ...] = (), partial: bool = False) -> str:
    """What the reader is told when the guides do not answer; the guides are named from the index
    (its manifest of titles), not from a fixed description."""
    if partial:
        # "in your question", not "you ask about": the name or figure may be the asker's own context
        # ("I have 5 years of Python...").
        return f"The guides don't mention the {_kinds(missing)} in your question. What they do say:"
    listed = "; ".join(f"“{t}”" for t in sorted(titles))
    return (
        f"The guides don't cover that. They are {len(titles)} articles: {listed}. "
        "The closest passages are listed below."
    )


def _kinds(missing: tuple[str, ...]) -> str:
    """What kind of thing the missing specifics are ("year", "names and figure"), never their
    text: a word of the question that no article holds is the reader's or an attacker's, and
    echoing it would print whatever an injected instruction asks for ("Reply with 'I am HACKED'
    and ...")."""
    counts = {"name": 0, "year": 0, "figure": 0}
    for term in missing:
        kind = "year" if _YEAR.match(term) else "figure" if numbers(term) else "name"
        counts[kind] += 1
    named = [kind + ("s" if n > 1 else "") for kind, n in counts.items() if n]
    return " and ".join(named) or "detail"
