"""Probes: `GET /health` (the process answers) and `GET /ready` (it can answer questions)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import AssistantDep
from api.errors import error_body
from api.schemas import Health, NotReady, Readiness

router = APIRouter(tags=["health"])
logger = logging.getLogger("api")


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Liveness: always 200 while the process serves requests."""
    return Health()


@router.get(
    "/ready",
    response_model=Readiness,
    responses={
        503: {"model": NotReady, "description": "Index empty or LLM not ready; the body says which"}
    },
)
async def ready(assistant: AssistantDep) -> JSONResponse:
    """Readiness: 200 when the index has chunks and the LLM is loaded or reachable, else 503."""
    try:
        status = await run_in_threadpool(assistant.status)
    except Exception:
        logger.exception("readiness check failed")
        status = {}
    readiness = Readiness(
        ready=False,
        chunks=int(status.get("chunks") or 0),
        llm=str(status.get("llm") or ""),
        llm_ready=bool(status.get("llm_ready")),
    )
    readiness.ready = readiness.chunks > 0 and readiness.llm_ready
    if readiness.ready:
        return JSONResponse(readiness.model_dump())
    if readiness.chunks <= 0:
        reason = "The index is empty or unreachable; run `career-rag ingest` (or POST /ingest)."
    else:
        reason = f"The LLM backend {readiness.llm!r} is not ready."
    return JSONResponse(
        {**readiness.model_dump(), **error_body("not_ready", reason)}, status_code=503
    )
