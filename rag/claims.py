"""What a sentence asserts beyond its words: polarity, degree words, and what attaches to whom.

Verification uses these to refuse sentences that reuse the evidence's words but change its
meaning: a negation added or dropped, "more" where the evidence says "less", "all" where it says
"some", or a figure, name or trait moved from one entity to another ("£105k" said of AI engineers
when the evidence gives it to ML engineers). Entities are read from the text itself: role phrases
("<modifier> engineer/scientist/developer/analyst/researcher/manager") and multi-word capitalised
names, so a new article about data scientists needs no code change. Pure functions, no models.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import pairwise

from rag.text import STOPWORDS, words

NEGATIONS = frozenset("no not nor never none neither cannot without n't".split())
# Words that set a degree or a direction: replacing one by its opposite reverses a claim.
DEGREE_WORDS = frozenset(
    """more less fewer most least higher lower highest lowest better worse best worst easier
    harder easiest hardest larger smaller largest smallest greater greatest bigger biggest faster
    slower stronger weaker earlier later longer shorter all every always only none""".split()
)
_ROLE_NOUNS = (
    "engineer engineers engineering scientist scientists science developer developers analyst "
    "analysts researcher researchers manager managers"
).split()
_ROLE_NOUN_SET = frozenset(_ROLE_NOUNS)


def abbreviations(*texts: str) -> dict[str, str]:
    """Two-word names the texts also write as their initials: "machine learning" -> "ml" when
    one of them says "ML" and one spells it out, so "ML engineer" and "machine learning engineer"
    are the same role. Read from the texts compared, not from a fixed table."""
    tokens = [words(t) for t in texts]
    present = {t for ts in tokens for t in ts if len(t) == 2 and t.isalpha()} - STOPWORDS
    out = {}
    for ts in tokens:
        for a, b in pairwise(ts):
            spelled = len(a) > 2 and len(b) > 2 and not {a, b} & STOPWORDS  # not "AI Platform"
            if spelled and a[0] + b[0] in present:
                out[f"{a} {b}"] = a[0] + b[0]
    return out


def negations(text: str) -> int:
    """How many negations the text holds (not, never, no, can't, without...): a sentence that
    adds one to, or drops one from, its evidence says the opposite somewhere."""
    return sum(1 for w in words(text) if w in NEGATIONS or w.endswith("n't"))


def degree_words(text: str) -> Counter[str]:
    return Counter(w for w in words(text) if w in DEGREE_WORDS)


def _entity(tokens: list[str], i: int, short: Mapping[str, str]) -> str | None:
    """The role named by a role noun at position `i`, from up to two modifiers before it
    (`short`: `abbreviations` of the texts compared)."""
    modifiers = [t for t in tokens[max(0, i - 2) : i] if t not in STOPWORDS]
    if not modifiers:
        return None
    name = " ".join(modifiers)
    if len(modifiers) == 2 and name not in short:
        name = modifiers[-1]  # "good ml engineer" -> "ml"
    name = short.get(name, name)
    noun = tokens[i]
    family = "science" if noun.startswith("scien") else re.sub(r"(s|ing)$", "", noun)
    return f"{name} {family}"


def entity_positions(text: str, short: Mapping[str, str] | None = None) -> list[tuple[int, str]]:
    """(token position, entity) of every role named in `text`, in order; two-word names are
    abbreviated as `short` says (by default, as the text itself abbreviates them)."""
    tokens = words(text)
    short = abbreviations(text) if short is None else short
    out = []
    for i, token in enumerate(tokens):
        if token in _ROLE_NOUN_SET:
            entity = _entity(tokens, i, short)
            if entity:
                out.append((i, entity))
    return out


_ROLE_NOUN = re.compile(r"\b(?:" + "|".join(_ROLE_NOUNS) + r")\b", re.IGNORECASE)
_WORDS_BEFORE = re.compile(r"((?:[A-Za-z][\w'’-]*\s+){1,2})$")


def role_mentions(text: str, short: Mapping[str, str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, entity) of every role phrase in `text` ("an ML engineer" -> the span of
    "ML engineer", entity "ml engineer"), for rewriting one role into another (`short` as for
    `entity_positions`)."""
    short = abbreviations(text) if short is None else short
    out = []
    for match in _ROLE_NOUN.finditer(text):
        before = _WORDS_BEFORE.search(text[: match.start()])
        if before is None:
            continue
        modifiers = before.group(1).split()
        while modifiers and modifiers[0].lower() in STOPWORDS:
            modifiers.pop(0)
        tokens = [m.lower() for m in modifiers] + [match.group(0).lower()]
        entity = _entity(tokens, len(tokens) - 1, short)
        if entity is None:
            continue
        # The span holds every modifier: "machine learning engineer", not "learning engineer".
        start = text.rfind(modifiers[0], 0, match.start())
        out.append((start, match.end(), entity))
    return out


def entities(text: str, short: Mapping[str, str] | None = None) -> set[str]:
    return {e for _, e in entity_positions(text, short)}


def counterparts(titles: Iterable[str]) -> dict[str, str]:
    """Each role the articles' titles name -> the role most often named beside it there, as
    the titles write it ("AI Engineer vs ML Engineer": "ml engineer" -> "ai engineer"), so that
    "the other one" in a follow-up can be resolved from the corpus rather than a fixed pair."""
    titles = list(titles)
    short = abbreviations(*titles)
    beside: dict[str, Counter[str]] = {}
    written: dict[str, set[str]] = {}
    for title in titles:
        mentions = role_mentions(title, short)
        named = {entity for *_, entity in mentions}
        for start, end, entity in mentions:
            written.setdefault(entity, set()).add(title[start:end].lower())
        for role in named:
            beside.setdefault(role, Counter()).update(named - {role})
    out = {}
    for role, counts in beside.items():
        if counts:
            other = max(sorted(counts), key=counts.__getitem__)  # a tie goes alphabetically
            out[role] = min(written[other], key=lambda w: (len(w), w))  # "engineer" < "engineering"
    return out


def attachments(
    text: str, terms: Iterable[str], short: Mapping[str, str] | None = None
) -> dict[str, set[str]]:
    """Each of `terms` that occurs in the text -> the entities named nearest before it."""
    tokens = words(text)
    mentions = entity_positions(text, short)
    wanted = set(terms)
    out: dict[str, set[str]] = {}
    for i, token in enumerate(tokens):
        if token not in wanted:
            continue
        before = [e for pos, e in mentions if pos <= i]
        if before:
            out.setdefault(token, set()).add(before[-1])
    return out


def meaning_changes(sentence: str, evidence: str) -> list[str]:
    """How `sentence` changes what `evidence` says (empty when it does not, as far as these
    checks can tell): polarity, degree words, an entity the evidence does not talk about, or a
    word attached to a different entity than in the evidence."""
    problems = []
    if negations(sentence) != negations(evidence):
        problems.append("negation differs from its evidence")
    new_degree = degree_words(sentence) - degree_words(evidence)  # counted: "more ... more"
    if new_degree:
        problems.append("says " + ", ".join(sorted(new_degree)) + " where its evidence does not")
    short = abbreviations(sentence, evidence)
    said, source = entities(sentence, short), entities(evidence, short)
    if said - source:
        # Also when the evidence names no one ("They do not build models"): who "they" are is
        # not in the sentence that would be cited, so naming them cannot be checked.
        problems.append("talks about " + ", ".join(sorted(said - source)) + " unlike its evidence")
    if len(source) > 1 or (said and source and said != source):
        shared = (set(words(sentence)) & set(words(evidence))) - STOPWORDS - _ROLE_NOUN_SET
        mine = attachments(sentence, shared, short)
        theirs = attachments(evidence, shared, short)
        moved = sorted(t for t in mine if t in theirs and not mine[t] & theirs[t])
        if moved:
            problems.append("attaches " + ", ".join(moved[:4]) + " to another entity")
    return problems
