"""`create_app()`: the FastAPI application, its lifespan, middleware and the chat page.

The lifespan builds the assistant once (embedder, LLM, Chroma: the slow part of start-up) and
hands it, with the settings, the generation gate and the ingest function, to the routes through
lifespan state. Routes live in `api.routes`, error mapping in `api.errors`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api.deps import AssistantFactory, IngestFunction
from api.docs import install_docs
from api.errors import install_error_handlers
from api.limits import GenerationGate
from api.middleware import (
    ApiKeyMiddleware,
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from api.openapi import install_openapi
from api.routes import router
from rag.config import Settings, get_settings
from rag.schemas import IngestSummary

logger = logging.getLogger("api")

STATIC_DIR = Path(__file__).parent / "static"
# The security headers (CSP and the rest) come from `SecurityHeadersMiddleware`, on every response.
PAGE_HEADERS = {"Cache-Control": "no-cache"}


def default_assistant_factory(settings: Settings) -> Any:
    from rag.assistant import Assistant

    return Assistant.from_settings(settings)


def default_ingest(settings: Settings, **kwargs: Any) -> IngestSummary:
    # Imported on use: the API must start even while the ingest package is being changed.
    from ingest.pipeline import ingest_corpus

    return ingest_corpus(settings, **kwargs)


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: security headers, request id and log line, CORS, API key, body limit.

    Headers and the request log wrap everything, so a 401, a 413 or a CORS preflight has them
    too; CORS sits outside the API key so a preflight (which carries no credentials) is
    answered; the key is checked before the body size, so a client without it is not read.
    """
    # Starlette runs the middleware added last first.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    if settings.api_key:
        app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)


def create_app(
    settings: Settings | None = None,
    assistant_factory: AssistantFactory | None = None,
    ingest_function: IngestFunction | None = None,
) -> FastAPI:
    """Build the app. Tests pass a fake `assistant_factory` and `ingest_function`."""
    settings = settings or get_settings()
    factory = assistant_factory or default_assistant_factory
    ingest_fn = ingest_function or default_ingest

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        logger.info("loading the assistant (index, embedder, LLM)")
        assistant = await anyio.to_thread.run_sync(factory, settings)
        gate = GenerationGate(
            settings.max_concurrent_generations,
            settings.max_queued_generations,
            # A queued request may wait for every answer ahead of it, each bounded by the LLM
            # timeout; past that the client is better served by a 503 and a retry.
            max_wait_s=settings.llm_timeout_s * (settings.max_queued_generations + 1),
            wait_answers=settings.generation_wait_answers,
        )
        app.state.gate = gate  # also reachable outside requests, for metrics and tests
        logger.info("ready to answer")
        yield {
            "assistant": assistant,
            "settings": settings,
            "gate": gate,
            "ingest": ingest_fn,
            "ingest_lock": asyncio.Lock(),
        }
        close = getattr(assistant, "close", None)
        if callable(close):
            await anyio.to_thread.run_sync(close)

    app = FastAPI(
        title="career-rag",
        summary="Grounded answers, with cited passages, from AI engineer vs ML engineer guides.",
        version="0.1.0",
        lifespan=lifespan,
        # Served by api.docs from packaged assets; FastAPI's defaults load them from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    install_middleware(app, settings)
    app.include_router(router)
    install_docs(app)
    install_openapi(app, settings)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
