"""The chat page in headless Chromium against a real uvicorn server (fake assistant)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from api.app import create_app
from rag.config import Settings
from rag.schemas import Answer, Citation, DocumentInfo
from tests.api.browser import axe_source, axe_violations, start_chromium
from tests.api.conftest import PASSAGES, REFUSAL, FakeAssistant, FakeIngest, LiveServer

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


# -- a longer conversation: four guides, and a citation whose quote is a list ------------------

LIST_LEAD_IN = "A Machine Learning Engineer’s main responsibilities include:"
LIST_ITEMS = [
    "Research to gain domain knowledge",
    "Model development by training and optimizing algorithms",
    "Cleaning and normalizing raw data",
]
LIST_QUOTE = "\n".join([LIST_LEAD_IN, *(f"- {item}" for item in LIST_ITEMS)])
GUIDE_TITLES = [
    "AI Engineer vs ML Engineer: The Definitive 2026 Career Guide",
    "AI Engineering vs Machine Learning Engineering",
    "Choosing the career track that fits your strengths",
    "Machine Learning vs AI Engineering: What's the Difference?",
]
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


class GuidesAssistant(FakeAssistant):
    """The fake, over four guides, adding a third citation whose quote is a lead-in and a list."""

    def _answer(self, question: str, top_k: int | None) -> Answer:
        answer = super()._answer(question, top_k)
        if answer.refused:
            return answer
        listed = Citation(
            n=3,
            doc_id="ai-engineer-vs-ml-engineer-definitive-2026-guide",
            title=GUIDE_TITLES[0],
            chunk_id="ai-engineer-vs-ml-engineer-definitive-2026-guide#4",
            section="Responsibilities",
            quote=LIST_QUOTE,
        )
        return answer.model_copy(
            update={
                "answer": f"{answer.answer} Their duties are listed in one guide [3].",
                "citations": [*answer.citations, listed],
            }
        )

    def documents(self) -> list[DocumentInfo]:
        return [
            DocumentInfo(
                doc_id=f"guide-{i}",
                title=title,
                publisher="A publisher <i>with markup</i>" if i == 0 else None,
                chunks=10,
                content_hash="sha256:abc",
                ingested_at="2026-01-01T00:00:00Z",
            )
            for i, title in enumerate(GUIDE_TITLES)
        ]


@pytest.fixture
def guides_server(api_settings: Settings, fake_ingest: FakeIngest) -> Iterator[LiveServer]:
    assistant = GuidesAssistant()
    server = LiveServer(create_app(api_settings, lambda _s: assistant, fake_ingest)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def axe(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core, fetched once into pytest's cache folder (or a temp folder without the cache)."""
    cache = getattr(pytestconfig, "cache", None)
    folder = cache.mkdir("axe-core") if cache else tmp_path_factory.mktemp("axe-core")
    return axe_source(Path(folder))


def open_list_citation(driver: webdriver.Chrome, server: LiveServer) -> WebElement:
    """Three exchanges (so the page scrolls), then citation [3] of the last answer opened by
    keyboard; returns the opened passage."""
    driver.get(server.url)
    for asked in range(3):
        turn = ask(driver, f"What does an AI engineer do? ({asked + 1})", asked)
    assert driver.execute_script("return document.documentElement.scrollHeight > innerHeight")
    marker = turn.find_element(By.CSS_SELECTOR, '.answer-text button.cite[data-n="3"]')
    marker.send_keys(Keys.ENTER)
    passage = turn.find_element(By.CSS_SELECTOR, ".passage")
    WebDriverWait(driver, WAIT_S).until(lambda d: passage.is_displayed())
    return passage


GEOMETRY = """
const passage = arguments[0];
const r = passage.getBoundingClientRect();
const composer = document.querySelector(".composer").getBoundingClientRect();
// Inside the corners (rounded ones do not take hits) and the middle: is the passage on top?
const inset = 10;
const points = [[r.left + inset, r.top + inset], [r.right - inset, r.top + inset],
  [r.left + inset, r.bottom - inset], [r.right - inset, r.bottom - inset],
  [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
const hidden = points.filter(([x, y]) => {
  const hit = document.elementFromPoint(x, y);
  return !hit || !passage.contains(hit);
}).length;
return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: innerWidth,
  height: innerHeight, composerTop: composer.top, hidden};
"""


def fully_visible(box: dict[str, Any]) -> bool:
    return (
        box["top"] >= 0
        and box["left"] >= 0
        and box["right"] <= box["width"]
        and box["bottom"] <= min(box["height"], box["composerTop"])
        and box["hidden"] == 0
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_opened_citation_is_fully_visible_above_the_composer(
    viewport: str, guides_server: LiveServer, tmp_path: Path
) -> None:
    """An opened passage at the bottom of a long conversation scrolls clear of the fixed
    composer, at desktop and phone sizes; a screenshot of each is kept."""
    width, height = VIEWPORTS[viewport]
    driver = start_chromium(tmp_path / "profile", width=width, height=height)
    try:
        passage = open_list_citation(driver, guides_server)
        boxes: list[dict[str, Any]] = []

        def settled(d: webdriver.Chrome) -> bool:
            boxes.append(d.execute_script(GEOMETRY, passage))
            return fully_visible(boxes[-1])

        try:
            WebDriverWait(driver, 5, poll_frequency=0.1).until(settled)
        finally:
            shot = tmp_path / f"citation-{viewport}.png"
            driver.save_screenshot(str(shot))
            print(f"screenshot: {shot}")
        assert fully_visible(boxes[-1]), boxes[-1]
        assert shot.stat().st_size > 10_000
        assert driver.execute_script("return innerWidth") == width
    finally:
        driver.quit()


def test_a_quoted_list_shows_its_lead_in_and_items_as_text(
    browser: webdriver.Chrome, guides_server: LiveServer
) -> None:
    """Newlines in a quote are kept: the lead-in line, then one list item per line."""
    passage = open_list_citation(browser, guides_server)
    quote = passage.find_element(By.CSS_SELECTOR, ".passage-quote")
    assert quote.find_element(By.CSS_SELECTOR, "p").text == LIST_LEAD_IN
    items = quote.find_elements(By.CSS_SELECTOR, "ul > li")
    assert [item.text for item in items] == LIST_ITEMS
    # Opened by keyboard, announced, and the buttons say which one is open.
    marker = passage.find_element(By.XPATH, "ancestor::article").find_element(
        By.CSS_SELECTOR, '.answer-text button.cite[data-n="3"]'
    )
    assert marker.get_attribute("aria-expanded") == "true"
    assert passage.get_attribute("aria-live") == "polite"
    # Close returns the focus to the button that opened the passage.
    passage.find_element(By.CSS_SELECTOR, ".passage-close").send_keys(Keys.ENTER)
    assert not passage.is_displayed()
    assert browser.switch_to.active_element == marker


def test_header_describes_the_indexed_guides(
    browser: webdriver.Chrome, guides_server: LiveServer
) -> None:
    """The header counts and lists the guides from GET /documents (as text, not markup)."""
    browser.get(guides_server.url)
    tagline = browser.find_element(By.ID, "tagline")
    WebDriverWait(browser, WAIT_S).until(lambda d: "four career guides" in tagline.text)
    summary = browser.find_element(By.CSS_SELECTOR, "#guides summary")
    summary.send_keys(Keys.ENTER)
    items = browser.find_elements(By.CSS_SELECTOR, "#guide-list li")
    WebDriverWait(browser, WAIT_S).until(lambda d: items[0].is_displayed())
    assert [i.text.split(" — ")[0] for i in items] == GUIDE_TITLES
    assert "<i>with markup</i>" in items[0].text


class NoGuidesAssistant(FakeAssistant):
    def documents(self) -> list[DocumentInfo]:
        return []


def test_header_says_when_no_guide_is_indexed(
    browser: webdriver.Chrome, api_settings: Settings, fake_ingest: FakeIngest
) -> None:
    assistant = NoGuidesAssistant()
    server = LiveServer(create_app(api_settings, lambda _s: assistant, fake_ingest)).start()
    try:
        browser.get(server.url)
        tagline = browser.find_element(By.ID, "tagline")
        WebDriverWait(browser, WAIT_S).until(lambda d: "No career guide is indexed" in tagline.text)
        assert "career-rag ingest" in tagline.text
        assert not browser.find_element(By.ID, "guides").is_displayed()
    finally:
        server.stop()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_page_has_no_serious_or_critical_accessibility_violations(
    viewport: str, guides_server: LiveServer, axe: str, tmp_path: Path
) -> None:
    """axe-core over the page with answers, an opened list citation, a refusal and the guide
    list open: nothing serious or critical."""
    width, height = VIEWPORTS[viewport]
    driver = start_chromium(tmp_path / "profile", width=width, height=height)
    try:
        open_list_citation(driver, guides_server)
        ask(driver, "What is the salary on Mars?", 3)
        driver.find_element(By.CSS_SELECTOR, "#guides summary").click()
        violations = axe_violations(driver, axe)
    finally:
        driver.quit()
    print(f"axe-core ({viewport}):", dict(Counter(v["impact"] for v in violations)))
    for v in violations:
        print(f"  {v['impact']}: {v['id']} ({v['help']}) on {v['nodes'][:3]}")
    assert [v for v in violations if v["impact"] in {"serious", "critical"}] == []


class QuotesOnlyAssistant(FakeAssistant):
    """Answers as the server does when the model is unavailable: quotes, marked as such."""

    def _answer(self, question: str, top_k: int | None, fallback: Any = None) -> Answer:
        return super()._answer(question, top_k, fallback or "llm_unavailable")


@contextmanager
def serving(assistant: FakeAssistant, settings: Settings, ingest: FakeIngest) -> Iterator[str]:
    """A live server answering with `assistant`; yields its URL."""
    server = LiveServer(create_app(settings, lambda _s: assistant, ingest)).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_a_quotes_only_answer_says_so_instead_of_verified(
    browser: webdriver.Chrome, api_settings: Settings, fake_ingest: FakeIngest
) -> None:
    with serving(QuotesOnlyAssistant(), api_settings, fake_ingest) as url:
        browser.get(url)
        turn = ask(browser, "What does an AI engineer do?", 0)
        label = turn.find_element(By.CSS_SELECTOR, ".label").text
        assert label.upper() == "QUOTES FROM THE GUIDES (THE MODEL IS UNAVAILABLE)"
        assert "VERIFIED ANSWER" not in turn.text.upper()
        assert turn.find_elements(By.CSS_SELECTOR, ".answer-text button.cite")


GUIDES_LIST = (
    "The guides are 2 articles:\n- A First Guide (Some Publisher)\n- A Second Guide\n"
    "Ask about any of them, or name one to hear what it covers."
)


class GuidesListAssistant(FakeAssistant):
    """Answers as the server does a question about the guides themselves: a list of titles."""

    def _answer(self, question: str, top_k: int | None, fallback: Any = None) -> Answer:
        return Answer(answer=GUIDES_LIST, refused=False, coverage="answer")


def test_an_answer_listing_the_guides_shows_one_title_a_line(
    browser: webdriver.Chrome, api_settings: Settings, fake_ingest: FakeIngest
) -> None:
    with serving(GuidesListAssistant(), api_settings, fake_ingest) as url:
        browser.get(url)
        turn = ask(browser, "Which articles do you have?", 0)
        text = turn.find_element(By.CSS_SELECTOR, ".answer-text").text
        assert text.splitlines() == GUIDES_LIST.splitlines()
