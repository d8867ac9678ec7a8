"""End to end: a real uvicorn server with the real assistant over a freshly built index.

Real MiniLM embeddings, real Chroma in a temp dir, extractive answers (`llm="none"`) so the
checks are deterministic; one test uses the packaged local model to prove tokens stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from api.app import create_app
from rag.config import Settings
from rag.schemas import Answer
from tests.api.browser import start_chromium
from tests.api.conftest import REAL_ADMIN_TOKEN, LiveServer
from tests.api.sse import sse_json
from tests.conftest import CORPUS

pytestmark = pytest.mark.real

QUESTION = "What does an AI engineer do?"


def corpus_text(doc_id: str) -> str:
    return (CORPUS / f"{doc_id}.txt").read_text(encoding="utf-8")


def normal(text: str) -> str:
    return " ".join(text.split())


def assert_quotes_are_verbatim(answer: Answer) -> None:
    """Each quote is text of the cited chunk (tables are flattened into rows when chunked)."""
    chunks = {p.chunk_id: p.text for p in answer.retrieved}
    for citation in answer.citations:
        source = chunks.get(citation.chunk_id) or corpus_text(citation.doc_id)
        assert normal(citation.quote) in normal(source)


@pytest.fixture(scope="module")
def real_server(real_settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(create_app(real_settings), startup_timeout_s=180).start()
    try:
        yield server
    finally:
        server.stop()


def test_ready_and_documents(real_server: LiveServer) -> None:
    ready = httpx.get(f"{real_server.url}/ready", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["chunks"] > 0
    docs = httpx.get(f"{real_server.url}/documents", timeout=10).json()
    assert {d["doc_id"] for d in docs} == {p.stem for p in CORPUS.glob("*.txt")}
    assert all(d["chunks"] > 0 and d["content_hash"] for d in docs)


def test_chat_answers_with_verbatim_citations(real_server: LiveServer) -> None:
    response = httpx.post(f"{real_server.url}/chat", json={"question": QUESTION}, timeout=60)
    assert response.status_code == 200, response.text
    answer = Answer.model_validate(response.json())
    assert not answer.refused
    assert answer.citations
    assert_quotes_are_verbatim(answer)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers <= {c.n for c in answer.citations}


def test_off_topic_question_is_refused(real_server: LiveServer) -> None:
    response = httpx.post(
        f"{real_server.url}/chat",
        json={"question": "What is the best recipe for sourdough bread?"},
        timeout=60,
    )
    assert response.json()["refused"] is True


def test_follow_up_and_stream(real_server: LiveServer) -> None:
    response = httpx.post(
        f"{real_server.url}/chat",
        json={
            "question": "And what about their salaries?",
            "history": [
                {"role": "user", "content": "What does an ML engineer do?"},
                {"role": "assistant", "content": "ML engineers build and deploy models."},
            ],
            "stream": True,
        },
        timeout=60,
    )
    events = sse_json(response.text)
    assert [name for name, _ in events][-2:] == ["answer", "done"]
    assert_quotes_are_verbatim(Answer.model_validate(events[-2][1]))


def test_search_and_openai_client(real_server: LiveServer) -> None:
    passages = httpx.get(
        f"{real_server.url}/search", params={"q": "MLOps pipelines", "top_k": 3}, timeout=30
    ).json()
    assert len(passages) == 3
    with openai.OpenAI(
        base_url=f"{real_server.url}/v1", api_key="unused", timeout=60, max_retries=0
    ) as client:
        completion = client.chat.completions.create(
            model="career-rag", messages=[{"role": "user", "content": QUESTION}]
        )
    assert completion.choices[0].message.content
    assert (completion.model_extra or {})["citations"]


def test_reingest_with_the_admin_token(real_server: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {REAL_ADMIN_TOKEN}"}
    response = httpx.post(f"{real_server.url}/ingest", headers=headers, timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["unchanged"] == 4
    assert httpx.post(f"{real_server.url}/ingest", timeout=10).status_code == 401


def test_browser_against_the_real_assistant(real_server: LiveServer, tmp_path: Path) -> None:
    driver = start_chromium(tmp_path / "profile")
    try:
        driver.get(real_server.url)
        box = driver.find_element(By.ID, "question")
        box.send_keys(QUESTION + Keys.ENTER)
        turn = WebDriverWait(driver, 60).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, ".turn.assistant:not(.pending)"))
        )
        assert "VERIFIED ANSWER" in turn.text.upper()
        button = turn.find_element(By.CSS_SELECTOR, "button.cite")
        button.click()
        passage = WebDriverWait(driver, 10).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, ".passage"))
        )
        quote = passage.find_element(By.CSS_SELECTOR, ".passage-quote").text
        title = passage.find_element(By.CSS_SELECTOR, ".passage-title").text
        # Extractive answers are deterministic: the API gives the same first citation.
        api_answer = httpx.post(f"{real_server.url}/chat", json={"question": QUESTION}, timeout=60)
        first = Answer.model_validate(api_answer.json()).citations[0]
        assert normal(quote) == normal(first.quote)
        assert title == first.title
        driver.save_screenshot(str(tmp_path / "chat-real.png"))
        assert (tmp_path / "chat-real.png").stat().st_size > 10_000
    finally:
        driver.quit()


def test_local_model_streams_tokens_then_the_verified_answer(real_settings: Settings) -> None:
    """With the packaged local model the draft arrives as token events before the answer."""
    settings = real_settings.model_copy(update={"llm": "local", "max_tokens": 48})
    server = LiveServer(create_app(settings), startup_timeout_s=300).start()
    try:
        response = httpx.post(
            f"{server.url}/chat", json={"question": QUESTION, "stream": True}, timeout=180
        )
    finally:
        server.stop()
    events = sse_json(response.text)
    names = [name for name, _ in events]
    assert names.count("token") >= 1
    assert names[-2:] == ["answer", "done"]
    assert names.index("answer") > max(i for i, n in enumerate(names) if n == "token")
    assert_quotes_are_verbatim(Answer.model_validate(events[-2][1]))
