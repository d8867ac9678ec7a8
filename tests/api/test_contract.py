"""The OpenAPI schema states what the server enforces: a body is rejected iff the schema says so.

The fast tests hold hand-picked requests against the schema and the server (with the fake
assistant); the `real` test lets schemathesis generate requests, valid and invalid, for every
operation of the real server over a real index, with all its checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from rag.config import Settings
from tests.api.conftest import REAL_ADMIN_TOKEN, LiveServer

USER_Q = {"role": "user", "content": "What does an AI engineer do?"}


def request_schema(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    """The JSON body schema of `POST path`, with the components its `$ref`s point into."""
    body = openapi["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return {**body, "components": openapi["components"]}


def query_schema(openapi: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    params = openapi["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in params if p["name"] == name)


CHAT_CASES: list[dict[str, Any]] = [
    {"question": "What does an AI engineer do?"},
    {"question": ""},
    {"question": "   "},
    {"question": "\x1c\u3000\n"},  # whitespace to str.strip(), if not to every regex dialect
    {"question": "a" * 2000},
    {"question": "a" * 2001},
    {"question": "hi", "stream": True},
    {"question": "hi", "stream": 0},
    {"question": "hi", "stream": "true"},
    {"question": "hi", "top_k": 5},
    {"question": "hi", "top_k": 5.0},
    {"question": "hi", "top_k": "5"},
    {"question": "hi", "top_k": True},
    {"question": "hi", "top_k": 21},
    {"question": "hi", "history": [{"role": "user", "content": "x" * 20_000}]},
    {"question": "hi", "history": [{"role": "user", "content": "x" * 20_001}]},
    {"question": "hi", "history": [{"role": "tool", "content": "x"}]},
    {"question": "hi", "temperature": 0.2},
]

COMPLETION_CASES: list[dict[str, Any]] = [
    {"messages": [USER_Q]},
    {"messages": []},
    {"messages": [{"role": "tool", "content": "42", "tool_call_id": "c1"}]},
    {"messages": [{"role": "assistant", "content": "hello"}]},
    {
        "messages": [
            USER_Q,
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}]},
            {"role": "tool", "content": "42", "tool_call_id": "c1"},
        ]
    },
    {"messages": [{"role": "robot", "content": "hi"}, USER_Q]},
    {"messages": [{"role": "user", "content": ""}]},
    {"messages": [{"role": "user", "content": " \t"}]},
    {"messages": [{"role": "user", "content": None}]},
    {"messages": [{"role": "user", "content": "a" * 2001}]},
    {"messages": [{"role": "user", "content": "  "}, USER_Q]},  # every user message asks
    {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": " "}]}]},
    {"messages": [{"role": "user", "content": []}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
    {"messages": [{"role": "system", "content": [{"type": "refusal"}]}, USER_Q]},
    {"messages": [USER_Q], "stream": 0},
    {"messages": [USER_Q], "stream": True, "stream_options": {"include_usage": True}},
    {"messages": [USER_Q], "stream": True, "stream_options": {"include_usage": 1}},
    {"messages": [USER_Q], "max_tokens": 0},
    {"messages": [USER_Q], "max_completion_tokens": 8.0},
    {"messages": [USER_Q], "max_completion_tokens": "8"},
    {"messages": [USER_Q] * 51},
    {"messages": [USER_Q] * 52},
    {"messages": [USER_Q], "temperature": 0.1, "n": 1, "tools": []},
]


@pytest.mark.parametrize(
    ("path", "body"),
    [("/chat", body) for body in CHAT_CASES]
    + [("/v1/chat/completions", body) for body in COMPLETION_CASES],
    ids=[f"chat-{i}" for i in range(len(CHAT_CASES))]
    + [f"completions-{i}" for i in range(len(COMPLETION_CASES))],
)
def test_server_accepts_a_body_iff_the_schema_does(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    schema = request_schema(client.get("/openapi.json").json(), path)
    valid = jsonschema_rs.validator_for(schema).is_valid(body)
    response = client.post(path, json=body)
    assert response.status_code in (200, 422), response.text
    assert (response.status_code == 200) == valid, response.text


@pytest.mark.parametrize("q", ["MLOps", "", " ", "\n\t", "a" * 2000, "a" * 2001])
def test_search_accepts_a_query_iff_the_schema_does(client: TestClient, q: str) -> None:
    schema = query_schema(client.get("/openapi.json").json(), "/search", "q")
    response = client.get("/search", params={"q": q})
    assert response.status_code in (200, 422), response.text
    assert (response.status_code == 200) == jsonschema_rs.is_valid(schema, q)


def test_the_schema_states_the_configured_question_limit(
    make_app: Callable[..., FastAPI],
) -> None:
    with TestClient(make_app(max_question_chars=40)) as client:
        openapi = client.get("/openapi.json").json()
        chat = request_schema(openapi, "/chat")
        completions = request_schema(openapi, "/v1/chat/completions")
        assert not jsonschema_rs.is_valid(chat, {"question": "a" * 41})
        assert client.post("/chat", json={"question": "a" * 41}).status_code == 422
        assert not jsonschema_rs.is_valid(
            completions, {"messages": [{"role": "user", "content": "a" * 41}]}
        )
        assert query_schema(openapi, "/search", "q")["maxLength"] == 40
    assert "x-question-limit" not in json.dumps(openapi)


def test_errors_are_documented_in_the_shape_each_route_sends(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    def error_ref(path: str, method: str, status: str) -> str:
        content = paths[path][method]["responses"][status]["content"]
        return str(content["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]

    assert error_ref("/chat", "post", "422") == "ErrorResponse"
    assert error_ref("/search", "get", "422") == "ErrorResponse"
    assert error_ref("/ingest", "post", "401") == "ErrorResponse"
    assert error_ref("/v1/chat/completions", "post", "422") == "OpenAIErrorResponse"
    assert error_ref("/v1/chat/completions", "post", "503") == "OpenAIErrorResponse"


def test_a_body_that_is_not_utf8_is_a_422_like_any_malformed_json(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    response = client.post("/chat", content=b'{"question": "\xff"}', headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "validation_error"


SCHEMATHESIS_API_KEY = "contract-chat-key"


def run_schemathesis(
    settings: Settings, tmp_path: Path, *options: str, timeout_s: float = 240
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """Serve `settings` with the chat API key on, run schemathesis with all checks against it
    (each security scheme of the schema gets its own token, so `ignored_auth` also tries every
    guarded operation without one), and return its JSON report."""
    settings = settings.model_copy(update={"api_key": SCHEMATHESIS_API_KEY})
    server = LiveServer(create_app(settings), startup_timeout_s=300).start()
    report = tmp_path / "schemathesis.json"
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f'[auth.openapi.HTTPBearer]\nbearer = "{REAL_ADMIN_TOKEN}"\n'
        f'[auth.openapi.ChatApiKey]\nbearer = "{SCHEMATHESIS_API_KEY}"\n'
    )
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                f"--config-file={config}",
                "run",
                f"{server.url}/openapi.json",
                "--checks=all",
                # Reproducible in CI; change it locally to explore other inputs.
                "--seed=20261123",
                "--workers=1",
                "--generation-database=none",
                "--report=json",
                f"--report-json-path={report}",
                "--no-color",
                *options,
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    finally:
        server.stop()
    assert report.exists(), run.stdout[-5000:] + run.stderr[-5000:]
    result = json.loads(report.read_text())
    print(f"schemathesis: {result['test_cases']} in {result['running_time']:.0f} s")
    return result, run


def assert_no_failure(result: dict[str, Any], run: subprocess.CompletedProcess[str]) -> None:
    summary = result["test_cases"]
    assert result["complete"] and result["stop_reason"] == "completed", run.stdout[-5000:]
    assert result["operations"]["tested"] == result["operations"]["total"] == 8
    assert not result["failures"] and not result["errors"], run.stdout[-10000:]
    assert summary["with_failures"] == summary["errored"] == 0
    assert run.returncode == 0, run.stdout[-10000:]


@pytest.mark.real
@pytest.mark.timeout(300)
def test_schemathesis_finds_no_contract_violation_on_the_real_server(
    real_settings: Settings, tmp_path: Path
) -> None:
    """Every operation (POST /ingest with the admin token, the chat routes with the API key),
    every check, 30 examples each, extractive answers."""
    result, run = run_schemathesis(
        real_settings,
        tmp_path,
        "--max-examples=30",
        # `--checks=all` holds every response to 10 s; a no-op POST /ingest takes up
        # to about that on two busy cores (reloading the keyword index), so allow 30 s.
        "--max-response-time=30",
        "--request-timeout=60",
    )
    assert result["test_cases"]["generated"] >= 100
    assert_no_failure(result, run)


@pytest.mark.real
@pytest.mark.timeout(420)
def test_schemathesis_finds_no_contract_violation_with_the_default_model(
    real_settings: Settings, tmp_path: Path
) -> None:
    """The same with the default local model (SmolLM2) generating: a bounded run, 5 examples an
    operation and no coverage phase, so at most a few minutes on two cores."""
    settings = real_settings.model_copy(update={"llm": "local"})
    assert Settings().local_model == "smollm2-135m"  # the default, which this run exercises
    result, run = run_schemathesis(
        settings,
        tmp_path,
        "--max-examples=5",
        "--phases=examples,fuzzing,stateful",
        # A generated answer on two shared cores takes seconds; queued ones wait their turn.
        "--max-response-time=60",
        "--request-timeout=120",
        timeout_s=360,
    )
    assert result["test_cases"]["generated"] >= 30
    assert_no_failure(result, run)
