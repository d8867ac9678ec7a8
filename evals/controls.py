"""Negative controls: deliberately wrong answer sets, built from a real run, scored by the same
metrics. A control names the metric it must break; `check` says whether it scored far enough
from the real system to prove that metric can fail, and the gate fails when one does not.

Two kinds. Row controls corrupt whole answers (another question's answer, every question
declined...) and compare an aggregate. Sentence controls corrupt single sentences where the
corruption applies (roles swapped, a number moved to another entity, a negation inserted, a
comparative flipped) and compare the supported share of exactly the sentences they changed with
the system's share on the same sentences as written: a metric that still calls most corrupted
sentences supported cannot see that kind of error, however few of them a run has.

"Far" on a share where higher is better means MARGIN lower or at most HALF of the system's value;
where lower is better, MARGIN higher; on a count, COUNT_MARGIN more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evals.attribution import COMPARATIVE_FLIPS, quoted_flags
from evals.datasets import EvalItem
from evals.metrics import quoted_spans
from evals.results import ResultRow
from evals.scoring import METRIC_INFO
from evals.text import sentences
from rag.schemas import Citation

MARGIN = 0.3
HALF = 0.5
COUNT_MARGIN = 3
MIN_CHANGED = 5  # fewer corrupted sentences than this say nothing either way
DECLINE_TEXT = "I could not find this in the guides."

_ROLE = re.compile(r"\b(machine learning|ml|ai|artificial intelligence)(?=[ -]engineer)", re.I)
_NUMBER = re.compile(r"(?<![\w.\[])\d+(?:[.,]\d+)*(?![\]\d])")
_MARKERS = re.compile(r"(\s*(?:\[\d+\])+\s*)$")
_AUXILIARY = re.compile(
    r"\b(is|are|was|were|can|will|should|must|may|might|could|would|do|does|has|have)\b", re.I
)
_NEGATED = {"can": "cannot", "will": "won't"}
_COMPARATIVE = re.compile(r"\b(" + "|".join(COMPARATIVE_FLIPS) + r")\b", re.I)


def _keep_case(old: str, new: str) -> str:
    return new.capitalize() if old[:1].isupper() else new


def swap_roles(text: str) -> str:
    """AI engineer(ing) <-> ML / machine learning engineer(ing), everywhere in the text."""

    def swap(m: re.Match[str]) -> str:
        is_ai = m.group(1).lower() in {"ai", "artificial intelligence"}
        return "Machine Learning" if is_ai else "AI"

    return _ROLE.sub(swap, text)


def move_numbers(text: str, elsewhere: Sequence[str] = ()) -> str:
    """Two different numbers of the text swap places; a text with one number gets a number that
    stands elsewhere in the same answer's sources (so it is a real figure, of another entity)."""
    found = _NUMBER.findall(text)
    distinct = list(dict.fromkeys(found))
    if len(distinct) >= 2:
        a, b = distinct[:2]
        return _NUMBER.sub(
            lambda m: b if m.group(0) == a else a if m.group(0) == b else m.group(0), text
        )
    if len(distinct) == 1:
        other = next((n for n in elsewhere if n != distinct[0]), None)
        if other is not None:
            return _NUMBER.sub(
                lambda m: other if m.group(0) == distinct[0] else m.group(0), text, 1
            )
    return text


def change_numbers(text: str) -> str:
    """Every number bumped by 7 (markers like [1] kept); a text without numbers gets an invented
    statistic, so every answer carries at least one figure its sources do not."""
    changed, count = re.subn(r"(?<![\w.\[])\d+(?![\]\d])", lambda m: str(int(m.group(0)) + 7), text)
    return changed if count else f"{text.rstrip()} This applies to 37% of roles.".strip()


def insert_negation(text: str) -> str:
    """'X is Y' -> 'X is not Y' at the first auxiliary verb (can -> cannot); else unchanged."""

    def negate(m: re.Match[str]) -> str:
        word = m.group(0)
        lowered = word.lower()
        return _keep_case(word, _NEGATED[lowered]) if lowered in _NEGATED else f"{word} not"

    return _AUXILIARY.sub(negate, text, count=1)


def flip_comparative(text: str) -> str:
    """Every comparative or superlative reversed ("more" -> "less", "higher" -> "lower")."""
    return _COMPARATIVE.sub(
        lambda m: _keep_case(m.group(0), COMPARATIVE_FLIPS[m.group(0).lower()]), text
    )


def reword_quote(quote: str) -> str:
    """The quote with its first two words swapped: close to the source, but not verbatim."""
    parts = quote.split(" ", 2)
    if len(parts) < 2:
        return f"{quote} (paraphrased)"
    return " ".join([parts[1], parts[0], *parts[2:]])


Builder = Callable[[Sequence[EvalItem], Sequence[ResultRow]], list[ResultRow]]


def _per_sentence(
    rows: Sequence[ResultRow], corrupt: Callable[[str, ResultRow], str]
) -> list[ResultRow]:
    """Each answered row with `corrupt` applied to every sentence (markers kept in place)."""
    out = []
    for r in rows:
        if r.refused or not r.answer.strip():
            out.append(r)
            continue
        parts = []
        for sentence in sentences(r.answer):
            tail = _MARKERS.search(sentence)
            body = sentence[: tail.start()] if tail else sentence
            parts.append(corrupt(body, r) + (tail.group(1) if tail else ""))
        out.append(r.model_copy(update={"answer": " ".join(parts)}))
    return out


def _quoted_numbers(row: ResultRow) -> list[str]:
    return [n for c in row.citations for n in _NUMBER.findall(c.quote)]


def _roles_swapped(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return _per_sentence(rows, lambda s, r: swap_roles(s))


def _numbers_moved(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return _per_sentence(rows, lambda s, r: move_numbers(s, _quoted_numbers(r)))


def _negation_inserted(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return _per_sentence(rows, lambda s, r: insert_negation(s))


def _comparative_flipped(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return _per_sentence(rows, lambda s, r: flip_comparative(s))


def _numbers_changed(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return [
        r if r.refused else r.model_copy(update={"answer": change_numbers(r.answer)}) for r in rows
    ]


def _model_sentences_dropped(
    items: Sequence[EvalItem], rows: Sequence[ResultRow]
) -> list[ResultRow]:
    def quotes_only(r: ResultRow) -> ResultRow:
        parts = sentences(r.answer)
        kept = [s for s, quoted in zip(parts, quoted_flags(parts), strict=True) if quoted]
        return r.model_copy(update={"answer": " ".join(kept)})

    return [r if r.refused else quotes_only(r) for r in rows]


def _other_answer(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    """Each answerable row gets the next answerable row's text, keeping its own citations."""
    answerable = {i.id for i in items if i.answerable}
    pool = [r for r in rows if r.id in answerable]
    shifted = {r.id: pool[(k + 1) % len(pool)].answer for k, r in enumerate(pool)}
    return [r.model_copy(update={"answer": shifted[r.id]}) if r.id in shifted else r for r in rows]


def _shuffled_retrieval(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    """Each answerable row gets the retrieved passages of the next answerable row."""
    answerable = {i.id for i in items if i.answerable}
    pool = [r for r in rows if r.id in answerable]
    shifted = {r.id: pool[(k + 1) % len(pool)].retrieved for k, r in enumerate(pool)}
    return [
        r.model_copy(update={"retrieved": shifted[r.id]}) if r.id in shifted else r for r in rows
    ]


def _answer_everything(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    """Every declined row answered anyway with its best retrieved passage, quoted and cited."""

    def answer(r: ResultRow) -> ResultRow:
        if not r.refused or not r.retrieved:
            return r
        top = r.retrieved[0]
        quote = (sentences(top.text) or [top.text])[0]
        cite = Citation(
            n=1,
            doc_id=top.doc_id,
            title=top.title,
            chunk_id=top.chunk_id,
            section=top.section,
            quote=quote,
        )
        return r.model_copy(
            update={"answer": f"“{quote}” [1]", "citations": [cite], "refused": False}
        )

    return [answer(r) for r in rows]


def _empty(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return [r.model_copy(update={"answer": "", "citations": [], "refused": False}) for r in rows]


def _decline_all(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return [
        r.model_copy(update={"answer": DECLINE_TEXT, "citations": [], "refused": True})
        for r in rows
    ]


def _quotes_reworded(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    """Every citation's quote and every quotation in the answer text lightly reworded."""

    def reword(c: Citation) -> Citation:
        return c.model_copy(update={"quote": reword_quote(c.quote)})

    def reword_text(answer: str) -> str:
        for span in set(quoted_spans(answer)):
            answer = answer.replace(f"“{span}”", f"“{reword_quote(span)}”")
        return answer

    return [
        r.model_copy(
            update={
                "answer": reword_text(r.answer),
                "citations": [reword(c) for c in r.citations],
            }
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Control:
    name: str
    description: str
    targets: tuple[str, ...]
    build: Builder
    per_sentence: bool = False  # compare only the sentences the corruption changed
    needs_model: bool = False  # meaningless for a run whose answers are quotes only


CONTROLS: tuple[Control, ...] = (
    Control(
        "roles_swapped",
        "AI and ML engineer swapped in every sentence",
        ("supported_sentences",),
        _roles_swapped,
        per_sentence=True,
    ),
    Control(
        "numbers_moved",
        "numbers moved to another entity (swapped within a sentence, or taken from another source)",
        ("supported_sentences",),
        _numbers_moved,
        per_sentence=True,
    ),
    Control(
        "negation_inserted",
        "a negation inserted at the first auxiliary verb of every sentence",
        ("supported_sentences",),
        _negation_inserted,
        per_sentence=True,
    ),
    Control(
        "comparative_flipped",
        "every comparative and superlative reversed",
        ("supported_sentences",),
        _comparative_flipped,
        per_sentence=True,
    ),
    Control(
        "numbers_changed",
        "every number changed (or a figure invented)",
        ("unsupported_numbers",),
        _numbers_changed,
    ),
    Control(
        "model_sentences_dropped",
        "only the quoted sentences kept: what the model itself adds",
        ("model_fact_recall",),
        _model_sentences_dropped,
        needs_model=True,
    ),
    Control(
        "other_answer",
        "each answer replaced by another question's answer (own citations kept)",
        ("key_fact_recall", "supported_sentences"),
        _other_answer,
    ),
    Control(
        "shuffled_retrieval",
        "each question gets another question's retrieved passages",
        ("hit_at_k", "mrr"),
        _shuffled_retrieval,
    ),
    Control(
        "answer_everything",
        "every declined question answered with its best passage",
        ("unanswerable_declined",),
        _answer_everything,
    ),
    Control("empty", "every answer empty", ("key_fact_recall",), _empty),
    Control("decline_all", "every question declined", ("answerable_declined",), _decline_all),
    Control(
        "quotes_reworded",
        "every quote lightly reworded",
        ("citation_validity", "verbatim_quotes"),
        _quotes_reworded,
    ),
)


def far_from(metric: str, system: float | None, control: float | None) -> bool:
    """True when the control is clearly worse than the system on `metric`."""
    if system is None or control is None:
        return False
    info = METRIC_INFO[metric]
    if not info.share:
        return (
            control >= system + COUNT_MARGIN
            if not info.higher_is_better
            else control <= system - COUNT_MARGIN
        )
    if info.higher_is_better:
        return control <= system - MARGIN or (system > 0 and control <= system * HALF)
    return control >= system + MARGIN


def _verdict(control: Control, metric: str, sv: Any, cv: Any, n: int, applicable: bool) -> dict:
    return {
        "control": control.name,
        "metric": metric,
        "system": sv,
        "control_value": cv,
        "n": n,
        "applicable": applicable,
        "far_worse": far_from(metric, sv, cv) if applicable else None,
    }


def check(
    control: Control, system: Mapping[str, Any], scored: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One verdict per target metric of a row control: system value, control value, far worse."""
    out = []
    for metric in control.targets:
        sv, cv = system[metric]["value"], scored[metric]["value"]
        n = scored[metric]["n"]
        out.append(_verdict(control, metric, sv, cv, n, applicable=sv is not None))
    return out


def check_sentences(
    control: Control,
    system_records: Sequence[Mapping[str, Any]],
    control_records: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The verdict of a sentence control: supported share of the sentences it changed, against
    the system's share on the same sentences as written."""
    before: list[bool] = []
    after: list[bool] = []
    for original, corrupted in zip(system_records, control_records, strict=True):
        pairs = zip(original["sentences"], corrupted["sentences"], strict=False)
        for s, c in pairs:
            if s["text"] != c["text"]:
                before.append(s["supported"])
                after.append(c["supported"])
    n = len(before)
    applicable = n >= MIN_CHANGED
    sv = sum(before) / n if n else None
    cv = sum(after) / n if n else None
    return [_verdict(control, metric, sv, cv, n, applicable) for metric in control.targets]


def failures(verdicts: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per applicable control that did not score far worse than the system."""
    out = []
    for v in verdicts:
        if v["applicable"] and not v["far_worse"]:
            out.append(
                f"control not far worse: {v['control']} on {v['metric']}: "
                f"system {v['system']}, control {v['control_value']} (n={v['n']})"
            )
    return out
