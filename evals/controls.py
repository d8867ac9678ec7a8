"""Negative controls: deliberately wrong answer sets, built from a real run, scored by the same
metrics. Each control names the metric it must break; `check` says whether it scored far enough
from the real system to prove that metric can fail. "Far" on a share where higher is better means
MARGIN lower or at most HALF of the system's value (a weak system cannot drop 0.3 from 0.4, but
halving still shows the metric reacts); on a share where lower is better, MARGIN higher; on a
count, COUNT_MARGIN more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evals.datasets import EvalItem
from evals.results import ResultRow
from evals.scoring import METRIC_INFO
from rag.schemas import Citation

MARGIN = 0.3
HALF = 0.5
COUNT_MARGIN = 3
DECLINE_TEXT = "I could not find this in the guides."

_ROLE = re.compile(r"\b(machine learning|ml|ai)(?=[ -]engineer)", re.I)
_NUMBER = re.compile(r"(?<![\w.\[])\d+(?![\]\d])")


def swap_roles(text: str) -> str:
    """AI engineer(ing) <-> ML / machine learning engineer(ing), everywhere in the text."""
    return _ROLE.sub(lambda m: "Machine Learning" if m.group(1).lower() == "ai" else "AI", text)


def change_numbers(text: str) -> str:
    """Every number bumped by 7 (markers like [1] kept); a text without numbers gets an invented
    statistic, so every answer carries at least one figure its sources do not."""
    changed, count = _NUMBER.subn(lambda m: str(int(m.group(0)) + 7), text)
    return changed if count else f"{text.rstrip()} This applies to 37% of roles.".strip()


def reword_quote(quote: str) -> str:
    """The quote with its first two words swapped: close to the source, but not verbatim."""
    parts = quote.split(" ", 2)
    if len(parts) < 2:
        return f"{quote} (paraphrased)"
    return " ".join([parts[1], parts[0], *parts[2:]])


Builder = Callable[[Sequence[EvalItem], Sequence[ResultRow]], list[ResultRow]]


def _roles_swapped(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return [r.model_copy(update={"answer": swap_roles(r.answer)}) for r in rows]


def _numbers_changed(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return [
        r if r.refused else r.model_copy(update={"answer": change_numbers(r.answer)}) for r in rows
    ]


def _other_answer(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    """Each answerable row gets the next answerable row's text, keeping its own citations."""
    answerable = {i.id for i in items if i.answerable}
    pool = [r for r in rows if r.id in answerable]
    shifted = {r.id: pool[(k + 1) % len(pool)].answer for k, r in enumerate(pool)}
    return [r.model_copy(update={"answer": shifted[r.id]}) if r.id in shifted else r for r in rows]


def _empty(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return [r.model_copy(update={"answer": "", "citations": [], "refused": False}) for r in rows]


def _decline_all(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    return [
        r.model_copy(update={"answer": DECLINE_TEXT, "citations": [], "refused": True})
        for r in rows
    ]


def _quotes_reworded(items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> list[ResultRow]:
    def reword(c: Citation) -> Citation:
        return c.model_copy(update={"quote": reword_quote(c.quote)})

    return [r.model_copy(update={"citations": [reword(c) for c in r.citations]}) for r in rows]


@dataclass(frozen=True)
class Control:
    name: str
    description: str
    targets: tuple[str, ...]
    build: Builder


CONTROLS: tuple[Control, ...] = (
    Control(
        "roles_swapped",
        "AI and ML engineer swapped in every answer",
        ("role_fact_recall",),
        _roles_swapped,
    ),
    Control(
        "numbers_changed",
        "every number changed (or a figure invented)",
        ("unsupported_numbers",),
        _numbers_changed,
    ),
    Control(
        "other_answer",
        "each answer replaced by another question's answer (own citations kept)",
        ("key_fact_recall", "supported_sentences"),
        _other_answer,
    ),
    Control("empty", "every answer empty", ("key_fact_recall",), _empty),
    Control("decline_all", "every question declined", ("answerable_declined",), _decline_all),
    Control(
        "quotes_reworded", "every quote lightly reworded", ("citation_validity",), _quotes_reworded
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


def check(
    control: Control, system: Mapping[str, Any], scored: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One verdict per target metric: system value, control value, whether it is far worse."""
    out = []
    for metric in control.targets:
        sv, cv = system[metric]["value"], scored[metric]["value"]
        out.append(
            {
                "control": control.name,
                "metric": metric,
                "system": sv,
                "control_value": cv,
                "n": scored[metric]["n"],
                "far_worse": far_from(metric, sv, cv),
            }
        )
    return out
