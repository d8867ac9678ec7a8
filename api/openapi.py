"""The OpenAPI schema, with what the settings and the middleware enforce written into it.

FastAPI derives the schema from the route and model declarations, which cannot know a setting
such as `max_question_chars`; the fields marked `QUESTION_LIMIT` in `api.schemas` get it here as
`maxLength`, so the schema states what the routes enforce. Likewise for `api.middleware`: every
operation with a body documents the 413 of the body-size limit, and when an API key is set the
chat operations declare the `ChatApiKey` bearer scheme and its 401.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.errors import uses_openai_errors
from api.middleware import is_chat_route
from api.schemas import QUESTION_LIMIT
from rag.config import Settings

API_KEY_SCHEME = "ChatApiKey"
_METHODS = ("get", "post", "put", "patch", "delete")


def _state_limits(node: Any, max_question_chars: int) -> None:
    if isinstance(node, dict):
        if node.pop(QUESTION_LIMIT, False):
            node["maxLength"] = max_question_chars
        for value in node.values():
            _state_limits(value, max_question_chars)
    elif isinstance(node, list):
        for value in node:
            _state_limits(value, max_question_chars)


def _error_response(path: str, description: str) -> dict[str, Any]:
    model = "OpenAIErrorResponse" if uses_openai_errors(path) else "ErrorResponse"
    ref = {"$ref": f"#/components/schemas/{model}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _state_middleware(schema: dict[str, Any], settings: Settings) -> None:
    """Document the body-size limit's 413 and, with an API key set, the chat routes' security."""
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault(
                    "413",
                    _error_response(path, f"Body over {settings.max_request_bytes} bytes"),
                )
            if settings.api_key and is_chat_route(path):
                operation["security"] = [{API_KEY_SCHEME: []}]
                responses.setdefault("401", _error_response(path, "Missing or wrong API key"))
    if settings.api_key:
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[API_KEY_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "description": "The server's CAREER_RAG_API_KEY (OpenAI clients: `api_key`).",
        }


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` (and so `/openapi.json`) state the configured limits and security."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            _state_limits(schema, settings.max_question_chars)
            _state_middleware(schema, settings)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
