"""The `career-rag` command: one entry point that dispatches to each package's own CLI.

Each subcommand lives with its package (`ingest.cli`, `rag.cli`, `api.cli`, `evals.cli`) and is
imported only when used, so `career-rag ask` never pays for FastAPI and `serve` never for evals.
Each of those modules exposes `add_arguments(parser)` and `run(args) -> int`; `--help` ends with
examples, the module's own `EXAMPLES` where it has them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "ingest": ("ingest.cli", "Chunk, embed and store the corpus (incremental)."),
    "ask": ("rag.cli", "Answer one question with cited sources."),
    "serve": ("api.cli", "Serve the chat API and page over HTTP."),
    "eval": ("evals.cli", "Score answers against the eval datasets; gate on quality."),
}

EXAMPLES = """\
examples:
  career-rag ingest                         # index the guides (incremental)
  career-rag ask "Which role pays more?"    # one answer with its sources
  career-rag serve                          # chat page on http://127.0.0.1:8000

`career-rag COMMAND --help` shows each command's options and examples.
"""

# For the subcommands whose module carries no `EXAMPLES` of its own.
SUBCOMMAND_EXAMPLES = {
    "serve": """\
examples:
  career-rag serve                          # chat page and API on http://127.0.0.1:8000
  career-rag serve --port 8080 --log-level warning
  career-rag serve --host 0.0.0.0           # reachable from other machines
""",
    "eval": """\
examples:
  career-rag eval                           # default datasets, report in reports/latest/
  career-rag eval --llm none --output reports/quotes
  career-rag eval --gate                    # the CI quality gate: exits 1 when a bound fails
""",
}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, str]]:
    parser = argparse.ArgumentParser(
        prog="career-rag",
        description="Grounded Q&A over a corpus of career guides, with citations.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules: dict[str, str] = {}
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        modules[name] = module_name
        sub.add_parser(name, help=help_text, description=help_text, add_help=False)
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, modules = build_parser()
    if not argv or argv[0] not in modules:
        parser.parse_args(argv)  # prints usage or the error for an unknown command
        return 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(modules[name])
    sub_parser = argparse.ArgumentParser(
        prog=f"career-rag {name}",
        description=SUBCOMMANDS[name][1],
        epilog=SUBCOMMAND_EXAMPLES.get(name),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.add_arguments(sub_parser)
    return int(module.run(sub_parser.parse_args(rest)))


if __name__ == "__main__":
    raise SystemExit(main())
