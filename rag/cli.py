"""`career-rag ask "question"`: one answer with numbered sources, or the Answer JSON.

Also runnable as `python -m rag`. The question is checked before anything heavy is loaded. When
a career-rag server already runs (`--server`, by default http://127.0.0.1:8000), the question goes
to its `POST /chat`, which has the models loaded, and the answer comes back in about a second;
otherwise the embedding model and the LLM are loaded in this process (about 15 s with the local
LLM). Errors become a one-line message and the exit code of the domain error (see rag/errors.py);
no stack traces for expected failures.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rag.config import Settings, default_data_dir, get_settings, project_root
from rag.errors import (
    BusyError,
    CareerRagError,
    CorpusError,
    IndexNotReadyError,
    InvalidQuestionError,
    LLMUnavailableError,
)
from rag.schemas import Answer
from rag.text import quotes_own_cell

DEFAULT_SERVER = "http://127.0.0.1:8000"
# Long enough for a busy loopback server to answer, short enough that no server costs nothing.
PROBE_TIMEOUT_S = 0.3
# A server answers within seconds, but may first queue the question behind others.
CHAT_TIMEOUT_S = 180.0
LOADING = {
    "local": "loading the embedding model and the local LLM (about 15 s)...",
    "openai": "loading the embedding model (a few seconds)...",
    "none": "loading the embedding model (a few seconds)...",
}
# The API's error types (api/errors.py), back to the domain errors they came from.
SERVER_ERRORS: dict[str, type[CareerRagError]] = {
    "invalid_question": InvalidQuestionError,
    "validation_error": InvalidQuestionError,
    "index_not_ready": IndexNotReadyError,
    "llm_unavailable": LLMUnavailableError,
    "busy": BusyError,
    "corpus_error": CorpusError,
}

EXAMPLES = """\
examples:
  career-rag ask "Which role pays more?"
  career-rag ask --json "What does an ML engineer do day to day?"
  career-rag ask --llm none "Do AI engineers need a master's degree?"   # quotes, no LLM

A running `career-rag serve` (or `make run`) answers in about a second; without one the models
load in this process first (about 15 s).
"""

AssistantFactory = Callable[[Settings], Any]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="the question, in quotes")
    parser.add_argument("--json", action="store_true", help="print the Answer as JSON")
    parser.add_argument(
        "--llm",
        choices=["local", "openai", "none"],
        help="generation backend (default: CAREER_RAG_LLM or local); none = quoted evidence "
        "only; answers in this process",
    )
    parser.add_argument("--top-k", type=int, help="passages to retrieve (1-20, default 5)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=f"where the index lives (default: CAREER_RAG_DATA_DIR, else {default_data_dir()}); "
        "answers in this process",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--server",
        metavar="URL",
        help=f"ask this running career-rag server (default: {DEFAULT_SERVER} when it answers)",
    )
    where.add_argument(
        "--local",
        action="store_true",
        help="answer in this process even when a server is running",
    )
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def render(answer: Answer) -> str:
    """The answer for a terminal: wrapped text, then numbered sources with their quotes."""
    # Line by line: an answer's own line breaks (a list of the guides) are kept.
    lines = [textwrap.fill(line, width=100) for line in answer.answer.splitlines()] + [""]
    if answer.refused:
        lines.append("Closest passages:")
        for passage in answer.retrieved[:3]:
            snippet = textwrap.shorten(passage.text, width=160, placeholder=" …")
            lines.append(f"  - {passage.title} › {passage.section or 'Introduction'}: {snippet}")
    else:
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"  [{c.n}] {c.title} › {c.section or 'Introduction'}")
            shown = c.quote if quotes_own_cell(c.quote) else f"“{c.quote}”"
            lines.append(textwrap.indent(textwrap.fill(shown, width=96), "      "))
    return "\n".join(lines)


def check_question(question: str, settings: Settings) -> str:
    """The stripped question, or InvalidQuestionError when it is blank or over the limit."""
    question = question.strip()
    if not question:
        raise InvalidQuestionError(
            'The question is empty: ask about the guides, e.g. career-rag ask "Which role '
            'pays more?"'
        )
    limit = settings.max_question_chars
    if len(question) > limit:
        raise InvalidQuestionError(
            f"The question is {len(question)} characters long; the limit is {limit} "
            "(CAREER_RAG_MAX_QUESTION_CHARS). Shorten it and ask again."
        )
    return question


def _ingest_hint(given_data_dir: Path | None) -> str:
    if given_data_dir is not None:
        command = f"`career-rag ingest --data-dir {given_data_dir}`"
    elif project_root() is not None:
        command = "`career-rag ingest` (or `make ingest`)"
    else:
        command = "`career-rag ingest --corpus DIR`"
    return f"run {command} to index the guides, then ask again"


def check_index(settings: Settings, given_data_dir: Path | None = None) -> None:
    """IndexNotReadyError, saying how to ingest, when there is no index or it holds no chunk.

    Creates nothing: a mistyped data dir must not become a new, empty index."""
    if not settings.chroma_url and not (settings.chroma_dir / "chroma.sqlite3").is_file():
        raise IndexNotReadyError(
            f"No index in {settings.data_dir}: {_ingest_hint(given_data_dir)}."
        )
    from chromadb.errors import NotFoundError

    from rag.store import chroma_client

    where = settings.chroma_url or settings.data_dir
    try:
        chunks = chroma_client(settings).get_collection(settings.collection).count()
    except NotFoundError:
        chunks = 0
    except Exception as exc:
        if not settings.chroma_url:
            raise
        raise IndexNotReadyError(f"The Chroma server at {where} did not answer: {exc}") from exc
    if not chunks:
        raise IndexNotReadyError(f"The index in {where} is empty: {_ingest_hint(given_data_dir)}.")


# -- a running server ---------------------------------------------------------------------------


def _client(url: str, timeout: Any) -> Any:
    import httpx

    # Proxy variables are for the outside world; a loopback server is reached directly.
    loopback = urlparse(url).hostname in {"127.0.0.1", "localhost", "::1"}
    return httpx.Client(base_url=url.rstrip("/"), timeout=timeout, trust_env=not loopback)


def server_is_up(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a career-rag server answers `GET /health` at `url` within `timeout_s`."""
    import httpx

    try:
        with _client(url, timeout_s) as client:
            response = client.get("/health")
        return response.status_code == 200 and response.json() == {"status": "ok"}
    except (httpx.HTTPError, ValueError):
        return False


def ask_server(url: str, question: str, top_k: int | None) -> Answer | None:
    """The server's Answer; None when the server went away before taking the question.

    A refusal by the server (bad question, index not ready, busy...) is raised as the domain
    error it reports, so the exit code is the same as for a local answer."""
    import httpx

    body: dict[str, Any] = {"question": question}
    if top_k is not None:
        body["top_k"] = top_k
    try:
        with _client(url, httpx.Timeout(CHAT_TIMEOUT_S, connect=2.0)) as client:
            response = client.post("/chat", json=body)
    except httpx.ConnectError:
        return None
    except httpx.HTTPError as exc:
        raise CareerRagError(
            f"The server at {url} did not answer ({type(exc).__name__}); "
            "ask again, or add --local to answer without it."
        ) from exc
    if response.status_code == 200:
        return Answer.model_validate(response.json())
    try:
        error = response.json()["error"]
        kind, message = str(error["type"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        kind, message = "", f"The server at {url} answered HTTP {response.status_code}."
    raise SERVER_ERRORS.get(kind, CareerRagError)(message)


# -- the command ----------------------------------------------------------------------------------


def run(args: argparse.Namespace, *, build_assistant: AssistantFactory | None = None) -> int:
    """Answer `args.question`; `build_assistant(settings)` replaces the real Assistant (tests)."""
    overrides: dict[str, Any] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.llm:
        overrides["llm"] = args.llm
    settings = get_settings().model_copy(update=overrides)
    if args.top_k is not None and not 1 <= args.top_k <= 20:
        print("error: --top-k must be between 1 and 20", file=sys.stderr)
        return 2
    server = getattr(args, "server", None)
    if server and overrides:
        # The server has its own index and backend; these flags only mean something here.
        print("error: --data-dir and --llm answer in this process; drop --server", file=sys.stderr)
        return 2
    try:
        question = check_question(args.question, settings)
        answer = None
        if not (getattr(args, "local", False) or overrides):
            url = server or DEFAULT_SERVER
            if server_is_up(url):
                answer = ask_server(url, question, args.top_k)
            elif server:
                print(f"no career-rag server at {url}; answering here", file=sys.stderr)
        if answer is None:
            answer = ask_here(settings, question, args.top_k, args.data_dir, build_assistant)
    except CareerRagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(answer.model_dump_json(indent=2) if args.json else render(answer))
    return 0


def ask_here(
    settings: Settings,
    question: str,
    top_k: int | None,
    given_data_dir: Path | None,
    build_assistant: AssistantFactory | None,
) -> Answer:
    """Answer in this process: check the index, then load the models (saying so) and ask."""
    check_index(settings, given_data_dir)
    print(LOADING[settings.llm], file=sys.stderr, flush=True)
    if build_assistant is None:
        from rag.assistant import Assistant

        build_assistant = Assistant.from_settings
    answer: Answer = build_assistant(settings).ask(question, top_k=top_k)
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag", description="Answer one question.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
