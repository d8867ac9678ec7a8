"""FastAPI dependencies: how routes reach the objects the lifespan built.

The lifespan yields one state dict (assistant, settings, generation gate, ingest function and
lock); Starlette copies it onto every request's `request.state`. Routes ask for what they need
through `Depends`, so tests swap the assistant or the ingest function without patching.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.limits import GenerationGate
from rag.config import Settings
from rag.schemas import Answer, DocumentInfo, FallbackReason, IngestSummary, Passage, Turn


class AssistantLike(Protocol):
    """What the API needs from `rag.assistant.Assistant` (tests pass a fake with these methods)."""

    embedder: Any
    ranker: Any  # the ranking encoder, or None

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int | None = None,
        *,
        fallback: FallbackReason | None = None,
    ) -> Answer: ...

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int | None = None,
        *,
        fallback: FallbackReason | None = None,
    ) -> Iterator[str | Answer]: ...

    def search(self, query: str, top_k: int | None = None) -> list[Passage]: ...

    def documents(self) -> list[DocumentInfo]: ...

    def refresh(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


AssistantFactory = Callable[[Settings], AssistantLike]
# Same call shape as `ingest.pipeline.ingest_corpus(settings, embedder=..., ranker=...)`.
IngestFunction = Callable[..., IngestSummary]


def get_assistant(request: Request) -> AssistantLike:
    return request.state.assistant


def get_settings(request: Request) -> Settings:
    return request.state.settings


def get_gate(request: Request) -> GenerationGate:
    return request.state.gate


def get_ingest_function(request: Request) -> IngestFunction:
    return request.state.ingest


def get_ingest_lock(request: Request) -> asyncio.Lock:
    return request.state.ingest_lock


AssistantDep = Annotated[AssistantLike, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
GateDep = Annotated[GenerationGate, Depends(get_gate)]
IngestDep = Annotated[IngestFunction, Depends(get_ingest_function)]
IngestLockDep = Annotated[asyncio.Lock, Depends(get_ingest_lock)]


_bearer = HTTPBearer(auto_error=False, description="The server's CAREER_RAG_ADMIN_TOKEN.")


def require_admin(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with `Authorization: Bearer <admin token>`."""
    expected = settings.admin_token
    if not expected:
        raise ApiError(
            403,
            "admin_disabled",
            "Admin endpoints are disabled because no admin token is configured; set "
            "CAREER_RAG_ADMIN_TOKEN on the server and send it as 'Authorization: Bearer <token>'.",
        )
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiError(
            401,
            "unauthorized",
            "This endpoint needs 'Authorization: Bearer <CAREER_RAG_ADMIN_TOKEN>'.",
            challenge,
        )
    # Constant-time comparison so response timing does not reveal the token.
    if not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "The admin token is not valid.", challenge)


AdminDep = Depends(require_admin)
