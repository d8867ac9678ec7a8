"""The data shapes that cross module and process boundaries (CLI JSON, API JSON, eval results).

Field names follow the Answer contract in the project guide; extend, never rename.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ChunkKind = Literal["section", "faq", "table", "quiz", "intro"]
# Why an answer is the quotes-only one although a model is configured (see Answer.fallback).
FallbackReason = Literal["generator_busy", "llm_unavailable"]


class Passage(BaseModel):
    """A retrieved chunk of an article, with its fused retrieval score."""

    doc_id: str
    chunk_id: str
    text: str
    score: float
    title: str = ""
    section: str | None = None
    kind: str = "section"


class Citation(BaseModel):
    """One numbered source of an answer; `quote` is verbatim text of the cited chunk."""

    n: int
    doc_id: str
    title: str
    chunk_id: str
    section: str | None
    quote: str


class Answer(BaseModel):
    """The assistant's reply: verified text, its citations and the passages it looked at."""

    answer: str
    refused: bool
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[Passage] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    standalone_question: str | None = Field(
        default=None, description="The question as rewritten from the conversation, when it was."
    )
    backend: str | None = None
    coverage: Literal["answer", "partial", "decline"] | None = Field(
        default=None,
        description="answer; partial (what the guides do not give is said, then what they do, "
        "quoted; refused is true); decline (refused).",
    )
    fallback: FallbackReason | None = Field(
        default=None,
        description="Set when no model drafted this answer although one is configured, so it is "
        "the quotes-only answer (verified evidence sentences, quoted and cited): "
        "`generator_busy` (every generation slot was taken and the client did not ask to wait), "
        "`llm_unavailable` (the model failed, timed out or sent garbage).",
    )


class Turn(BaseModel):
    """One prior message of a conversation, sent by the client (the server keeps no state)."""

    role: Literal["user", "assistant", "system"]
    content: str


class DocumentInfo(BaseModel):
    """An ingested article as the index sees it."""

    doc_id: str
    title: str
    publisher: str | None = None
    chunks: int
    content_hash: str
    ingested_at: str


class IngestSummary(BaseModel):
    """What one ingest run did; printed by `career-rag ingest --json` and `POST /ingest`."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks: int = 0
    seconds: float = 0.0
    errors: list[str] = Field(default_factory=list)
