"""The chat page in headless Chromium against a real uvicorn server (fake assistant)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.browser import start_chromium
from tests.api.conftest import PASSAGES, REFUSAL, FakeAssistant, LiveServer

pytestmark = pytest.mark.real

WAIT_S = 30


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = start_chromium(tmp_path / "profile")
    try:
        yield driver
    finally:
        driver.quit()


def ask(driver: webdriver.Chrome, question: str, answers_before: int) -> WebElement:
    """Type a question, press Enter, wait for the finished answer turn and return it."""
    box = driver.find_element(By.ID, "question")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    done = (By.CSS_SELECTOR, ".turn.assistant:not(.pending)")
    WebDriverWait(driver, WAIT_S).until(lambda d: len(d.find_elements(*done)) > answers_before)
    return driver.find_elements(*done)[-1]


def test_ask_read_verified_answer_open_citation(
    browser: webdriver.Chrome,
    live_server: LiveServer,
    fake_assistant: FakeAssistant,
    tmp_path: Path,
) -> None:
    browser.get(live_server.url)
    assert browser.title == "Career guide assistant"
    turn = ask(browser, "What does an AI engineer do?", 0)

    # The verified text replaced the draft, with numbered citation buttons.
    assert "VERIFIED ANSWER" in turn.text.upper()
    text = turn.find_element(By.CSS_SELECTOR, ".answer-text").text
    assert text.startswith("AI engineers build products on foundation models [1].")
    assert "(draft)" not in turn.text
    markers = turn.find_elements(By.CSS_SELECTOR, ".answer-text button.cite")
    assert [m.text for m in markers] == ["[1]", "[2]"]

    # Open citation 1 by keyboard (focus + Enter): the quote, article title and section show.
    markers[0].send_keys(Keys.ENTER)
    passage = WebDriverWait(browser, WAIT_S).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, ".turn.assistant .passage"))
    )
    assert passage.find_element(By.CSS_SELECTOR, ".passage-quote").text == PASSAGES[0].text
    assert PASSAGES[0].title in passage.text
    assert str(PASSAGES[0].section) in passage.text
    assert markers[0].get_attribute("aria-expanded") == "true"
    browser.save_screenshot(str(tmp_path / "chat.png"))
    assert (tmp_path / "chat.png").stat().st_size > 10_000

    # Corpus text is shown as text: markup in a passage is not interpreted.
    markers[1].click()
    quote = passage.find_element(By.CSS_SELECTOR, ".passage-quote")
    assert quote.text == PASSAGES[1].text
    assert quote.find_elements(By.TAG_NAME, "b") == []


def test_follow_up_sends_history_and_refusal_looks_different(
    browser: webdriver.Chrome, live_server: LiveServer, fake_assistant: FakeAssistant
) -> None:
    browser.get(live_server.url)
    ask(browser, "What does an AI engineer do?", 0)
    refused = ask(browser, "What is the salary on Mars?", 1)

    kind, question, history, _ = fake_assistant.calls[-1]
    assert (kind, question) == ("stream", "What is the salary on Mars?")
    assert [t.role for t in history] == ["user", "assistant"]
    assert history[0].content == "What does an AI engineer do?"

    assert "refused" in str(refused.get_attribute("class"))
    assert "Not covered by the guides".upper() in refused.text.upper()
    assert REFUSAL in refused.text
    normal_bg = browser.execute_script(
        "return getComputedStyle(document.querySelector('.turn.assistant:not(.refused) .bubble'))"
        ".backgroundColor"
    )
    refused_bg = browser.execute_script(
        "return getComputedStyle(document.querySelector('.turn.refused .bubble')).backgroundColor"
    )
    assert normal_bg != refused_bg

    # A refusal offers the closest passages (not citations) so the reader can check.
    assert "CLOSEST PASSAGES IN THE GUIDES" in refused.text.upper()
    refused.find_element(By.CSS_SELECTOR, ".nearest button.cite").click()
    quote = refused.find_element(By.CSS_SELECTOR, ".passage-quote")
    assert quote.text == PASSAGES[0].text


def test_errors_are_shown_readably(browser: webdriver.Chrome, live_server: LiveServer) -> None:
    browser.get(live_server.url)
    turn = ask(browser, "please explode", 0)
    assert "error" in str(turn.get_attribute("class"))
    assert "Something went wrong" in turn.text
    assert "/internal/path" not in browser.page_source


def test_page_fits_a_phone_width_screen(tmp_path: Path, live_server: LiveServer) -> None:
    driver = start_chromium(tmp_path / "phone-profile", width=390, height=844)
    try:
        driver.get(live_server.url)
        ask(driver, "What does an AI engineer do?", 0)
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        driver.save_screenshot(str(tmp_path / "chat-phone.png"))
    finally:
        driver.quit()


def test_api_docs_render_without_internet(
    browser: webdriver.Chrome, live_server: LiveServer
) -> None:
    """Swagger UI comes from packaged files, so /docs lists the endpoints on an offline host."""
    browser.get(f"{live_server.url}/docs")
    WebDriverWait(browser, WAIT_S).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 5
    )
    assert "/v1/chat/completions" in browser.find_element(By.TAG_NAME, "body").text
