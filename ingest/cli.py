"""`career-rag ingest`: parse flags, run `ingest_corpus`, print the summary, map errors to exits.

Exit codes: 0 when the index matches every readable article; 1 when articles were found but none
could be ingested; `CorpusError.exit_code` for a missing or unreadable corpus; 130 on Ctrl-C
(the index stays consistent; a rerun finishes the work). The work itself is `ingest.pipeline`'s.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from rag.config import default_corpus_dir, default_data_dir, get_settings
from rag.embedding import Embedder
from rag.errors import CareerRagError
from rag.schemas import IngestSummary

EXIT_INTERRUPTED = 130
EXIT_NOTHING_INGESTED = 1

EXAMPLES = """\
examples:
  career-rag ingest                       # incremental: a no-op when nothing changed
  career-rag ingest --json                # the same, printing only the summary JSON
  career-rag ingest --corpus articles/ --data-dir /srv/career-rag
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # Wrapped here: the examples below need the raw formatter, which does not wrap.
    parser.description = textwrap.fill(
        "Chunk, embed and store the corpus articles in Chroma. Incremental: unchanged articles "
        "are skipped without embedding, changed ones replaced, removed ones deleted. Articles are "
        ".txt, Markdown (.md) or HTML (.html) files. A file that cannot be used is reported "
        "and keeps its previously ingested chunks.",
        width=78,
    )
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--corpus",
        type=Path,
        metavar="DIR",
        help="folder of articles (*.txt, *.md, *.html) plus sources.json "
        f"(default: CAREER_RAG_CORPUS_DIR, else {default_corpus_dir()})",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=f"where the index lives (default: CAREER_RAG_DATA_DIR, else {default_data_dir()})",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print only the summary as JSON: {"added", "updated", "unchanged", "deleted", '
        '"chunks", "seconds", "errors"}',
    )


def run(args: argparse.Namespace, *, embedder: Embedder | None = None) -> int:
    """Run one ingest; `embedder` replaces the packaged MiniLM model (tests use a fake)."""
    settings = get_settings()
    if args.data_dir is not None:
        settings = settings.model_copy(update={"data_dir": args.data_dir})
    try:
        from ingest.pipeline import ingest_corpus  # heavy imports only once the flags are valid

        summary = ingest_corpus(
            settings, embedder=embedder, corpus_dir=args.corpus, progress=sys.stderr.isatty()
        )
    except KeyboardInterrupt:
        print(
            "ingest: interrupted; the index is consistent, run it again to finish.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except CareerRagError as exc:
        print(f"ingest: {exc}", file=sys.stderr)
        return exc.exit_code
    for message in summary.errors:
        print(f"ingest: {message}", file=sys.stderr)
    if args.json:
        print(summary.model_dump_json())
    else:
        print(human_summary(summary))
    ingested = summary.added + summary.updated + summary.unchanged
    return EXIT_NOTHING_INGESTED if summary.errors and not ingested else 0


def human_summary(summary: IngestSummary) -> str:
    text = (
        f"{summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.deleted} deleted; {summary.chunks} chunks in the index ({summary.seconds:.1f}s)"
    )
    if summary.errors:
        text += f"; {len(summary.errors)} problem(s) reported above"
    return text
