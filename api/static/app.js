// Chat page for career-rag: streams a draft, then shows the verified answer with citations.
// Every piece of model or corpus text is inserted with textContent, never as HTML.
"use strict";

(function () {
  const MAX_HISTORY_TURNS = 20;

  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  const sendButton = document.getElementById("send");
  const resetButton = document.getElementById("reset");
  const conversation = document.getElementById("conversation");
  const announcer = document.getElementById("announcer");
  const emptyHint = document.getElementById("empty-hint");
  const composer = document.querySelector(".composer");
  const tagline = document.getElementById("tagline");
  const guides = document.getElementById("guides");
  const guideList = document.getElementById("guide-list");
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten", "eleven", "twelve"];
  // Room kept between revealed content and the viewport's edges (px).
  const GAP = 12;

  // The server keeps no state: the page sends the conversation with every question.
  let history = [];
  let busy = false;
  let exchangeCount = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollBehavior() {
    return reducedMotion.matches ? "auto" : "smooth";
  }

  function scrollToEnd(node) {
    node.scrollIntoView({ block: "end", behavior: scrollBehavior() });
  }

  // The composer stays fixed over the bottom of the page; the root's scroll-padding keeps
  // focus scrolling and scrollIntoView clear of it.
  function trackComposerHeight() {
    const update = () =>
      document.documentElement.style.setProperty("--composer-height", composer.offsetHeight + "px");
    update();
    if ("ResizeObserver" in window) new ResizeObserver(update).observe(composer);
    else window.addEventListener("resize", update);
  }

  // Scroll just enough for `node` to sit wholly between the top of the viewport and the
  // composer; one taller than that space shows its start.
  function reveal(node) {
    const rect = node.getBoundingClientRect();
    const top = GAP;
    const bottom = window.innerHeight - composer.offsetHeight - GAP;
    let delta = 0;
    if (rect.bottom > bottom) delta = rect.bottom - bottom;
    if (rect.top - delta < top) delta = rect.top - top;
    if (delta) window.scrollBy({ top: delta, behavior: scrollBehavior() });
  }

  // --- The guides this server answers from (GET /documents) ------------------------------
  async function describeGuides() {
    let docs;
    try {
      const response = await fetch("/documents", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      docs = await response.json();
    } catch (_) {
      return; // keep the generic description
    }
    if (!Array.isArray(docs)) return;
    const count = docs.length;
    if (!count) {
      tagline.textContent =
        "AI engineer or ML engineer? No career guide is indexed yet, so questions cannot be " +
        "answered: run career-rag ingest on the server.";
      return;
    }
    const number = NUMBER_WORDS[count] || String(count);
    const guidesText = number + " career guide" + (count === 1 ? "" : "s");
    tagline.textContent =
      "AI engineer or ML engineer? Answers come only from " + guidesText + ", with the " +
      "passages they rest on.";
    guideList.textContent = "";
    for (const doc of docs) {
      const item = el("li", "", doc.title || doc.doc_id);
      if (doc.publisher) item.appendChild(el("span", "guide-publisher", " — " + doc.publisher));
      guideList.appendChild(item);
    }
    document.getElementById("guides-summary").textContent =
      count === 1 ? "Which guide?" : "Which guides?";
    guides.hidden = false;
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    sendButton.textContent = value ? "Answering…" : "Ask";
    form.setAttribute("aria-busy", String(value));
  }

  // --- Server-Sent Events over fetch (EventSource cannot POST) ---------------------------
  async function* readEvents(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      // A trailing "\r" may be half of "\r\n": keep it for the next chunk.
      let tail = "";
      if (!done && buffer.endsWith("\r")) {
        tail = "\r";
        buffer = buffer.slice(0, -1);
      }
      buffer = buffer.replace(/\r\n?/g, "\n") + tail;
      let cut;
      while ((cut = buffer.indexOf("\n\n")) !== -1) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = parseBlock(block);
        if (event) yield event;
      }
      if (done) return;
    }
  }

  function parseBlock(block) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    return data.length ? { name, data: data.join("\n") } : null;
  }

  // --- Rendering --------------------------------------------------------------------------
  function addUserTurn(question) {
    if (emptyHint) emptyHint.remove();
    const turn = el("article", "turn user");
    turn.appendChild(el("h2", "visually-hidden", "You asked"));
    turn.appendChild(el("p", "bubble", question));
    conversation.appendChild(turn);
    return turn;
  }

  function addAssistantTurn() {
    exchangeCount += 1;
    const turn = el("article", "turn assistant pending");
    turn.id = "answer-" + exchangeCount;
    turn.setAttribute("aria-busy", "true");
    turn.appendChild(el("h2", "visually-hidden", "Assistant"));
    const bubble = el("div", "bubble");
    const label = el("p", "label", "Writing a draft…");
    const text = el("p", "answer-text");
    bubble.append(label, text);
    turn.appendChild(bubble);
    conversation.appendChild(turn);
    scrollToEnd(turn);
    return { turn, bubble, label, text };
  }

  const FALLBACK_REASONS = {
    generator_busy: "the model is busy",
    llm_unavailable: "the model is unavailable",
  };

  function renderAnswer(view, answer) {
    const { turn, bubble } = view;
    turn.classList.remove("pending");
    turn.setAttribute("aria-busy", "false");
    bubble.textContent = "";
    const citations = new Map((answer.citations || []).map((c) => [c.n, c]));
    const passageId = turn.id + "-passage";

    if (answer.refused) {
      turn.classList.add("refused");
      bubble.appendChild(el("p", "label refused-label", "Not covered by the guides"));
    } else if (answer.fallback) {
      // The server answered with quotes alone: say why, so nobody waits for a model's wording.
      const why = FALLBACK_REASONS[answer.fallback] || "no model answer";
      bubble.appendChild(el("p", "label quotes-label", "Quotes from the guides (" + why + ")"));
    } else {
      bubble.appendChild(el("p", "label verified-label", "Verified answer"));
    }

    const text = el("p", "answer-text");
    const buttons = [];
    // Split on [n] markers; a marker with a known citation becomes a button.
    const parts = String(answer.answer || "").split(/(\[\d+\])/);
    for (const part of parts) {
      const match = /^\[(\d+)\]$/.exec(part);
      const citation = match && citations.get(Number(match[1]));
      if (citation) {
        const button = citeButton(citation, passageId, "[" + citation.n + "]");
        buttons.push(button);
        text.appendChild(button);
      } else if (part) {
        text.appendChild(document.createTextNode(part));
      }
    }
    bubble.appendChild(text);

    if (citations.size) {
      const sources = el("div", "sources");
      sources.appendChild(el("h3", "sources-title", "Sources"));
      const list = el("ol", "source-list");
      for (const citation of citations.values()) {
        const item = el("li");
        const label = citation.title + (citation.section ? " — " + citation.section : "");
        const button = citeButton(citation, passageId, label);
        button.classList.add("source-button");
        buttons.push(button);
        item.appendChild(el("span", "source-n", citation.n + "."));
        item.appendChild(button);
        list.appendChild(item);
      }
      sources.appendChild(list);
      bubble.appendChild(sources);
    }

    // A refusal points at the nearest passages so the reader can check for themselves.
    const nearest = answer.refused ? (answer.retrieved || []).slice(0, 3) : [];
    if (nearest.length) {
      const block = el("div", "sources nearest");
      block.appendChild(el("h3", "sources-title", "Closest passages in the guides"));
      const list = el("ol", "source-list");
      nearest.forEach((p, i) => {
        const source = { n: i + 1, title: p.title || p.doc_id, section: p.section, quote: p.text };
        const item = el("li");
        const label = source.title + (source.section ? " — " + source.section : "");
        const button = citeButton(source, passageId, label);
        button.classList.add("source-button");
        item.appendChild(el("span", "source-n", source.n + "."));
        item.appendChild(button);
        list.appendChild(item);
      });
      block.appendChild(list);
      bubble.appendChild(block);
    }

    const passage = el("section", "passage");
    passage.id = passageId;
    passage.hidden = true;
    passage.setAttribute("aria-live", "polite");
    bubble.appendChild(passage);
    turn.dataset.citations = String(citations.size);

    announcer.textContent =
      (answer.refused ? "Not covered by the guides. " : "Answer ready. ") + (answer.answer || "");
    return buttons;
  }

  function citeButton(citation, passageId, label) {
    const button = el("button", "cite", label);
    button.type = "button";
    button.dataset.n = String(citation.n);
    button.setAttribute("aria-controls", passageId);
    button.setAttribute("aria-expanded", "false");
    button.setAttribute(
      "aria-label",
      "Source " + citation.n + ": " + citation.title + (citation.section ? ", " + citation.section : "")
    );
    button.addEventListener("click", () => togglePassage(button, citation, passageId));
    return button;
  }

  function togglePassage(button, citation, passageId) {
    const passage = document.getElementById(passageId);
    const turn = passage.closest(".turn");
    const wasOpen = button.getAttribute("aria-expanded") === "true";
    for (const other of turn.querySelectorAll("button.cite")) {
      other.setAttribute("aria-expanded", "false");
    }
    if (wasOpen) {
      passage.hidden = true;
      return;
    }
    for (const same of turn.querySelectorAll('button.cite[data-n="' + citation.n + '"]')) {
      same.setAttribute("aria-expanded", "true");
    }
    passage.textContent = "";
    const heading = el("p", "passage-meta");
    heading.appendChild(el("span", "passage-n", "[" + citation.n + "] "));
    heading.appendChild(el("strong", "passage-title", citation.title));
    if (citation.section) heading.appendChild(el("span", "passage-section", " — " + citation.section));
    const quote = quoteBlock(citation.quote);
    const close = el("button", "passage-close", "Close");
    close.type = "button";
    close.addEventListener("click", () => {
      passage.hidden = true;
      for (const other of turn.querySelectorAll("button.cite")) {
        other.setAttribute("aria-expanded", "false");
      }
      button.focus();
    });
    passage.append(heading, quote, close);
    passage.hidden = false;
    reveal(passage);
  }

  const BULLET = /^(?:[-*•‣▪–]|\d{1,2}[.)])\s+/;

  // A quote keeps its line structure: a line ending in ":" introduces the lines after it as a
  // list, and bulleted lines are list items; other lines are paragraphs. Text only, never HTML.
  function quoteBlock(text) {
    const block = el("blockquote", "passage-quote");
    const lines = String(text || "")
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean);
    let list = null;
    let afterLeadIn = false;
    for (const line of lines) {
      const bulleted = BULLET.test(line);
      if (bulleted || (afterLeadIn && !line.endsWith(":"))) {
        if (!list) {
          list = el("ul", "quote-list");
          block.appendChild(list);
        }
        list.appendChild(el("li", "", line.replace(BULLET, "")));
      } else {
        list = null;
        block.appendChild(el("p", "quote-line", line));
        afterLeadIn = line.endsWith(":");
      }
    }
    return block;
  }

  function renderError(view, message) {
    const { turn, bubble } = view;
    turn.classList.remove("pending");
    turn.classList.add("error");
    turn.setAttribute("aria-busy", "false");
    bubble.textContent = "";
    bubble.setAttribute("role", "alert");
    bubble.appendChild(el("p", "label error-label", "Could not answer"));
    bubble.appendChild(el("p", "answer-text", message));
  }

  async function errorMessage(response) {
    let message = "The server answered " + response.status + ".";
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (_) {
      /* not JSON: keep the status message */
    }
    const retry = response.headers.get("Retry-After");
    if (response.status === 503 && retry) message += " (retry in " + retry + " s)";
    return message;
  }

  // --- Asking -------------------------------------------------------------------------------
  async function ask(question) {
    setBusy(true);
    addUserTurn(question);
    const view = addAssistantTurn();
    let answer = null;
    try {
      const response = await fetch("/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify({ question, history: history.slice(-MAX_HISTORY_TURNS), stream: true }),
      });
      if (!response.ok) throw new Error(await errorMessage(response));
      for await (const event of readEvents(response)) {
        if (event.name === "token") {
          view.text.textContent += JSON.parse(event.data).text;
        } else if (event.name === "answer") {
          answer = JSON.parse(event.data);
          renderAnswer(view, answer);
        } else if (event.name === "error") {
          const body = JSON.parse(event.data);
          throw new Error((body.error && body.error.message) || "The answer failed.");
        } else if (event.name === "done") {
          break;
        }
      }
      if (!answer) throw new Error("The connection closed before the answer was complete.");
      history.push({ role: "user", content: question });
      history.push({ role: "assistant", content: answer.answer });
    } catch (err) {
      const message = err instanceof TypeError ? "Could not reach the server." : err.message;
      renderError(view, message);
      announcer.textContent = "Could not answer: " + message;
    } finally {
      setBusy(false);
      scrollToEnd(view.turn);
      input.focus();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  resetButton.addEventListener("click", () => {
    history = [];
    conversation.textContent = "";
    announcer.textContent = "New conversation started.";
    input.focus();
  });

  trackComposerHeight();
  describeGuides();
  input.focus();
})();
