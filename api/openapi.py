"""The OpenAPI schema, with the limits that come from settings written into it.

FastAPI derives the schema from the route and model declarations, which cannot know a setting
such as `max_question_chars`; the fields marked `QUESTION_LIMIT` in `api.schemas` get it here as
`maxLength`, so the schema states what the routes enforce.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.schemas import QUESTION_LIMIT
from rag.config import Settings


def _state_limits(node: Any, max_question_chars: int) -> None:
    if isinstance(node, dict):
        if node.pop(QUESTION_LIMIT, False):
            node["maxLength"] = max_question_chars
        for value in node.values():
            _state_limits(value, max_question_chars)
    elif isinstance(node, list):
        for value in node:
            _state_limits(value, max_question_chars)


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` (and so `/openapi.json`) state the configured question limit."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _state_limits(build(), settings.max_question_chars)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
