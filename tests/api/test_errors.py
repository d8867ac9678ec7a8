"""Every bad input gets a JSON error with a human message; nothing leaks a stack trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag.errors import (
    BusyError,
    CorpusError,
    IndexNotReadyError,
    InvalidQuestionError,
    LLMUnavailableError,
)
from tests.api.conftest import FakeAssistant


def assert_error(response: Any, status: int, error_type: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["type"] == error_type
    assert error["message"] and "Traceback" not in error["message"]
    return str(error["message"])


@pytest.mark.parametrize("question", ["", "   ", "\n\t "])
def test_blank_question_is_422_with_a_message(client: TestClient, question: str) -> None:
    message = assert_error(
        client.post("/chat", json={"question": question}), 422, "validation_error"
    )
    assert "question" in message and "empty" in message


def test_too_long_question_is_422_and_names_the_limit(client: TestClient) -> None:
    response = client.post("/chat", json={"question": "why " * 501})
    message = assert_error(response, 422, "invalid_question")
    assert "2000" in message


def test_question_at_the_limit_is_accepted(client: TestClient) -> None:
    assert client.post("/chat", json={"question": "a" * 2000}).status_code == 200


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/chat", content=b'{"question": "hi"', headers={"content-type": "application/json"}
    )
    message = assert_error(response, 422, "validation_error")
    assert "not valid JSON" in message


def test_missing_body_is_422(client: TestClient) -> None:
    assert_error(client.post("/chat"), 422, "validation_error")


def test_unknown_field_is_422_and_named(client: TestClient) -> None:
    response = client.post("/chat", json={"question": "hi", "temperature": 0.2})
    message = assert_error(response, 422, "validation_error")
    assert "temperature" in message
    assert response.json()["error"]["details"][0]["field"] == "temperature"


@pytest.mark.parametrize("top_k", [0, 21, -1, "many"])
def test_top_k_outside_1_to_20_is_422(client: TestClient, top_k: object) -> None:
    response = client.post("/chat", json={"question": "hi", "top_k": top_k})
    assert "top_k" in assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("top_k", ["0", "21"])
def test_search_top_k_outside_1_to_20_is_422(client: TestClient, top_k: str) -> None:
    assert_error(client.get("/search", params={"q": "x", "top_k": top_k}), 422, "validation_error")


def test_search_needs_a_query(client: TestClient) -> None:
    assert_error(client.get("/search"), 422, "validation_error")
    assert_error(client.get("/search", params={"q": "  "}), 422, "invalid_question")


def test_bad_history_role_is_422(client: TestClient) -> None:
    response = client.post(
        "/chat", json={"question": "hi", "history": [{"role": "robot", "content": "x"}]}
    )
    assert "history.0.role" in assert_error(response, 422, "validation_error")


def test_unknown_route_is_json_404(client: TestClient) -> None:
    assert_error(client.get("/nope"), 404, "not_found")


def test_wrong_method_is_json_405(client: TestClient) -> None:
    assert_error(client.get("/chat"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("error", "status", "error_type"),
    [
        (IndexNotReadyError("The index is empty; run career-rag ingest."), 503, "index_not_ready"),
        (InvalidQuestionError("The question is empty."), 422, "invalid_question"),
        (LLMUnavailableError("The model did not answer in 30 s."), 502, "llm_unavailable"),
        (BusyError("Busy.", retry_after_s=7), 503, "busy"),
        (CorpusError("corpus folder /srv/x missing"), 500, "corpus_error"),
    ],
)
def test_domain_errors_map_to_http_codes(
    client: TestClient,
    fake_assistant: FakeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    status: int,
    error_type: str,
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(fake_assistant, "ask", fail)
    response = client.post("/chat", json={"question": "hi"})
    message = assert_error(response, status, error_type)
    assert "/srv/x" not in message  # server paths stay in the log
    if isinstance(error, BusyError):
        assert response.headers["Retry-After"] == "7"


def test_unexpected_error_is_a_generic_500_with_request_id(
    make_app: Callable[..., FastAPI],
    fake_assistant: FakeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise KeyError("secret internal detail")

    monkeypatch.setattr(fake_assistant, "ask", crash)
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        response = client.post("/chat", json={"question": "hi"}, headers={"X-Request-ID": "r-1"})
    message = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and "KeyError" not in response.text
    assert "try again" in message
    assert response.headers["X-Request-ID"] == "r-1"
    logged = [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert any("secret internal detail" in text for text in logged)
