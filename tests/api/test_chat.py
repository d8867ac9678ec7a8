"""`POST /chat`, `/search`, `/documents` and the probes against the fake assistant."""

from __future__ import annotations

from fastapi.testclient import TestClient

from rag.schemas import Answer
from tests.api.conftest import REFUSAL, FakeAssistant


def test_chat_returns_the_answer_contract(client: TestClient) -> None:
    response = client.post("/chat", json={"question": "What does an AI engineer do?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"answer", "refused", "citations", "retrieved", "timings_ms"}
    answer = Answer.model_validate(body)
    assert not answer.refused
    assert [c.n for c in answer.citations] == [1, 2]
    assert answer.citations[0].quote.startswith("AI engineers build products")
    assert answer.retrieved[0].score == 0.91


def test_chat_passes_history_and_top_k_to_the_assistant(
    client: TestClient, fake_assistant: FakeAssistant
) -> None:
    history = [
        {"role": "user", "content": "What does an AI engineer do?"},
        {"role": "assistant", "content": "They build products on models [1]."},
    ]
    response = client.post(
        "/chat", json={"question": "And the salary?", "history": history, "top_k": 3}
    )
    assert response.status_code == 200
    kind, question, turns, top_k = fake_assistant.calls[-1]
    assert (kind, question, top_k) == ("ask", "And the salary?", 3)
    assert [(t.role, t.content) for t in turns] == [(h["role"], h["content"]) for h in history]


def test_refused_answer_is_flagged(client: TestClient) -> None:
    body = client.post("/chat", json={"question": "What is the salary on Mars?"}).json()
    assert body["refused"] is True
    assert body["answer"] == REFUSAL
    assert body["citations"] == []


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    response = client.get("/health")
    assert len(response.headers["X-Request-ID"]) >= 16
    echoed = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"


def test_a_malformed_request_id_is_replaced_not_echoed(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["X-Request-ID"] != "bad id\twith spaces"


def test_search_returns_passages(client: TestClient, fake_assistant: FakeAssistant) -> None:
    response = client.get("/search", params={"q": "foundation models", "top_k": 1})
    assert response.status_code == 200
    assert [p["chunk_id"] for p in response.json()] == [
        "ai-engineering-vs-machine-learning-engineering#3"
    ]
    assert fake_assistant.calls[-1] == ("search", "foundation models", [], 1)


def test_documents_lists_each_article(client: TestClient) -> None:
    body = client.get("/documents").json()
    assert {d["doc_id"] for d in body} == {
        "ai-engineering-vs-machine-learning-engineering",
        "choosing-the-career-track-that-fits-your-strengths",
    }
    assert set(body[0]) >= {"title", "chunks", "content_hash", "ingested_at"}


def test_health_is_alive(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_when_index_and_llm_are_ready(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "chunks": 12, "llm": "fake", "llm_ready": True}


def test_not_ready_when_the_index_is_empty(
    client: TestClient, fake_assistant: FakeAssistant
) -> None:
    fake_assistant.chunks = 0
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["ready"] is False
    assert "career-rag ingest" in response.json()["error"]["message"]


def test_not_ready_when_the_llm_is_not(client: TestClient, fake_assistant: FakeAssistant) -> None:
    fake_assistant.llm_ready = False
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "not_ready"


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/chat", "/v1/chat/completions", "/search", "/documents", "/ingest"} <= set(paths)
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.text  # works without internet access
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_chat_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert '<meta name="viewport"' in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200
