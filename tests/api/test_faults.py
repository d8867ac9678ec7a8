"""Faults injected into a real server and its dependencies, all on 127.0.0.1 and bounded in time.

- A re-ingest that changes an article while clients ask questions: no query fails, and no answer
  mixes the two versions of the article.
- The Chroma server (`chroma run`) stopped and restarted under load: clear 503s while it is down,
  answers again once it is back, without restarting the API.
- The OpenAI-compatible LLM server down, answering with an error, sending garbage, silent beyond
  the timeout or trickling tokens beyond it: the quotes-only answer, marked, within a bounded
  time; never a hang. The LLM server here is a fault injector written for this test.
- Ingest with no room to write a byte (RLIMIT_FSIZE on the ingest process, the closest to a full
  disk a test can get without root) or into a read-only data dir (skipped as root, which writes
  through file permissions): it fails, and the previous index is intact.
- `kill -9` of the API in the middle of `POST /ingest`: the next start serves a consistent index.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.config import Settings
from rag.errors import LLMUnavailableError
from rag.llm.base import Message
from rag.llm.openai_compat import OpenAICompatLLM
from tests.api.conftest import REAL_ADMIN_TOKEN, FakeAssistant, LiveServer
from tests.api.sse import sse_json
from tests.conftest import CORPUS, REPO
from tests.ingest.conftest import snapshot
from tests.processes import free_port, start_chroma, stop

CHANGED = "ai-engineering-vs-machine-learning-engineering"
QUESTIONS = [
    "What does an AI engineer do?",
    "Which skills does an ML engineer need?",
    "What is the main difference between AI engineering and ML engineering?",
    "Which role should I choose?",
]
REQUEST_TIMEOUT_S = 30
START_TIMEOUT_S = 180


def normal(text: str) -> str:
    return " ".join(text.split())


def child_env(**settings: str) -> dict[str, str]:
    """This environment without CAREER_RAG_* settings, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREER_RAG_")}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.update({f"CAREER_RAG_{k.upper()}": v for k, v in settings.items()})
    return env


def ingest_cli(corpus: Path, data_dir: Path, **popen: Any) -> subprocess.CompletedProcess[str]:
    """`python -m ingest --json` with the real embedder, in a child process."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest",
            "--json",
            "--corpus",
            str(corpus),
            "--data-dir",
            str(data_dir),
        ],
        cwd=REPO,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        **popen,
    )


@pytest.fixture(scope="module")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, data dir): the real corpus indexed with the real embedder, once per module;
    tests copy both before changing anything."""
    root = tmp_path_factory.mktemp("faults")
    corpus, data_dir = root / "corpus", root / "data"
    shutil.copytree(CORPUS, corpus)
    done = ingest_cli(corpus, data_dir)
    assert done.returncode == 0, done.stderr
    return corpus, data_dir


@pytest.fixture
def index_copy(built_index: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    corpus, data_dir = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(built_index[0], corpus)
    shutil.copytree(built_index[1], data_dir)
    return corpus, data_dir


# -- load while a fault happens ---------------------------------------------------------------


@dataclass
class Outcome:
    at: float  # seconds since the load started
    route: str
    status: int  # 0: no response (connection error, timeout)
    seconds: float
    body: Any


class Load:
    """A few client threads asking questions and searching until stopped; records everything."""

    def __init__(self, url: str, clients: int = 3) -> None:
        self.url = url
        self.outcomes: list[Outcome] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(clients)
        ]
        self._started = time.monotonic()

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_TIMEOUT_S + 5)
        assert not any(t.is_alive() for t in self._threads), "a client never got its reply"

    def _loop(self, n: int) -> None:
        with httpx.Client(base_url=self.url, timeout=REQUEST_TIMEOUT_S) as client:
            i = n
            while not self._stop.is_set():
                question = QUESTIONS[i % len(QUESTIONS)]
                route = ["chat", "search", "chat_stream"][i % 3]
                i += 1
                started = time.monotonic()
                try:
                    if route == "search":
                        response = client.get("/search", params={"q": question})
                    else:
                        body = {"question": question, "stream": route == "chat_stream"}
                        response = client.post("/chat", json=body)
                except httpx.HTTPError as exc:
                    self._record(route, 0, started, repr(exc))
                    time.sleep(0.2)
                    continue
                if route == "chat_stream" and response.status_code == 200:
                    events = dict(sse_json(response.text))
                    parsed: Any = events.get("answer") or events.get("error") or events
                else:
                    parsed = response.json()
                self._record(route, response.status_code, started, parsed)
                if response.status_code == 503:
                    time.sleep(0.2)

    def _record(self, route: str, status: int, started: float, body: Any) -> None:
        now = time.monotonic()
        self.outcomes.append(Outcome(started - self._started, route, status, now - started, body))

    def elapsed(self) -> float:
        return time.monotonic() - self._started


def quoted_texts(outcome: Outcome) -> list[tuple[str, str]]:
    """(doc_id, text) of every passage and citation quote a reply shows."""
    body = outcome.body
    if isinstance(body, list):  # /search
        return [(p["doc_id"], p["text"]) for p in body]
    texts = [(c["doc_id"], c["quote"]) for c in body.get("citations", [])]
    return texts + [(p["doc_id"], p["text"]) for p in body.get("retrieved", [])]


# -- re-ingest under load ---------------------------------------------------------------------


def second_version(text: str) -> str:
    """The article's next version: the same content, every sentence visibly reworded."""
    return text.replace(" the ", " the very ")


@pytest.mark.real
def test_reingest_under_load_loses_no_query_and_never_mixes_versions(
    index_copy: tuple[Path, Path],
) -> None:
    corpus, data_dir = index_copy
    article = corpus / f"{CHANGED}.txt"
    v1 = article.read_text(encoding="utf-8")
    v2 = second_version(v1)
    v1_norm, v2_norm = normal(v1), normal(v2)
    settings = Settings(
        data_dir=data_dir, corpus_dir=corpus, llm="none", admin_token=REAL_ADMIN_TOKEN
    )
    server = LiveServer(create_app(settings), startup_timeout_s=START_TIMEOUT_S).start()
    admin = {"Authorization": f"Bearer {REAL_ADMIN_TOKEN}"}
    try:
        with Load(server.url) as load:
            for text in (v2, v1, v2):
                time.sleep(1.5)
                article.write_text(text, encoding="utf-8")
                done = httpx.post(f"{server.url}/ingest", headers=admin, timeout=120)
                assert done.status_code == 200, done.text
                assert done.json()["updated"] == 1
            time.sleep(1.5)
    finally:
        server.stop()

    outcomes = load.outcomes
    print(f"re-ingest under load: {len(outcomes)} requests, 3 re-ingests")
    assert len(outcomes) >= 20
    failed = [(o.route, o.status, o.body) for o in outcomes if o.status != 200]
    assert not failed, failed[:3]
    seen = {"v1": 0, "v2": 0}
    for outcome in outcomes:
        versions = set()
        for doc_id, text in quoted_texts(outcome):
            if doc_id != CHANGED:
                continue
            in_v1, in_v2 = normal(text) in v1_norm, normal(text) in v2_norm
            assert in_v1 or in_v2, f"text from neither version: {text[:80]!r}"
            if in_v1 != in_v2:
                versions.add("v1" if in_v1 else "v2")
        assert len(versions) <= 1, f"one reply mixes both versions: {outcome}"
        for version in versions:
            seen[version] += 1
    # Both versions were served, so the check above had something to catch.
    assert seen["v1"] > 0 and seen["v2"] > 0, seen


# -- the Chroma server goes away and comes back -----------------------------------------------


class ChromaServer:
    """`chroma run` on a fixed port and folder, so it can be stopped and started again."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = start_chroma(self.path, self.port, self.log)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop(self.proc)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.real
def test_chroma_server_down_gives_clear_503s_then_recovers_without_restart(
    chroma_server: ChromaServer, tmp_path: Path
) -> None:
    from ingest.pipeline import ingest_corpus

    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=CORPUS,
        chroma_url=chroma_server.url,
        llm="none",
    )
    assert ingest_corpus(settings).chunks > 0
    server = LiveServer(create_app(settings), startup_timeout_s=START_TIMEOUT_S).start()
    try:
        with Load(server.url) as load:
            time.sleep(2)
            down_from = load.elapsed()
            chroma_server.stop()
            down_until = load.elapsed()
            time.sleep(4)
            chroma_server.start()
            up_from = load.elapsed()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                recent = [o for o in load.outcomes if o.at > up_from + 0.5]
                if sum(o.status == 200 for o in recent) >= 3:
                    break
                time.sleep(0.5)
    finally:
        server.stop()

    outcomes = load.outcomes
    statuses = [o.status for o in outcomes]
    print(f"Chroma down and up: {len(outcomes)} requests, {statuses.count(503)} 503s")
    before = [o for o in outcomes if o.at + o.seconds < down_from]
    during = [o for o in outcomes if o.at > down_until and o.at + o.seconds < up_from]
    after = [o for o in outcomes if o.at > up_from + 0.5]
    assert before and all(o.status == 200 for o in before)
    assert during, "no request was made while Chroma was down"
    for outcome in during:
        assert outcome.status in (200, 503), (outcome.route, outcome.status, outcome.body)
        assert outcome.seconds < 10, "a request hung while Chroma was down"
    refused = [o for o in during if o.status == 503]
    assert refused, "Chroma was down and every request still succeeded?"
    for outcome in refused:
        error = outcome.body["error"]
        assert error["type"] == "index_not_ready"
        assert "index" in error["message"].lower() or "chroma" in error["message"].lower()
    assert sum(o.status == 200 for o in after) >= 3, [(o.status, o.body) for o in after[-3:]]


def test_quotes_only_answer_never_calls_the_model(tmp_path: Path) -> None:
    """`fallback=` skips the model for the rewrite and the draft, and marks the answer; the same
    question without it does call the model (the control)."""
    from ingest.pipeline import ingest_corpus
    from rag.assistant import Assistant
    from rag.schemas import Turn
    from rag.store import open_collection
    from tests.fakes import FakeEmbedder, ScriptedLLM, fake_coverage_model

    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS, llm="none", ranker="none")
    embedder = FakeEmbedder()
    ingest_corpus(settings, embedder=embedder)
    llm = ScriptedLLM("AI engineers build applications on top of foundation models.")
    assistant = Assistant(
        settings,
        embedder=embedder,
        llm=llm,
        collection=open_collection(settings),
        coverage_model=fake_coverage_model(),
    )
    history = [Turn(role="user", content="What does an ML engineer do day to day?")]
    question = "And what does an AI engineer build with foundation models?"
    quoted = assistant.ask(question, history, fallback="generator_busy")
    assert llm.prompts == []
    assert quoted.fallback == "generator_busy" and quoted.backend == "none"
    assert quoted.citations and not quoted.refused
    corpus = " ".join(normal(p.read_text("utf-8")) for p in CORPUS.glob("*.txt"))
    assert all(normal(c.quote) in corpus for c in quoted.citations)
    drafted = assistant.ask(question, history)
    assert llm.prompts and drafted.fallback is None and drafted.backend == "scripted"


def test_store_that_does_not_answer_is_a_503_with_retry_after(
    client: TestClient, fake_assistant: FakeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chromadb's HTTP client lets httpx's connection errors through; they mean "retry soon"."""

    def refused(*args: object, **kwargs: object) -> None:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    monkeypatch.setattr(fake_assistant, "search", refused)
    monkeypatch.setattr(fake_assistant, "ask", refused)
    for response in (
        client.get("/search", params={"q": "MLOps"}),
        client.post("/chat", json={"question": "What is MLOps?"}),
    ):
        assert response.status_code == 503
        assert response.json()["error"]["type"] == "index_not_ready"
        assert "Chroma" in response.json()["error"]["message"]
        assert int(response.headers["Retry-After"]) >= 1


# -- the LLM server fails in every way we could think of --------------------------------------

REPLY = "AI engineers build applications on top of foundation models."


class FakeOpenAIServer:
    """A tiny OpenAI-compatible server whose behaviour the test sets in `mode`:
    ok | error (HTTP 500) | garbage (a stream of non-JSON) | html (a web page, no stream) |
    silent (no byte for 30 s) | trickle (a token every 0.5 s for 30 s)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests = 0
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                models = {"object": "list", "data": [{"id": "fake", "object": "model"}]}
                self._send(200, json.dumps(models).encode(), "application/json")

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests += 1
                mode = outer.mode
                if mode == "error":
                    body = json.dumps({"error": {"message": "model crashed", "type": "x"}})
                    self._send(500, body.encode(), "application/json")
                elif mode == "html":
                    self._send(200, b"<html><body>Bad gateway</body></html>", "text/html")
                elif mode == "silent":
                    outer.release.wait(30)
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    if mode == "garbage":
                        self.wfile.write(b"data: {this is not json\n\ndata: \x00\xff\n\n")
                        return
                    words = REPLY.split(" ") * (60 if mode == "trickle" else 1)
                    for word in words:
                        if mode == "trickle" and outer.release.wait(0.5):
                            return
                        delta = {"choices": [{"index": 0, "delta": {"content": word + " "}}]}
                        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0}
                        chunk.update(model="fake", **delta)
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


LLM_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def llm_fault_server(real_settings: Settings) -> Iterator[tuple[LiveServer, FakeOpenAIServer]]:
    fake = FakeOpenAIServer().start()
    settings = real_settings.model_copy(
        update={"llm": "openai", "llm_url": fake.url, "llm_timeout_s": LLM_TIMEOUT_S}
    )
    server = LiveServer(create_app(settings), startup_timeout_s=START_TIMEOUT_S).start()
    try:
        yield server, fake
    finally:
        server.stop()
        fake.stop()


def ask_three_ways(url: str) -> list[tuple[float, dict[str, Any]]]:
    """(seconds, answer) from `/chat` as JSON and as a stream, and from `/v1` as JSON."""
    replies = []
    question = QUESTIONS[0]
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        for how in ("json", "stream", "v1"):
            started = time.monotonic()
            if how == "v1":
                response = client.post(
                    "/v1/chat/completions",
                    json={"messages": [{"role": "user", "content": question}]},
                )
            else:
                response = client.post(
                    "/chat", json={"question": question, "stream": how == "stream"}
                )
            seconds = time.monotonic() - started
            assert response.status_code == 200, response.text
            if how == "stream":
                events = sse_json(response.text)
                assert [name for name, _ in events][-2:] == ["answer", "done"], events
                body = events[-2][1]
            else:
                body = response.json()
            replies.append((seconds, body))
    return replies


@pytest.mark.parametrize("mode", ["ok", "error", "garbage", "html", "silent", "trickle", "down"])
def test_openai_backend_raises_llm_unavailable_in_bounded_time(mode: str) -> None:
    """The backend alone: every fault is `LLMUnavailableError` within about the timeout."""
    fake = FakeOpenAIServer().start()
    if mode == "down":
        fake.stop()
    fake.mode = mode
    llm = OpenAICompatLLM(fake.url, "fake", None, timeout_s=LLM_TIMEOUT_S)
    hi: list[Message] = [{"role": "user", "content": "hi"}]
    started = time.monotonic()
    try:
        if mode == "ok":
            assert "".join(llm.stream(hi, max_tokens=16))
            assert llm.ready()
            # No log-probabilities and a reply that is neither yes nor no: no verdict.
            assert llm.yes_probability(hi) is None
        else:
            with pytest.raises(LLMUnavailableError):
                "".join(llm.stream(hi, max_tokens=16))
            checked_at = time.monotonic()
            with pytest.raises(LLMUnavailableError):  # the coverage check is bounded the same way
                llm.yes_probability(hi)
            assert time.monotonic() - checked_at < 2 * LLM_TIMEOUT_S + 2
    finally:
        fake.stop()
    assert time.monotonic() - started < 4 * LLM_TIMEOUT_S + 4


@pytest.mark.real
def test_llm_server_that_works_drafts_the_answer(
    llm_fault_server: tuple[LiveServer, FakeOpenAIServer],
) -> None:
    """The control: with the fake server healthy, the model drafts and nothing is a fallback."""
    server, fake = llm_fault_server
    fake.mode = "ok"
    before = fake.requests
    for _, body in ask_three_ways(server.url):
        assert body["fallback"] is None
        assert body.get("backend", "openai:local-model").startswith("openai:")
    assert fake.requests > before


@pytest.mark.real
@pytest.mark.parametrize("mode", ["error", "garbage", "html", "silent", "trickle", "down"])
def test_llm_server_fault_gives_a_marked_quotes_only_answer_in_bounded_time(
    llm_fault_server: tuple[LiveServer, FakeOpenAIServer], mode: str
) -> None:
    server, fake = llm_fault_server
    if mode == "down":
        fake.stop()  # the last case: the port is closed from now on
    fake.mode = mode
    for seconds, body in ask_three_ways(server.url):
        assert body["fallback"] == "llm_unavailable", body
        assert body["citations"], "the quotes-only answer cites its evidence"
        # The timeout, its deadline check after a trickled token, and retrieval: never a hang.
        assert seconds < 2 * LLM_TIMEOUT_S + 6, f"{mode}: {seconds:.1f} s"


# -- ingest that cannot write ------------------------------------------------------------------


def no_writes_allowed() -> None:
    """`preexec_fn`: every write past byte 0 of any file fails with EFBIG, as on a full disk
    (SIGXFSZ ignored, so the process sees the error instead of being killed)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


# Linux capabilities that let root write through file permissions, and the prctl that drops one
# from the bounding set (so the process exec'd next never has it).
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER = 1, 2, 3
_PR_CAPBSET_DROP = 24


def without_permission_override() -> None:
    """`preexec_fn` for a root test run: the child cannot override file permissions, so a
    read-only data dir is read-only to it as to any user."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def make_read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


@dataclass
class FailedIngest:
    result: subprocess.CompletedProcess[str]
    index_unchanged: bool  # every chunk, its text, metadata and vector, as before
    serves_previous_version: bool  # the assistant still answers from the article's old text


@pytest.fixture(scope="module", params=["disk-full", "read-only"])
def unwritable_ingest(
    request: pytest.FixtureRequest, built_index: tuple[Path, Path], tmp_path_factory: Any
) -> FailedIngest:
    """An ingest of a changed article that cannot write a byte, run once per fault."""
    fault = request.param
    root = tmp_path_factory.mktemp(fault)
    corpus, data_dir = root / "corpus", root / "data"
    shutil.copytree(built_index[0], corpus)
    shutil.copytree(built_index[1], data_dir)
    article = corpus / f"{CHANGED}.txt"
    article.write_text(second_version(article.read_text(encoding="utf-8")), "utf-8")
    settings = Settings(data_dir=data_dir, corpus_dir=corpus, llm="none")
    before = snapshot(settings)
    old_text = normal((built_index[0] / f"{CHANGED}.txt").read_text(encoding="utf-8"))
    popen: dict[str, Callable[[], None]] = {}
    if fault == "disk-full":
        popen["preexec_fn"] = no_writes_allowed
    else:
        make_read_only(data_dir)
        if os.geteuid() == 0:
            popen["preexec_fn"] = without_permission_override
    try:
        result = ingest_cli(corpus, data_dir, **popen)
    finally:
        for path in [data_dir, *data_dir.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    from rag.assistant import Assistant

    assistant = Assistant.from_settings(settings, llm="none")
    passages = [
        p for p in assistant.search("What does an AI engineer do?", 20) if p.doc_id == CHANGED
    ]
    serves_old = bool(passages) and all(normal(p.text) in old_text for p in passages)
    return FailedIngest(result, snapshot(settings) == before, serves_old)


@pytest.mark.real
def test_ingest_that_cannot_write_fails_and_keeps_the_previous_index(
    unwritable_ingest: FailedIngest,
) -> None:
    assert unwritable_ingest.result.returncode != 0, unwritable_ingest.result.stdout
    assert unwritable_ingest.index_unchanged
    assert unwritable_ingest.serves_previous_version


@pytest.mark.real
def test_ingest_that_cannot_write_says_so_in_one_clear_line(
    unwritable_ingest: FailedIngest,
) -> None:
    stderr = unwritable_ingest.result.stderr
    assert "Traceback" not in stderr, stderr[-3000:]
    assert any(
        word in stderr.lower() for word in ("read-only", "permission", "not writable", "space")
    ), stderr[-2000:]


# -- the API killed in the middle of a re-ingest ----------------------------------------------


def start_api(data_dir: Path, corpus: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = child_env(llm="none", admin_token=REAL_ADMIN_TOKEN, corpus_dir=str(corpus))
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the API exited during start-up: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(proc)
    pytest.fail("the API did not get ready in time")


def newest_write(folder: Path) -> float:
    return max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0)


@pytest.mark.real
def test_api_killed_during_reingest_restarts_on_a_consistent_index(
    index_copy: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, data_dir = index_copy
    log = tmp_path / "api.log"
    proc, url = start_api(data_dir, corpus, log)
    try:
        old = {d["doc_id"]: d["content_hash"] for d in httpx.get(f"{url}/documents").json()}
        versions = {}
        for doc_id in (CHANGED, "machine-learning-vs-ai-engineering-whats-the-difference"):
            path = corpus / f"{doc_id}.txt"
            versions[doc_id] = (path.read_text("utf-8"), second_version(path.read_text("utf-8")))
            path.write_text(versions[doc_id][1], "utf-8")
        written_before = newest_write(data_dir)
        reply: list[Any] = []

        def reingest() -> None:
            try:
                reply.append(
                    httpx.post(
                        f"{url}/ingest",
                        headers={"Authorization": f"Bearer {REAL_ADMIN_TOKEN}"},
                        timeout=120,
                    )
                )
            except httpx.HTTPError as exc:
                reply.append(exc)

        request = threading.Thread(target=reingest, daemon=True)
        request.start()
        deadline = time.monotonic() + 60
        while newest_write(data_dir) <= written_before and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        request.join(timeout=30)
        assert reply and isinstance(reply[0], httpx.HTTPError), "killed after the ingest ended"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)

    proc, url = start_api(data_dir, corpus, log)
    try:
        docs = {d["doc_id"]: d for d in httpx.get(f"{url}/documents").json()}
        assert set(docs) == set(old)
        answer = httpx.post(f"{url}/chat", json={"question": QUESTIONS[0]}, timeout=60)
        assert answer.status_code == 200, answer.text
        for doc_id, (v1, v2) in versions.items():
            hits = httpx.get(f"{url}/search", params={"q": v1[:200], "top_k": 20}).json()
            texts = [normal(h["text"]) for h in hits if h["doc_id"] == doc_id]
            v1_only = [t for t in texts if t in normal(v1) and t not in normal(v2)]
            v2_only = [t for t in texts if t in normal(v2) and t not in normal(v1)]
            assert not (v1_only and v2_only), f"{doc_id} is served from two versions"
            assert all(t in normal(v1) or t in normal(v2) for t in texts)
        # The interrupted re-ingest, run again, completes.
        again = httpx.post(
            f"{url}/ingest", headers={"Authorization": f"Bearer {REAL_ADMIN_TOKEN}"}, timeout=120
        )
        assert again.status_code == 200, again.text
        summary = again.json()
        assert summary["added"] + summary["updated"] + summary["unchanged"] == len(old)
        new = {d["doc_id"]: d["content_hash"] for d in httpx.get(f"{url}/documents").json()}
        assert {k for k in new if new[k] != old[k]} == set(versions)
    finally:
        stop(proc)
