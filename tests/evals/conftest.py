"""Fixtures for the eval tests: hand-made items, a tiny index, and an 'oracle' run in which every
answer is its reference, cited verbatim from the index (the best a system could score)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from evals.datasets import EvalItem, load_datasets
from evals.metrics import StoredChunk
from evals.results import ResultRow
from rag.schemas import Citation, Passage

DECLINE = "I could not find this in the guides."


def make_item(
    id: str,
    *,
    question: str = "q?",
    reference: str = "ref",
    facts: tuple[str, ...] = (),
    docs: tuple[str, ...] = ("doc-a",),
    answerable: bool = True,
    dataset: str = "tiny",
) -> EvalItem:
    item = EvalItem(
        id=id,
        question=question,
        reference_answer=reference,
        source_docs=list(docs) if answerable else [],
        answerable=answerable,
        key_facts=list(facts),
    )
    item._dataset = dataset
    return item


def cite(n: int, chunk: StoredChunk, quote: str | None = None) -> Citation:
    return Citation(
        n=n,
        doc_id=chunk.doc_id,
        title="t",
        chunk_id=chunk.chunk_id,
        section=None,
        quote=chunk.text if quote is None else quote,
    )


def passage(chunk: StoredChunk, score: float = 1.0) -> Passage:
    return Passage(doc_id=chunk.doc_id, chunk_id=chunk.chunk_id, text=chunk.text, score=score)


def row(item: EvalItem, answer: str, **kw: object) -> ResultRow:
    fields: dict[str, object] = {"refused": False, "latency_ms": 100.0, "backend": "oracle", **kw}
    return ResultRow(
        answer=answer, id=item.id, question=item.question, dataset=item.dataset, **fields
    )  # type: ignore[arg-type]


def oracle(items: list[EvalItem]) -> tuple[list[ResultRow], dict[str, StoredChunk]]:
    """Every answerable item answered with its reference, citing one chunk that holds exactly the
    reference; every unanswerable item declined. A distractor chunk is retrieved second."""
    chunks: dict[str, StoredChunk] = {
        "noise": StoredChunk("noise", "other-doc", "Unrelated text about gardening.")
    }
    rows = []
    for item in items:
        if not item.answerable:
            rows.append(row(item, DECLINE, refused=True, retrieved=[passage(chunks["noise"])]))
            continue
        chunk = StoredChunk(f"c-{item.id}", item.source_docs[0], item.reference_answer)
        chunks[chunk.chunk_id] = chunk
        rows.append(
            row(
                item,
                f"{item.reference_answer} [1]",
                citations=[cite(1, chunk)],
                retrieved=[passage(chunk), passage(chunks["noise"], 0.5)],
            )
        )
    return rows, chunks


@pytest.fixture(scope="session")
def packaged_items() -> list[EvalItem]:
    return load_datasets()


@pytest.fixture
def oracle_run(packaged_items: list[EvalItem]) -> tuple[list[ResultRow], dict[str, StoredChunk]]:
    return oracle(packaged_items)


@pytest.fixture
def item_factory() -> Callable[..., EvalItem]:
    return make_item
