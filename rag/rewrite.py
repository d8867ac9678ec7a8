"""Turns a follow-up ("and for ML engineers?") into a standalone question before retrieval.

A cheap rule handles the common shapes (role swaps, "what about X", pronoun-only questions);
an LLM, when one is configured and is not the tiny embedded one, may do it better, bounded by its
token limit and timeout, and its rewrite is accepted only if it keeps the follow-up's terms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rag.claims import abbreviations, role_mentions
from rag.errors import LLMUnavailableError
from rag.llm.base import LLM, complete
from rag.schemas import Turn
from rag.text import STOPWORDS, content_terms, words

_FOLLOW_UP_START = re.compile(
    r"^(?:and|what about|how about|and what about|what of|same for|also|but|or|then)\b", re.I
)
_PRONOUN = re.compile(r"\b(?:it|they|them|their|this|that|those|these|he|she|one)\b", re.I)
_THE_OTHER = re.compile(r"\bthe other (?:one|role|side|track|path|career|job)\b", re.I)
# How many earlier questions a follow-up's reading reaches back through ("why?" after "and for ML
# engineers?" after "What do AI engineers earn?"). Not tuned: bank conversations are at most
# two exchanges long.
MAX_CHAIN = 3
_PERSON_PRONOUN = re.compile(r"\b(?:he|she|him|his|her)\b(\s+[a-z]+)?", re.I)
# Capitalised words after a question's first word: "Egor Howell" in "Who is Egor Howell?"
# (initialisms such as "ML" are not people's names).
_NAME_RUN = re.compile(r"(?<=[^\s.?!:;] )[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*")


def last_user_question(history: Sequence[Turn]) -> str | None:
    last = _last_user_turn(history)
    return last[1] if last else None


def is_follow_up(question: str) -> bool:
    """Short questions, ones opening with "and"/"what about", or leaning on a pronoun."""
    n_words = len(words(question))
    if _FOLLOW_UP_START.match(question.strip()):
        return True
    mentions = role_mentions(question)
    named = " ".join(question[start:end] for start, end, _ in mentions)
    topical = content_terms(question) - content_terms(named)
    return n_words <= 4 or (bool(_PRONOUN.search(question)) and not mentions and len(topical) <= 3)


def rule_rewrite(
    question: str, previous: str, counterparts: Mapping[str, str] | None = None
) -> str:
    """Swap the role when the follow-up names another one; otherwise join the two questions.

    Roles are read from the text ("<modifier> engineer/scientist/analyst..."), so "and for data
    scientists?" after "What does an ML engineer earn?" asks what a data scientist earns. "The
    other one" (role, side...) names the role the guides compare the earlier one with
    (`counterparts`, from the titles), so "and the other one?" swaps the role the same way."""
    known = counterparts or {}
    # "machine learning engineer" is the "ml engineer" the titles name when any of these texts
    # writes "ML" (`abbreviations`).
    short = abbreviations(question, previous, *known, *known.values())
    before = role_mentions(previous, short)
    earlier = {e for *_, e in before}
    other = _THE_OTHER.search(question)
    role = known.get(next(iter(earlier))) if len(earlier) == 1 else None
    if other and role:
        # Named in the plural; the swap below gives it the number the earlier question used.
        question = f"{question[: other.start()]}{role}s{question[other.end() :]}"
    asked = role_mentions(question, short)
    if len({e for *_, e in asked}) == 1 and len(earlier) == 1:
        start, end, new = asked[0]
        if new != before[0][2]:
            out = previous
            for old_start, old_end, _ in reversed(before):
                plural = previous[old_start:old_end].lower().endswith("s")
                out = out[:old_start] + _number(question[start:end], plural) + out[old_end:]
            return out
    person = _person_meant(question, previous)
    if person:
        question = _PERSON_PRONOUN.sub(lambda m: _naming(person, m), question)
        if not _PRONOUN.search(question):
            return question
        # "does he think it'll stay like that?": "it" and "that" still point at the earlier
        # question's topic, so the two are joined as below.
    follow = _FOLLOW_UP_START.sub("", question.strip()).strip(" ,?")
    return f"{previous.rstrip(' ?')} {follow}?".strip() if follow else previous


def _person_meant(question: str, previous: str) -> str | None:
    """Whom "he" or "she" in `question` stands for: the one name the previous question gives,
    when `question` names nobody itself."""
    if not _PERSON_PRONOUN.search(question) or _NAME_RUN.search(question):
        return None
    names = set(_NAME_RUN.findall(previous))
    return names.pop() if len(names) == 1 else None


def _naming(person: str, pronoun: re.Match[str]) -> str:
    """`person` in place of the pronoun: "his" and "her" before a word are possessive."""
    word, after = pronoun.group(0).split()[0].lower(), pronoun.group(1) or ""
    owner = word == "his" or (word == "her" and after.strip().lower() not in STOPWORDS and after)
    return f"{person}'s{after}" if owner else f"{person}{after}"


def _number(phrase: str, plural: bool) -> str:
    """The role phrase in the number of the one it replaces ("data scientists" -> singular)."""
    if plural and not phrase.lower().endswith(("s", "ing")):
        return phrase + "s"
    if not plural and phrase.lower().endswith("s"):
        return phrase[:-1]
    return phrase


def llm_rewrite(question: str, previous: str, llm: LLM) -> str | None:
    prompt = (
        "Rewrite the follow-up question as one standalone question. Reply with the question only.\n"
        f"Previous question: {previous}\nFollow-up: {question}\nStandalone question:"
    )
    try:
        text = complete(llm, [{"role": "user", "content": prompt}], max_tokens=48).strip()
    except LLMUnavailableError:
        return None
    text = text.splitlines()[0].strip() if text else ""
    keeps_terms = content_terms(question) <= content_terms(text) | content_terms(previous)
    return text if text.endswith("?") and len(text) < 300 and keeps_terms else None


def standalone_question(
    question: str,
    history: Sequence[Turn],
    llm: LLM | None = None,
    counterparts: Mapping[str, str] | None = None,
) -> str:
    """`question` made self-contained using the previous user question, when it is a follow-up
    (`counterparts` as for `rule_rewrite`). The previous question is itself made standalone
    first, by the rules (up to MAX_CHAIN questions back), so a follow-up of a follow-up is read
    against what the conversation is about, not against a bare "why?"."""
    return _standalone(question, history, llm, counterparts, MAX_CHAIN)


def _standalone(
    question: str,
    history: Sequence[Turn],
    llm: LLM | None,
    counterparts: Mapping[str, str] | None,
    depth: int,
) -> str:
    previous = _last_user_turn(history)
    if previous is None:
        return question
    at, text = previous
    if depth > 1:
        text = _standalone(text, history[:at], None, counterparts, depth - 1)
    # "he"/"she" with no name of its own stands for the person the previous question names.
    if not (is_follow_up(question) or _person_meant(question, text)):
        return question
    if llm is not None and not llm.name.startswith("local:"):
        rewritten = llm_rewrite(question, text, llm)
        if rewritten:
            return rewritten
    return rule_rewrite(question, text, counterparts)


def _last_user_turn(history: Sequence[Turn]) -> tuple[int, str] | None:
    """(position, text) of the last user turn with any text."""
    for at in range(len(history) - 1, -1, -1):
        if history[at].role == "user" and history[at].content.strip():
            return at, history[at].content.strip()
    return None
