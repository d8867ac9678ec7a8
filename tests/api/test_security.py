"""Access control and hardening: admin token, API key, CORS, security headers, body size, secrets.

Routes are enumerated from the app itself, so a route added later is held to the same rules
without anyone updating a list here. The fast tests use the fake assistant; the `real` one runs
`career-rag serve` over a real index, with an upstream LLM server that echoes its API key, and
searches every log line and response for the secrets.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from api.middleware import RedactSecretsFilter, is_chat_route
from rag.config import Settings
from tests.api.conftest import ADMIN_TOKEN, FakeAssistant, FakeIngest, LiveServer
from tests.processes import free_port, stop

API_KEY = "chat-key-7f3a9c"
QUESTION_BODY = {"question": "What does an AI engineer do?"}
COMPLETION_BODY = {"messages": [{"role": "user", "content": "What does an AI engineer do?"}]}
# POST routes that only answer questions; every other non-GET route changes state.
QUESTION_ROUTES = {("POST", "/chat"), ("POST", "/v1/chat/completions")}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SECURITY_HEADERS = ("X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers' too (mounts excluded:
    `test_mounted_files_cannot_be_written`), with path parameters filled in."""
    found = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount) or route.path is None:
            continue
        path = route.path.replace("{", "").replace("}", "")
        found += [(method, path) for method in sorted(route.methods or ())]
    assert len(found) >= 10, found
    return found


def body_for(path: str) -> dict[str, Any] | None:
    bodies: dict[str, dict[str, Any]] = {
        "/chat": QUESTION_BODY,
        "/v1/chat/completions": COMPLETION_BODY,
    }
    return bodies.get(path)


# -- admin token ---------------------------------------------------------------------------------


def test_every_mutating_route_requires_the_admin_token(
    make_app: Callable[..., FastAPI], fake_ingest: FakeIngest, fake_assistant: FakeAssistant
) -> None:
    """Missing or wrong token: 401; no token configured: 403; either way nothing runs."""
    app = make_app()
    mutating = [
        (m, p) for m, p in routes(app) if m not in SAFE_METHODS and (m, p) not in QUESTION_ROUTES
    ]
    assert ("POST", "/ingest") in mutating
    with TestClient(app) as client:
        for method, path in mutating:
            for headers in ({}, bearer("wrong-token"), {"Authorization": ADMIN_TOKEN}):
                response = client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, path, headers)
                assert response.headers["WWW-Authenticate"] == "Bearer"
    with TestClient(make_app(admin_token=None)) as client:
        for method, path in mutating:
            assert client.request(method, path, headers=bearer("")).status_code == 403
            assert client.request(method, path, headers=bearer(ADMIN_TOKEN)).status_code == 403
    assert fake_ingest.calls == [] and fake_assistant.refreshed == 0


def test_question_routes_change_nothing(
    client: TestClient, fake_ingest: FakeIngest, fake_assistant: FakeAssistant
) -> None:
    """The POST routes left open to everyone only answer: no ingest, no index refresh."""
    for _, path in QUESTION_ROUTES:
        assert client.post(path, json=body_for(path)).status_code == 200
    assert fake_ingest.calls == [] and fake_assistant.refreshed == 0


def test_mounted_files_cannot_be_written(client: TestClient) -> None:
    for path in ("/static/app.js", "/docs/assets/swagger-ui.css"):
        for method in ("POST", "PUT", "DELETE"):
            assert client.request(method, path).status_code == 405


# -- API key -------------------------------------------------------------------------------------


def test_the_api_key_is_off_by_default(client: TestClient) -> None:
    assert client.post("/chat", json=QUESTION_BODY).status_code == 200
    assert client.get("/search", params={"q": "MLOps"}).status_code == 200
    assert client.get("/v1/models").status_code == 200
    assert "ChatApiKey" not in json.dumps(client.get("/openapi.json").json())


def test_the_api_key_guards_every_chat_route_and_only_those(
    make_app: Callable[..., FastAPI], fake_assistant: FakeAssistant
) -> None:
    app = make_app(api_key=API_KEY)
    guarded = [(m, p) for m, p in routes(app) if is_chat_route(p) and m != "HEAD"]
    assert {p for _, p in guarded} == {"/chat", "/search", "/v1/chat/completions", "/v1/models"}
    params = {"q": "MLOps"}
    with TestClient(app) as client:
        for method, path in guarded:
            body = body_for(path)
            calls = len(fake_assistant.calls)
            for headers in ({}, bearer("wrong"), bearer(API_KEY + "x"), {"Authorization": API_KEY}):
                response = client.request(method, path, json=body, params=params, headers=headers)
                assert response.status_code == 401, (method, path, headers)
                assert response.headers["WWW-Authenticate"] == "Bearer"
                assert API_KEY not in response.text
            assert len(fake_assistant.calls) == calls  # refused before reaching the assistant
            ok = client.request(method, path, json=body, params=params, headers=bearer(API_KEY))
            assert ok.status_code == 200, (method, path, ok.text)
        # Everything else stays open: probes, the page, the schema, the document list.
        for method, path in routes(app):
            if not is_chat_route(path) and method == "GET" and path != "/ingest":
                assert client.get(path).status_code in (200, 503), path


def test_a_malformed_body_without_the_key_is_401_not_parsed(
    make_app: Callable[..., FastAPI],
) -> None:
    with TestClient(make_app(api_key=API_KEY)) as client:
        response = client.post(
            "/chat", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 401


def test_openai_clients_authenticate_with_the_api_key(
    make_app: Callable[..., FastAPI],
) -> None:
    server = LiveServer(make_app(api_key=API_KEY)).start()
    try:
        base = f"{server.url}/v1"
        good = openai.OpenAI(base_url=base, api_key=API_KEY, max_retries=0, timeout=10)
        reply = good.chat.completions.create(model="career-rag", messages=[QUESTION_MESSAGE])
        assert reply.choices[0].message.content
        bad = openai.OpenAI(base_url=base, api_key="wrong", max_retries=0, timeout=10)
        with pytest.raises(openai.AuthenticationError):
            bad.chat.completions.create(model="career-rag", messages=[QUESTION_MESSAGE])
    finally:
        server.stop()


QUESTION_MESSAGE: Any = COMPLETION_BODY["messages"][0]


def test_the_schema_declares_the_api_key_on_the_chat_routes(
    make_app: Callable[..., FastAPI],
) -> None:
    with TestClient(make_app(api_key=API_KEY)) as client:
        openapi = client.get("/openapi.json").json()
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["ChatApiKey"] == {**schemes["ChatApiKey"], "type": "http", "scheme": "bearer"}
    for path, item in openapi["paths"].items():
        for operation in item.values():
            declared = {"ChatApiKey": []} in operation.get("security", [])
            assert declared == is_chat_route(path), path
            if declared:
                assert "401" in operation["responses"], path
    assert API_KEY not in json.dumps(openapi)


# -- CORS ----------------------------------------------------------------------------------------

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def test_cors_is_off_by_default(client: TestClient) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    response = client.post("/chat", json=QUESTION_BODY, headers=origin)
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options("/chat", headers={**origin, **PREFLIGHT})
    assert preflight.status_code >= 400
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_the_configured_origins_only(make_app: Callable[..., FastAPI]) -> None:
    allowed = "https://chat.example"
    app = make_app(cors_origins=[allowed], api_key=API_KEY)
    with TestClient(app) as client:
        preflight = client.options("/chat", headers={"Origin": allowed, **PREFLIGHT})
        assert preflight.status_code == 200  # answered although it carries no API key
        assert preflight.headers["access-control-allow-origin"] == allowed
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        response = client.post(
            "/chat", json=QUESTION_BODY, headers={"Origin": allowed, **bearer(API_KEY)}
        )
        assert response.headers["access-control-allow-origin"] == allowed
        other = {"Origin": "https://evil.example"}
        assert client.options("/chat", headers={**other, **PREFLIGHT}).status_code == 400
        response = client.post("/chat", json=QUESTION_BODY, headers={**other, **bearer(API_KEY)})
        assert "access-control-allow-origin" not in response.headers


def test_cors_origins_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREER_RAG_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


# -- security headers ----------------------------------------------------------------------------


def every_kind_of_response(client: TestClient) -> Iterator[tuple[str, Any]]:
    """One response of each kind the server sends: page, files, JSON, SSE and each error."""
    yield "page", client.get("/")
    yield "script", client.get("/static/app.js")
    yield "style", client.get("/static/app.css")
    yield "docs", client.get("/docs")
    yield "docs asset", client.get("/docs/assets/swagger-ui.css")
    yield "schema", client.get("/openapi.json")
    yield "health", client.get("/health")
    yield "answer", client.post("/chat", json=QUESTION_BODY)
    yield "completion", client.post("/v1/chat/completions", json=COMPLETION_BODY)
    yield "stream", client.post("/chat", json={**QUESTION_BODY, "stream": True})
    yield "401", client.post("/ingest")
    yield "404", client.get("/nowhere")
    yield "405", client.get("/chat")
    yield "413", client.post("/chat", content=b"x" * 5000, headers=JSON)
    yield "422", client.post("/chat", json={"question": ""})


JSON = {"content-type": "application/json"}


def test_security_headers_on_every_response(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(max_request_bytes=4096)) as client:
        for kind, response in every_kind_of_response(client):
            for name in SECURITY_HEADERS:
                assert name in response.headers, (kind, name)
            assert response.headers["X-Content-Type-Options"] == "nosniff", kind
            assert response.headers["Referrer-Policy"] == "no-referrer", kind
            assert response.headers["X-Frame-Options"] == "DENY", kind
            policy = response.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy, kind
            assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, kind


def test_only_the_docs_inline_script_may_run(client: TestClient) -> None:
    """/docs starts Swagger UI with an inline script: its hash, and nothing else, is allowed."""
    docs = client.get("/docs").headers["Content-Security-Policy"]
    page = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in docs
    assert "script-src 'self';" in page


# -- body size -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/chat", "/v1/chat/completions", "/ingest"])
def test_a_body_over_the_limit_is_413_by_its_length(
    make_app: Callable[..., FastAPI], fake_assistant: FakeAssistant, path: str
) -> None:
    limit = 4096
    padded = {"question": "a" * 100, "history": [{"role": "user", "content": "x" * 5000}]}
    with TestClient(make_app(max_request_bytes=limit)) as client:
        response = client.post(path, json=padded, headers=bearer(ADMIN_TOKEN))
        assert response.status_code == 413
        error = response.json()["error"]
        assert str(limit) in error["message"]
        assert ("code" in error) == path.startswith("/v1/")  # OpenAI's shape under /v1/
        assert client.post("/chat", json=QUESTION_BODY).status_code == 200
    assert fake_assistant.calls == [("ask", QUESTION_BODY["question"], [], None)]


def test_the_default_limit_admits_the_largest_chat_body_the_schema_allows(
    client: TestClient,
) -> None:
    history = [{"role": "user", "content": "\u00e9" * 20_000}] * 50
    response = client.post("/chat", json={"question": "hi", "history": history})
    assert len(json.dumps({"history": history})) > 6_000_000  # each é sent as \u00e9
    assert response.status_code == 200


def send_chunked(url: str, path: str, chunk: bytes, chunks: int) -> tuple[bytes, int]:
    """POST a chunked body (no Content-Length) of up to `chunks` x `chunk`, stopping as soon as
    the server answers; returns the response head and how many chunks were sent by then."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
        while sent < chunks and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break  # the server answered and stopped reading: the answer is read below
            sent += 1
        reply = b""
        while b"\r\n\r\n" not in reply:
            try:
                more = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not more:
                break
            reply += more
    return reply.split(b"\r\n\r\n", 1)[0], sent


def test_a_chunked_body_over_the_limit_is_413_before_it_is_all_sent(
    make_app: Callable[..., FastAPI], fake_assistant: FakeAssistant
) -> None:
    limit = 64 * 1024
    server = LiveServer(make_app(max_request_bytes=limit)).start()
    try:
        chunk = b'{"question": "' + b"a" * 16_000
        head, sent = send_chunked(server.url, "/chat", chunk, chunks=2000)  # 32 MB if all sent
        print(f"413 after {sent} chunks of {len(chunk)} bytes (limit {limit})")
        assert head.startswith(b"HTTP/1.1 413"), head
        assert sent * len(chunk) < 100 * limit, sent
        assert fake_assistant.calls == []
        # The server is fine afterwards.
        response = httpx.post(f"{server.url}/chat", json=QUESTION_BODY, timeout=10)
        assert response.status_code == 200
    finally:
        server.stop()


# -- secrets -------------------------------------------------------------------------------------


def test_settings_repr_shows_no_secret() -> None:
    settings = Settings(admin_token="tok-1", api_key="key-2", llm_api_key="sk-3")
    for text in (repr(settings), str(settings)):
        assert "tok-1" not in text and "key-2" not in text and "sk-3" not in text


def test_the_log_filter_masks_secrets_in_messages_and_tracebacks() -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(RedactSecretsFilter(["sk-upstream-1", None, "adm"]))
    log = logging.getLogger("tests.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("upstream said %s", "bad key sk-upstream-1")
        try:
            raise RuntimeError("token adm rejected")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    text = "\n".join(records)
    assert "sk-upstream-1" not in text and "adm " not in text
    assert "upstream said bad key ***" in text and "RuntimeError: token *** rejected" in text


class EchoingLLMServer:
    """An OpenAI-compatible upstream that refuses every request and echoes the key it got,
    as real ones do ("Incorrect API key provided: ..."): a leak waiting to happen."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _refuse(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                key = self.headers.get("authorization", "").removeprefix("Bearer ")
                outer.keys.append(key)
                body = json.dumps(
                    {"error": {"message": f"Incorrect API key provided: {key}", "code": "bad"}}
                ).encode()
                self.send_response(401)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _refuse

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> EchoingLLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_until_serving(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"career-rag serve exited with {proc.returncode}")
        try:
            httpx.get(f"{url}/health", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise TimeoutError("career-rag serve did not start")


def exchange(client: httpx.Client, admin: str, key: str) -> Iterator[httpx.Response]:
    """Requests that reach every error path with and without the secrets."""
    question = {"question": "What does an AI engineer do day to day?"}
    completion = {"messages": [{"role": "user", "content": question["question"]}]}
    yield client.post("/chat", json=question)
    yield client.post("/chat", json=question, headers=bearer(key[:-1]))
    yield client.post("/chat", json=question, headers=bearer(key))
    yield client.post("/chat", json={**question, "stream": True}, headers=bearer(key))
    yield client.post("/v1/chat/completions", json=completion, headers=bearer("sk-" + key))
    yield client.post("/v1/chat/completions", json=completion, headers=bearer(key))
    yield client.get("/search", params={"q": "MLOps"}, headers=bearer(admin))
    yield client.post("/ingest", headers=bearer(key))
    yield client.post("/ingest", headers=bearer(admin + admin))
    yield client.post("/ingest", headers=bearer(admin))
    yield client.get("/ready")
    yield client.get("/nowhere", headers=bearer(admin))
    yield client.post("/chat", json={"question": ""}, headers=bearer(key))
    yield client.post("/chat", content=b"{" * 10, headers={**JSON, **bearer(key)})


@pytest.mark.real
@pytest.mark.timeout(300)
def test_no_secret_in_the_logs_or_responses_of_a_real_server(
    real_settings: Settings, tmp_path: Path
) -> None:
    """`career-rag serve` at debug level with all three secrets set and an upstream LLM that
    echoes its key: no secret in any log line, response header or body."""
    admin, key, llm_key = "adm-5b1e0d2c", "chatkey-93e1f0aa", "sk-upstream-4c7d2b19"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    with EchoingLLMServer() as upstream, log_path.open("wb") as log:
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "CAREER_RAG_DATA_DIR": str(real_settings.data_dir),
            "CAREER_RAG_CORPUS_DIR": str(real_settings.corpus_dir),
            "CAREER_RAG_LLM": "openai",
            "CAREER_RAG_LLM_URL": upstream.url,
            "CAREER_RAG_LLM_API_KEY": llm_key,
            "CAREER_RAG_LLM_TIMEOUT_S": "5",
            "CAREER_RAG_ADMIN_TOKEN": admin,
            "CAREER_RAG_API_KEY": key,
        }
        command = [sys.executable, "-m", "api", "--port", str(port), "--log-level", "debug"]
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(url, proc, timeout_s=180)
            with httpx.Client(base_url=url, timeout=120) as client:
                responses = list(exchange(client, admin, key))
        finally:
            stop(proc)
        logs = log_path.read_text(encoding="utf-8", errors="replace")
    statuses = [r.status_code for r in responses]
    print(f"statuses: {statuses}; {len(logs.splitlines())} log lines")
    assert llm_key in upstream.keys  # the key was used, and echoed back in the upstream's error
    assert {401, 200, 404, 422} <= set(statuses)
    assert "Incorrect API key provided: ***" in logs  # the echo was logged, masked
    for secret in (admin, key, llm_key):
        assert secret not in logs
        for response in responses:
            assert secret not in response.text, (response.request.url, response.text[:500])
            assert secret not in str(response.headers)
