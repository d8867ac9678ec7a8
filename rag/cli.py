"""`career-rag ask "question"`: one answer with numbered sources, or the Answer JSON.

Also runnable as `python -m rag`. Errors become a one-line message and the exit code of the
domain error (see rag/errors.py); no stack traces for expected failures.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from rag.config import get_settings
from rag.errors import CareerRagError
from rag.schemas import Answer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="the question, in quotes")
    parser.add_argument("--json", action="store_true", help="print the Answer as JSON")
    parser.add_argument(
        "--llm",
        choices=["local", "openai", "none"],
        help="generation backend (default: CAREER_RAG_LLM or local); none = quoted evidence only",
    )
    parser.add_argument("--top-k", type=int, help="passages to retrieve (1-20, default 5)")
    parser.add_argument("--data-dir", type=Path, help="where the index lives (default ./.data)")


def render(answer: Answer) -> str:
    """The answer for a terminal: wrapped text, then numbered sources with their quotes."""
    lines = [textwrap.fill(answer.answer, width=100), ""]
    if answer.refused:
        lines.append("Closest passages:")
        for passage in answer.retrieved[:3]:
            snippet = textwrap.shorten(passage.text, width=160, placeholder=" …")
            lines.append(f"  - {passage.title} › {passage.section or 'Introduction'}: {snippet}")
    else:
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"  [{c.n}] {c.title} › {c.section or 'Introduction'}")
            lines.append(textwrap.indent(textwrap.fill(f"“{c.quote}”", width=96), "      "))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from rag.assistant import Assistant

    overrides = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.llm:
        overrides["llm"] = args.llm
    settings = get_settings().model_copy(update=overrides)
    if args.top_k is not None and not 1 <= args.top_k <= 20:
        print("error: --top-k must be between 1 and 20", file=sys.stderr)
        return 2
    try:
        assistant = Assistant.from_settings(settings)
        answer = assistant.ask(args.question, top_k=args.top_k)
    except CareerRagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(answer.model_dump_json(indent=2) if args.json else render(answer))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag", description="Answer one question.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
