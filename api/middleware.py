"""The ASGI middleware around every route: request context, security headers, API key, body size.

All are pure ASGI (they must not buffer streamed answers):

- `RequestContextMiddleware` takes a well-formed incoming `X-Request-ID` or makes a new one,
  exposes it to every log record of the request (also from worker threads, through a context
  variable) and returns it as a response header. An exception no route handled is logged with
  its traceback and answered with a generic 500 JSON body (in OpenAI's shape under `/v1/`).
- `SecurityHeadersMiddleware` puts `nosniff`, a Content-Security-Policy, `Referrer-Policy` and
  `X-Frame-Options` on every response, error and static file included.
- `ApiKeyMiddleware` asks for `Authorization: Bearer <api key>` on the chat routes when the
  deployment sets one, before any body is read.
- `BodySizeLimitMiddleware` answers 413 to a body over the limit, by its Content-Length or, when
  it comes chunked, as soon as the bytes received pass the limit: never after reading it whole.

The wiring order is `api.app`'s; the error bodies are `api.errors`'.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import logging
import re
import secrets
import time
import uuid
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response, internal_error_response
from rag.config import Settings

logger = logging.getLogger("api.request")

REQUEST_ID_HEADER = "X-Request-ID"
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# Ids end up in logs: accept only short, plain tokens so a client cannot forge log lines.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every record, so formats may use `%(request_id)s`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Replaces each secret (admin token, API keys) in a record's text and traceback by `***`.

    A handler filter, so it sees every record the handler writes, the libraries' included: an
    upstream LLM server may echo its API key in an error that ends up in a log line.
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def secret_values(settings: Settings) -> list[str | None]:
    """The settings that are secrets: never in a log line or a response."""
    return [settings.admin_token, settings.api_key, settings.llm_api_key]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not response_started:
                await internal_error_response(scope["path"])(scope, receive, send_with_id)
        finally:
            logger.info(
                "%s %s -> %s in %.0f ms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )
            request_id_var.reset(token)


# -- security headers ----------------------------------------------------------------------------

# The chat page loads only its own files and renders model and corpus text with textContent; the
# policy is the second line of defence should that ever slip: no inline or foreign script runs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Old browsers' frame-ancestors.
    "X-Frame-Options": "DENY",
}
_INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE
)


def script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (`'sha256-...'`) for each inline script of an HTML page."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
        if body.strip()
    ]


def allow_scripts(policy: str, hashes: list[str]) -> str:
    """`policy` with `hashes` added to its script-src: those exact inline scripts may run."""
    if not hashes:
        return policy
    return policy.replace("script-src 'self'", "script-src 'self' " + " ".join(hashes), 1)


class SecurityHeadersMiddleware:
    """Adds the security headers to every response; a route may set its own policy.

    An HTML page of this server (the Swagger UI at /docs starts itself with an inline script)
    gets the hash of each of its inline scripts in script-src, so exactly those run and no
    injected one does. Pages are small: their body is held until complete to hash it; every
    other response passes through unbuffered.
    """

    def __init__(self, app: ASGIApp, policy: str = CONTENT_SECURITY_POLICY) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    held.append(message)
                    return
                headers.setdefault("Content-Security-Policy", self.policy)
            elif held:
                held.append(message)
                if message.get("more_body", False):
                    return
                await self._send_page(held, send)
                held.clear()
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _send_page(self, messages: list[Message], send: Send) -> None:
        start, *body = messages
        html = b"".join(m.get("body", b"") for m in body)
        headers = MutableHeaders(scope=start)
        policy = headers.get("Content-Security-Policy", self.policy)
        headers["Content-Security-Policy"] = allow_scripts(policy, script_hashes(html))
        await send(start)
        for message in body:
            await send(message)


# -- optional API key on the chat routes ---------------------------------------------------------

CHAT_PATHS = ("/chat", "/search")
CHAT_PREFIX = "/v1/"


def is_chat_route(path: str) -> bool:
    """Whether `path` is one the API key guards: /chat, /search and the OpenAI API under /v1/."""
    return path in CHAT_PATHS or path.startswith(CHAT_PREFIX)


def bearer_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class ApiKeyMiddleware:
    """401 on the chat routes unless the request carries `Authorization: Bearer <api_key>`.

    A middleware rather than a route dependency so the check runs before the body is read or
    parsed: a client without the key costs the server nothing. The error is OpenAI-shaped under
    /v1/, so OpenAI clients raise their AuthenticationError.
    """

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.expected = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_chat_route(scope["path"]):
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        # Constant-time comparison so response timing does not reveal the key.
        if token is not None and secrets.compare_digest(token.encode(), self.expected):
            await self.app(scope, receive, send)
            return
        message = (
            "This endpoint needs 'Authorization: Bearer <API key>'."
            if token is None
            else "The API key is not valid."
        )
        response = error_response(
            401, "unauthorized", message, {"WWW-Authenticate": "Bearer"}, path=scope["path"]
        )
        await response(scope, receive, send)


# -- request body size ---------------------------------------------------------------------------


def too_large_message(limit: int) -> str:
    return f"The request body is larger than the server's limit of {limit} bytes."


class BodySizeLimitMiddleware:
    """413 for a body over `max_bytes`, before the route has read it whole or parsed it.

    FastAPI's own `max_body_size` sits outside the app's middleware: its 413 is plain text
    without the security headers, and the signal it uses once it has answered reaches this
    module's middleware as an unhandled exception. This one answers inside them, as JSON.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = error_response(
                413, "payload_too_large", too_large_message(self.max_bytes), path=scope["path"]
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI lets an HTTPException raised while it reads the body through to
                    # the error handlers (`api.errors`), which answer 413 in the route's shape.
                    raise HTTPException(413, too_large_message(self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)
