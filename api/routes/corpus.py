"""Retrieval and corpus routes: `GET /search`, `GET /documents`, `POST /ingest` (admin only).

Re-ingestion runs in a worker thread while queries keep being answered from the current index;
the assistant's keyword index is swapped in by `refresh()` once the new chunks are stored. The
ingest function itself belongs to `ingest.pipeline` and is injected (tests pass a fake).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, AssistantDep, IngestDep, IngestLockDep, SettingsDep
from api.errors import ApiError
from api.routes.chat import check_question
from api.schemas import QUESTION_TEXT, ErrorResponse
from rag.schemas import DocumentInfo, IngestSummary, Passage

router = APIRouter(tags=["corpus"])


@router.get(
    "/search",
    response_model=list[Passage],
    responses={
        422: {"model": ErrorResponse, "description": "Empty or too long query, bad top_k"},
        503: {"model": ErrorResponse, "description": "Index not ready"},
    },
)
async def search(
    q: Annotated[
        str,
        Query(
            description="What to look for; at most `max_question_chars` characters.",
            json_schema_extra=QUESTION_TEXT,
        ),
    ],
    assistant: AssistantDep,
    settings: SettingsDep,
    top_k: Annotated[int | None, Query(ge=1, le=20, description="How many passages.")] = None,
) -> list[Passage]:
    """Retrieval only (no generation): the best matching passages, best first."""
    check_question(q, settings)
    return await run_in_threadpool(assistant.search, q, top_k)


@router.get("/documents", response_model=list[DocumentInfo])
async def documents(assistant: AssistantDep) -> list[DocumentInfo]:
    """Each ingested article with its title, chunk count, content hash and ingest time."""
    return await run_in_threadpool(assistant.documents)


@router.post(
    "/ingest",
    response_model=IngestSummary,
    dependencies=[AdminDep],
    responses={
        401: {"model": ErrorResponse, "description": "Missing or wrong admin token"},
        403: {
            "model": ErrorResponse,
            "description": "No admin token configured (set CAREER_RAG_ADMIN_TOKEN)",
        },
        409: {"model": ErrorResponse, "description": "A re-ingest is already running"},
    },
)
async def ingest(
    assistant: AssistantDep, settings: SettingsDep, ingest_fn: IngestDep, lock: IngestLockDep
) -> IngestSummary:
    """Re-ingest the corpus folder (incremental) and return what changed.

    Needs `Authorization: Bearer <CAREER_RAG_ADMIN_TOKEN>`. Questions keep being answered
    meanwhile; the new index is used as soon as this returns.
    """
    if lock.locked():
        raise ApiError(409, "conflict", "A re-ingest is already running; wait for it to finish.")
    async with lock:
        summary = await run_in_threadpool(
            ingest_fn, settings, embedder=assistant.embedder, ranker=assistant.ranker
        )
        await run_in_threadpool(assistant.refresh)
    return summary
