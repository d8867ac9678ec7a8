"""`/v1/chat/completions` driven by the official `openai` client against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import REFUSAL, FakeAssistant, LiveServer
from tests.api.sse import parse_sse


@pytest.fixture
def oai(live_server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{live_server.url}/v1", api_key="unused", timeout=10, max_retries=0
    ) as client:
        yield client


def test_openai_client_gets_the_answer_and_citations(
    oai: openai.OpenAI, fake_assistant: FakeAssistant
) -> None:
    completion = oai.chat.completions.create(
        model="career-rag",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What does an AI engineer do?"},
            {"role": "assistant", "content": "They build products [1]."},
            {"role": "user", "content": "And ML engineers?"},
        ],
        temperature=0.1,
    )
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert (completion.choices[0].message.content or "").startswith("AI engineers build products")
    assert completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra or {}
    assert [c["n"] for c in extra["citations"]] == [1, 2]
    assert extra["refused"] is False
    kind, question, turns, _ = fake_assistant.calls[-1]
    assert (kind, question) == ("ask", "And ML engineers?")
    assert [t.role for t in turns] == ["system", "user", "assistant"]


def test_openai_client_streams_the_verified_answer(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="career-rag",
            messages=[{"role": "user", "content": "What does an AI engineer do?"}],
            stream=True,
        )
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == (
        "AI engineers build products on foundation models [1]. "
        "ML engineers train and deploy models [2]."
    )
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert [c["n"] for c in (last.model_extra or {})["citations"]] == [1, 2]


def test_openai_refusal_is_flagged(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="career-rag", messages=[{"role": "user", "content": "Salary on Mars?"}]
    )
    assert completion.choices[0].message.content == REFUSAL
    assert (completion.model_extra or {})["refused"] is True


def test_openai_client_sees_validation_errors(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        oai.chat.completions.create(
            model="career-rag", messages=[{"role": "assistant", "content": "hello"}]
        )
    assert "last message" in caught.value.message


def test_openai_client_lists_the_model(oai: openai.OpenAI) -> None:
    assert [m.id for m in oai.models.list()] == ["career-rag"]


def test_stream_wire_format_ends_with_done(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions",
        json={"model": "x", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
    )
    events = parse_sse(response.text)
    assert events[-1] == ("message", "[DONE]")
    assert '"role": "assistant"' in events[0][1]


def test_content_parts_are_joined_into_the_question(
    client: TestClient, fake_assistant: FakeAssistant
) -> None:
    content = [
        {"type": "text", "text": "What does "},
        {"type": "text", "text": "an AI engineer do?"},
    ]
    response = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": content}]}
    )
    assert response.status_code == 200
    assert fake_assistant.calls[-1][1] == "What does an AI engineer do?"


def test_blank_last_message_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": "  "}]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "invalid_question"
