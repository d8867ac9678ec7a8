"""Every error the API returns, mapped to an HTTP response in this one module.

Domain errors come from `rag.errors`; `ApiError` covers the few failures that only exist at the
HTTP layer (authentication, a re-ingest already running). Every error body has the same shape,
`{"error": {"type": str, "message": str}}`, plus `details` for request validation, so clients
and people can read it; stack traces only ever go to the server log.

Under `/v1/`, the OpenAI-compatible API, the same errors take OpenAI's shape instead,
`{"error": {"message", "type", "param", "code"}}`, with this project's error type as `code`, so
OpenAI clients raise their usual exceptions with the message. The status codes are the same.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    BusyError,
    CareerRagError,
    CorpusError,
    IndexNotReadyError,
    InvalidQuestionError,
    LLMUnavailableError,
    StoreWriteError,
)

logger = logging.getLogger("api")

# Most specific first: the first matching class wins.
_DOMAIN_ERRORS: tuple[tuple[type[CareerRagError], int, str], ...] = (
    (BusyError, 503, "busy"),
    (IndexNotReadyError, 503, "index_not_ready"),
    (InvalidQuestionError, 422, "invalid_question"),
    # 502: the server itself is fine, the model behind it did not answer.
    (LLMUnavailableError, 502, "llm_unavailable"),
    # The corpus folder is configured on the server, so a bad one is the server's problem.
    (CorpusError, 500, "corpus_error"),
    # Disk full or a read-only data dir: the server cannot store, but keeps serving the old index.
    (StoreWriteError, 507, "store_write_failed"),
    (CareerRagError, 500, "internal_error"),
)

_STATUS_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
}

# OpenAI's `error.type` values, by status; anything else 4xx is an invalid request.
_OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}

OPENAI_PATH_PREFIX = "/v1/"

INTERNAL_MESSAGE = "Something went wrong on the server; the error was logged. Please try again."
STORE_DOWN_MESSAGE = (
    "The index store (the Chroma server) does not answer; questions can be answered again as "
    "soon as it is back. Retry in a few seconds."
)
STORE_RETRY_AFTER_S = 5


class ApiError(Exception):
    """Raised by routes for HTTP-only failures (bad token, ingest already running)."""

    def __init__(
        self,
        status_code: int,
        error_type: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_type = error_type
        self.message = message
        self.headers = dict(headers or {})
        self.param = param  # the offending request field, for OpenAI-shaped errors


def error_body(error_type: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one JSON shape of every error, also used for SSE `error` events."""
    return {"error": {"type": error_type, "message": message, **extra}}


def openai_error_body(
    status_code: int, error_type: str, message: str, param: str | None = None
) -> dict[str, Any]:
    """OpenAI's error shape; `code` carries this project's error type (`busy`, ...)."""
    if status_code >= 500:
        openai_type = "server_error"
    else:
        openai_type = _OPENAI_TYPES.get(status_code, "invalid_request_error")
    return {"error": {"message": message, "type": openai_type, "param": param, "code": error_type}}


def uses_openai_errors(path: str) -> bool:
    """Whether errors on `path` take OpenAI's shape: everything under `/v1/`."""
    return path.startswith(OPENAI_PATH_PREFIX)


def error_response(
    status_code: int,
    error_type: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    path: str = "",
    param: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """The error as JSON, in OpenAI's shape under `/v1/` and in the project's elsewhere."""
    if uses_openai_errors(path):
        body = openai_error_body(status_code, error_type, message, param)
    else:
        body = error_body(error_type, message, **extra)
    return JSONResponse(body, status_code=status_code, headers=headers)


def describe_domain_error(exc: CareerRagError) -> tuple[int, str, str, dict[str, str]]:
    """(status, type, message, headers) for a domain error; the message is safe to show."""
    cls, status, error_type = next(row for row in _DOMAIN_ERRORS if isinstance(exc, row[0]))
    headers: dict[str, str] = {}
    if isinstance(exc, BusyError):
        headers["Retry-After"] = str(max(1, int(exc.retry_after_s)))
    message = str(exc) or (cls.__doc__ or "").strip() or INTERNAL_MESSAGE
    if status >= 500 and not isinstance(exc, BusyError | IndexNotReadyError):
        # Corpus and generic errors can carry server paths; keep them in the log only.
        logger.error("%s: %s", type(exc).__name__, exc)
        if error_type == "internal_error":
            message = INTERNAL_MESSAGE
        elif error_type == "corpus_error":
            message = "The corpus folder could not be read; the details are in the server log."
        elif error_type == "llm_unavailable":
            # The LLM server's own reply may echo its URL or API key; it goes to the log only.
            message = (
                "The language model did not answer; the details are in the server log. "
                "Try again shortly."
            )
    return status, error_type, message, headers


def describe_store_error(exc: BaseException) -> tuple[int, str, str, dict[str, str]]:
    """The Chroma server did not answer (chromadb's HTTP client lets httpx's transport errors
    through as they are): 503, as for an index that is not ready, and worth a retry soon."""
    logger.warning("the index store did not answer: %r", exc)
    return 503, "index_not_ready", STORE_DOWN_MESSAGE, {"Retry-After": str(STORE_RETRY_AFTER_S)}


def describe_any_error(exc: BaseException) -> tuple[int, str, str, dict[str, str]]:
    """Like `describe_domain_error`, for anything a route or a stream may raise."""
    if isinstance(exc, CareerRagError):
        return describe_domain_error(exc)
    if isinstance(exc, ApiError):
        return exc.status_code, exc.error_type, exc.message, exc.headers
    if isinstance(exc, httpx.TransportError):
        return describe_store_error(exc)
    logger.error("unexpected error", exc_info=exc)
    return 500, "internal_error", INTERNAL_MESSAGE, {}


def internal_error_response(path: str = "") -> JSONResponse:
    return error_response(500, "internal_error", INTERNAL_MESSAGE, path=path)


def _location(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


def _readable(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    details: list[dict[str, str]] = []
    for err in errors:
        loc = _location(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            msg = "The request body is not valid JSON"
            reason = (err.get("ctx") or {}).get("error")
            if reason:
                msg = f"{msg} ({reason})"
            loc = "body"
        elif err.get("type") == "extra_forbidden":
            msg = "Unknown field; remove it (see /docs for the accepted fields)"
        elif err.get("type") == "missing" and loc == "body":
            msg = "A JSON body is required"
        else:
            msg = str(err.get("msg", "Invalid value")).removeprefix("Value error, ")
        details.append({"field": loc, "message": msg})
    summary = "; ".join(
        d["message"] if d["field"] == "body" else f"{d['field']}: {d['message']}" for d in details
    )
    return summary or "The request is invalid", details


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, details = _readable(exc.errors())
    param = details[0]["field"] if details and details[0]["field"] != "body" else None
    return error_response(
        422, "validation_error", message, path=request.url.path, param=param, details=details
    )


async def _domain_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CareerRagError)
    status, error_type, message, headers = describe_domain_error(exc)
    return error_response(status, error_type, message, headers, path=request.url.path)


async def _api_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status_code,
        exc.error_type,
        exc.message,
        exc.headers,
        path=request.url.path,
        param=exc.param,
    )


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        # FastAPI's 400 for a body json.loads cannot even start on (not UTF-8, nested too
        # deep); like any other malformed JSON body, that is a 422.
        message = "The request body is not valid JSON (it is not UTF-8, or nested too deep)"
        details = [{"field": "body", "message": message}]
        return error_response(
            422, "validation_error", message, path=request.url.path, details=details
        )
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    error_type = _STATUS_TYPES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, error_type, detail, exc.headers, path=request.url.path)


async def _store_handler(request: Request, exc: Exception) -> JSONResponse:
    status, error_type, message, headers = describe_store_error(exc)
    return error_response(status, error_type, message, headers, path=request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; unexpected exceptions are caught by `RequestContextMiddleware`."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(CareerRagError, _domain_handler)
    app.add_exception_handler(ApiError, _api_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(httpx.TransportError, _store_handler)
