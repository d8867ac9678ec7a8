"""`/v1/chat/completions` driven by OpenAI clients (the official SDK, LangChain's ChatOpenAI, the
`llm` command-line tool) against a real server: answers, `usage`, `finish_reason`, streaming,
OpenAI-shaped errors."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag.errors import BusyError, LLMUnavailableError
from tests.api.conftest import REFUSAL, FakeAssistant, LiveServer
from tests.api.sse import parse_sse

ANSWER = (
    "AI engineers build products on foundation models [1]. "
    "ML engineers train and deploy models [2]."
)
QUESTION: Any = {"role": "user", "content": "What does an AI engineer do?"}
OPENAI_ERROR_KEYS = {"message", "type", "param", "code"}


def tokens(text: str) -> int:
    """The server's documented estimate: one token per 4 characters, rounded up."""
    return math.ceil(len(text) / 4)


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
    assert completion.usage is not None
    sent = ["Be brief.", QUESTION["content"], "They build products [1].", "And ML engineers?"]
    prompt = sum(tokens(text) for text in sent)
    assert completion.usage.prompt_tokens == prompt
    assert completion.usage.completion_tokens == tokens(ANSWER)
    assert completion.usage.total_tokens == prompt + tokens(ANSWER)
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
    assert text == ANSWER
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert [c["n"] for c in (last.model_extra or {})["citations"]] == [1, 2]
    assert all(c.usage is None for c in chunks)  # not asked for


def test_stream_with_include_usage_ends_with_a_usage_chunk(oai: openai.OpenAI) -> None:
    """As OpenAI does: `usage: null` on every chunk, then one with `choices: []` and the counts."""
    chunks = list(
        oai.chat.completions.create(
            model="career-rag",
            messages=[QUESTION],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    *answer_chunks, usage_chunk = chunks
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert usage_chunk.usage.prompt_tokens == tokens(str(QUESTION["content"]))
    assert usage_chunk.usage.completion_tokens == tokens(ANSWER)
    assert usage_chunk.usage.total_tokens == tokens(str(QUESTION["content"])) + tokens(ANSWER)
    assert all(c.usage is None and c.choices for c in answer_chunks)
    assert answer_chunks[-1].choices[0].finish_reason == "stop"
    assert "".join(c.choices[0].delta.content or "" for c in answer_chunks) == ANSWER


def test_stream_usage_chunk_is_the_last_before_done_on_the_wire(client: TestClient) -> None:
    response = client.post(
        "/v1/chat/completions",
        json={"messages": [QUESTION], "stream": True, "stream_options": {"include_usage": True}},
    )
    data = [payload for _, payload in parse_sse(response.text)]
    assert data[-1] == "[DONE]"
    last = json.loads(data[-2])
    assert last["choices"] == [] and set(last["usage"]) == {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
    }
    assert all(json.loads(d)["usage"] is None for d in data[:-2])


@pytest.mark.parametrize("field", ["max_completion_tokens", "max_tokens"])
def test_max_tokens_cuts_the_answer_with_finish_reason_length(
    oai: openai.OpenAI, field: str
) -> None:
    limit: dict[str, Any] = {field: 5}
    completion = oai.chat.completions.create(
        model="career-rag",
        messages=[QUESTION],
        **limit,
    )
    content = completion.choices[0].message.content or ""
    assert completion.choices[0].finish_reason == "length"
    assert content == "AI engineers build"  # whole words within 5 * 4 characters
    assert completion.usage is not None and completion.usage.completion_tokens <= 5
    chunks = list(
        oai.chat.completions.create(
            model="career-rag",
            messages=[QUESTION],
            stream=True,
            **limit,
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == content
    assert chunks[-1].choices[0].finish_reason == "length"


def test_an_answer_within_max_tokens_finishes_with_stop(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="career-rag",
        messages=[QUESTION],
        max_completion_tokens=tokens(ANSWER),
    )
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"


def test_a_conversation_ending_in_a_tool_result_answers_the_last_user_message(
    oai: openai.OpenAI, fake_assistant: FakeAssistant
) -> None:
    completion = oai.chat.completions.create(
        model="career-rag",
        messages=[
            {"role": "developer", "content": "Use the guides."},
            QUESTION,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "42"},
        ],
    )
    assert completion.choices[0].message.content == ANSWER
    kind, question, turns, _ = fake_assistant.calls[-1]
    assert (kind, question) == ("ask", QUESTION["content"])
    assert [(t.role, t.content) for t in turns] == [("system", "Use the guides.")]


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
    assert "role 'user'" in caught.value.message
    assert caught.value.body == {
        "message": "No message has role 'user'; the last user message is the question.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "validation_error",
    }


def test_malformed_requests_get_openai_shaped_errors(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        oai.chat.completions.create(  # type: ignore[call-overload]
            model="career-rag", messages=[QUESTION], stream=0
        )
    body = caught.value.body
    assert isinstance(body, dict) and set(body) == OPENAI_ERROR_KEYS
    assert (body["type"], body["param"], body["code"]) == (
        "invalid_request_error",
        "stream",
        "validation_error",
    )


@pytest.mark.parametrize(
    ("error", "status", "openai_type", "code"),
    [
        (BusyError("Busy; retry shortly.", retry_after_s=7), 503, "server_error", "busy"),
        (LLMUnavailableError("The model did not answer."), 502, "server_error", "llm_unavailable"),
        (KeyError("secret internal detail"), 500, "server_error", "internal_error"),
    ],
    ids=["busy", "llm-down", "unexpected"],
)
def test_server_errors_on_v1_are_openai_shaped(
    make_app: Callable[..., FastAPI],
    fake_assistant: FakeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    status: int,
    openai_type: str,
    code: str,
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(fake_assistant, "ask", fail)
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        response = client.post("/v1/chat/completions", json={"messages": [QUESTION]})
        on_chat = client.post("/chat", json={"question": "hi"})
    assert response.status_code == status
    body: dict[str, Any] = response.json()["error"]
    assert set(body) == OPENAI_ERROR_KEYS
    assert (body["type"], body["code"], body["param"]) == (openai_type, code, None)
    assert "secret" not in response.text
    if isinstance(error, BusyError):
        assert response.headers["Retry-After"] == "7"
    # The project's own routes keep the project's own shape.
    assert on_chat.status_code == status
    assert set(on_chat.json()["error"]) == {"type", "message"}
    assert on_chat.json()["error"]["type"] == code


def test_other_routes_keep_the_project_error_shape(client: TestClient) -> None:
    response = client.post("/chat", json={"question": "hi", "stream": 0})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "validation_error" and error["details"][0]["field"] == "stream"
    assert "param" not in error and "code" not in error


def test_unknown_v1_route_and_method_are_openai_shaped(client: TestClient) -> None:
    missing = client.get("/v1/embeddings")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = client.get("/v1/chat/completions")
    assert wrong_method.status_code == 405
    assert set(wrong_method.json()["error"]) == OPENAI_ERROR_KEYS
    assert "POST" in wrong_method.headers["Allow"]


def test_an_error_mid_stream_reaches_the_openai_client(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.APIError) as caught:
        list(
            oai.chat.completions.create(
                model="career-rag",
                messages=[{"role": "user", "content": "please explode"}],
                stream=True,
            )
        )
    assert "went wrong" in caught.value.message
    assert isinstance(caught.value.body, dict) and set(caught.value.body) == OPENAI_ERROR_KEYS
    assert caught.value.body["code"] == "internal_error"


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
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_question", "messages.0.content")
    assert "empty" in error["message"]


@pytest.fixture
def chat_openai(live_server: LiveServer) -> Callable[..., Any]:
    """LangChain's ChatOpenAI pointed at the live server."""
    from langchain_openai import ChatOpenAI

    def make(**kwargs: Any) -> ChatOpenAI:
        return ChatOpenAI(
            model="career-rag",
            base_url=f"{live_server.url}/v1",
            api_key="unused",  # type: ignore[arg-type]
            timeout=10,
            max_retries=0,
            **kwargs,
        )

    return make


def test_langchain_chat_openai_gets_answer_finish_reason_and_usage(
    chat_openai: Callable[..., Any],
) -> None:
    reply = chat_openai().invoke([("system", "Be brief."), ("user", QUESTION["content"])])
    assert reply.content == ANSWER
    assert reply.response_metadata["finish_reason"] == "stop"
    prompt = tokens("Be brief.") + tokens(str(QUESTION["content"]))
    assert reply.usage_metadata["input_tokens"] == prompt
    assert reply.usage_metadata["output_tokens"] == tokens(ANSWER)
    assert reply.usage_metadata["total_tokens"] == prompt + tokens(ANSWER)


def test_langchain_chat_openai_streams_the_answer_and_usage(
    chat_openai: Callable[..., Any],
) -> None:
    chunks = list(chat_openai(stream_usage=True).stream([("user", QUESTION["content"])]))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    assert merged.content == ANSWER
    assert merged.response_metadata["finish_reason"] == "stop"
    assert merged.usage_metadata["input_tokens"] == tokens(str(QUESTION["content"]))
    assert merged.usage_metadata["output_tokens"] == tokens(ANSWER)
    cut = chat_openai(max_tokens=5).invoke([("user", QUESTION["content"])])
    assert cut.content == "AI engineers build"
    assert cut.response_metadata["finish_reason"] == "length"


# -- the `llm` command-line tool (https://llm.datasette.io), configured as a user would ------------

LLM_CLI = Path(sys.executable).parent / "llm"


@pytest.fixture
def llm_cli(
    live_server: LiveServer, tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs `llm ARGS...` with career-rag declared in its `extra-openai-models.yaml`, in a private
    `LLM_USER_PATH` (its keys, logs and settings stay in tmp_path)."""
    user_path = tmp_path / "llm-user"
    user_path.mkdir()
    (user_path / "extra-openai-models.yaml").write_text(
        f"- model_id: career-rag\n  model_name: career-rag\n  api_base: {live_server.url}/v1\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "LLM_USER_PATH": str(user_path),
        "no_proxy": "127.0.0.1",
        "NO_PROXY": "127.0.0.1",
    }
    env.pop("OPENAI_API_KEY", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LLM_CLI), *args], env=env, capture_output=True, text=True, timeout=60
        )

    return run


def logged_response(llm_cli: Callable[..., subprocess.CompletedProcess[str]]) -> dict[str, Any]:
    """The last response `llm` recorded in its log database, with its token counts."""
    logs = llm_cli("logs", "list", "-n", "1", "--json", "--usage")
    assert logs.returncode == 0, logs.stderr
    (entry,) = json.loads(logs.stdout)
    return dict(entry)


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "no-stream"])
def test_llm_cli_gets_the_answer_and_logs_usage(
    llm_cli: Callable[..., subprocess.CompletedProcess[str]],
    fake_assistant: FakeAssistant,
    streaming: bool,
) -> None:
    """`llm -m career-rag` prints the verified answer, streaming or not, and records the usage
    the server reports (without `usage`, `--no-stream` used to fail inside `llm`)."""
    mode = [] if streaming else ["--no-stream"]
    result = llm_cli("prompt", "-m", "career-rag", *mode, "--usage", QUESTION["content"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ANSWER
    question = str(QUESTION["content"])
    assert f"{tokens(question)} input, {tokens(ANSWER)} output" in result.stderr
    # A streamed request reaches the assistant's stream(), a plain one its ask().
    assert fake_assistant.calls[-1][:2] == ("stream" if streaming else "ask", question)
    entry = logged_response(llm_cli)
    assert entry["response"] == ANSWER
    assert (entry["input_tokens"], entry["output_tokens"]) == (tokens(question), tokens(ANSWER))


def test_llm_cli_conversation_sends_the_history(
    llm_cli: Callable[..., subprocess.CompletedProcess[str]], fake_assistant: FakeAssistant
) -> None:
    first = llm_cli("prompt", "-m", "career-rag", "-s", "Be brief.", QUESTION["content"])
    assert first.returncode == 0, first.stderr
    follow_up = llm_cli("prompt", "-m", "career-rag", "--continue", "And ML engineers?")
    assert follow_up.returncode == 0, follow_up.stderr
    _, question, turns, _ = fake_assistant.calls[-1]
    assert question == "And ML engineers?"
    assert [(t.role, t.content) for t in turns] == [
        ("system", "Be brief."),
        ("user", QUESTION["content"]),
        ("assistant", ANSWER),
    ]


def test_llm_cli_reports_a_server_error(
    llm_cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = llm_cli("prompt", "-m", "career-rag", "--no-stream", "   ")
    assert result.returncode != 0
    assert "empty" in result.stderr
