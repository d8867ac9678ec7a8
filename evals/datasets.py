"""Loads and validates eval datasets (JSONL, one question per line, format in the project guide).

Each line must be a JSON object with `id`, `question`, `reference_answer`, `source_docs`,
`answerable` and `key_facts` of the right types; ids must be unique across everything loaded
together. Extra keys (e.g. `split`) are kept, not rejected. Scoring is left to `evals.metrics`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
)

from rag.schemas import Turn

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
DEFAULT_DATASETS = ("faq", "quiz", "unanswerable")


class DatasetError(ValueError):
    """Raised when a dataset file is missing or a line is malformed; names the file and line."""


CATEGORIES = frozenset(
    "paraphrase source-naming informal synthesis list table faq conversation near-miss off-topic "
    "injection".split()
)


class EvalItem(BaseModel):
    """One question of an eval dataset; `dataset` is the stem of the file it came from.

    Optional keys: `category` (one of CATEGORIES), `history` (earlier turns of a conversation),
    `must_not_contain` (strings the answer must never hold), `evidence` (verbatim snippets of the
    source docs where the answer is; they decide which chunks are relevant). Other extra keys are
    kept as they are."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: StrictStr
    question: StrictStr
    reference_answer: StrictStr
    source_docs: list[StrictStr]
    answerable: StrictBool
    key_facts: list[StrictStr]
    category: StrictStr | None = None
    history: list[Turn] = []
    must_not_contain: list[StrictStr] = []
    evidence: list[StrictStr] = []
    _dataset: str = PrivateAttr(default="")

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if value is not None and value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r} (known: {', '.join(sorted(CATEGORIES))})")
        return value

    @property
    def dataset(self) -> str:
        return self._dataset

    @property
    def extra(self) -> dict[str, Any]:
        """Extra keys beyond the documented ones, kept as they were."""
        return dict(self.model_extra or {})


def _describe(error: ValidationError) -> str:
    parts = []
    for err in error.errors():
        where = ".".join(str(p) for p in err["loc"]) or "line"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def load_dataset(path: Path, seen: dict[str, str] | None = None) -> list[EvalItem]:
    """Every item of one JSONL file. `seen` maps ids to 'file:line' and catches duplicates across
    files loaded together."""
    seen = {} if seen is None else seen
    if not path.is_file():
        raise DatasetError(f"{path}: dataset file not found")
    items: list[EvalItem] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue  # a trailing blank line is not an error
        where = f"{path.name}:{lineno}"
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: invalid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise DatasetError(f"{where}: expected a JSON object, got {type(data).__name__}")
        try:
            item = EvalItem(**data)
        except ValidationError as exc:
            raise DatasetError(f"{where}: {_describe(exc)}") from None
        if not item.id.strip() or not item.question.strip():
            raise DatasetError(f"{where}: id and question must not be empty")
        if item.answerable and not item.key_facts:
            raise DatasetError(f"{where}: an answerable item needs at least one key fact")
        if any(not alt.strip() for fact in item.key_facts for alt in fact.split("|")):
            raise DatasetError(f"{where}: empty key-fact alternative")
        if item.id in seen:
            raise DatasetError(f"{where}: duplicate id {item.id!r} (first at {seen[item.id]})")
        seen[item.id] = where
        item._dataset = path.stem
        items.append(item)
    if not items:
        raise DatasetError(f"{path}: no items")
    return items


def resolve(name_or_path: str) -> Path:
    """A dataset path: an existing file, or the name of a packaged dataset ('faq', 'quiz.jsonl')."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    packaged = DATASETS_DIR / (
        name_or_path if name_or_path.endswith(".jsonl") else f"{name_or_path}.jsonl"
    )
    return packaged if packaged.is_file() else path


def load_datasets(names: Iterable[str] | None = None) -> list[EvalItem]:
    """All items of the named datasets (default: faq, quiz, unanswerable); ids unique across all."""
    seen: dict[str, str] = {}
    items: list[EvalItem] = []
    for name in names or DEFAULT_DATASETS:
        items.extend(load_dataset(resolve(name), seen))
    return items


def dataset_names(items: Sequence[EvalItem]) -> list[str]:
    """The dataset stems present, in first-seen order."""
    return list(dict.fromkeys(item.dataset for item in items))


def write_dataset(path: Path, items: Iterable[EvalItem]) -> None:
    """`items` as a JSONL dataset file: one item a line, id and question first, defaults left
    out (what `load_dataset` reads back)."""
    lines = []
    for item in items:
        data = item.model_dump(exclude_defaults=True)
        ordered = {k: data[k] for k in ("id", "question") if k in data} | data
        lines.append(json.dumps(ordered, ensure_ascii=False) + "\n")
    path.write_text("".join(lines), encoding="utf-8")
