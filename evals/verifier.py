"""Verifier benchmark: how often the answer verifier accepts faithful claims and rejects corrupted
ones, on claims generated from the indexed guides (`evals.claims`).

Run: `python -m benchmarks.verifier [--data-dir DIR] [--per-kind N] [--seed S] [--json]
[--output FILE] [--gate]`. Ingests the corpus into the data dir when it is empty, builds the real
Assistant (packaged MiniLM, no LLM), and for every claim retrieves evidence exactly as an answer
would (the claim stands in for the question) and hands the claim to the verifier as the draft.
Prints a table per kind and subkind and writes a JSON summary (default `<data dir>/verifier.json`)
with examples of the corrupted claims that got through. `--gate` exits 1 when a share misses its
minimum in `evals/baselines/verifier.json` (or `--baseline FILE`), 2 when that file is missing.

Only `accepts` knows the verifier's API, so a rewritten verifier needs one function changed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evals.claims import FAITHFUL, KINDS, OTHER_ARTICLE, PERTURBATIONS, Claim, generate_claims
from rag.config import Settings, get_settings
from rag.embedding import Embedder
from rag.evidence import Evidence, candidate_sentences
from rag.retrieve import Hit, HybridRetriever

REPO = Path(__file__).resolve().parent.parent
BASELINE_PATH = Path(__file__).resolve().parent / "baselines" / "verifier.json"
PER_KIND = 300
OTHER_ARTICLE_DEPTH = 20  # retrieved before the claim's own article is dropped
EXAMPLES = 5
MAX_SUBKIND_ROWS = 6  # comparative flips have one subkind per word pair: those stay in the JSON


def accepts(claim_text: str, pool: list[Evidence], embedder: Embedder) -> bool:
    """True when the verifier keeps `claim_text`, as written, as a supported answer sentence
    (dropping it, or replacing it by the evidence quote, is a rejection)."""
    from rag.verify import verify

    result = verify(claim_text, pool, embedder)
    return bool(result.kept) and not result.dropped and not any(k.quoted for k in result.kept)


@dataclass(frozen=True)
class Outcome:
    claim: Claim
    accepted: bool
    source_retrieved: bool  # the claim's own chunk was among the retrieved passages


class CachedEmbedder:
    """The real embedder, with the claims embedded up front in batches: the verifier then finds
    each claim's vector here instead of running the model once per claim."""

    def __init__(self, inner: Embedder, texts: Sequence[str], batch: int = 256) -> None:
        self.inner = inner
        self.dim = inner.dim
        unique = list(dict.fromkeys(texts))
        vectors = [inner.embed(unique[i : i + batch]) for i in range(0, len(unique), batch)]
        stacked = np.concatenate(vectors) if vectors else np.zeros((0, inner.dim), np.float32)
        self._cache = dict(zip(unique, stacked, strict=True))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self.inner.embed(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


def evidence_pool(
    retriever: HybridRetriever, claim: Claim, vector: np.ndarray, top_k: int
) -> tuple[list[Evidence], bool]:
    """The candidate evidence an answer to `claim` would be checked against, and whether the
    claim's own chunk was retrieved. The source chunk is added when retrieval missed it (this
    measures the verifier, not retrieval); for `other_article` the claim's article is removed."""
    if claim.kind == OTHER_ARTICLE:
        deep = retriever.retrieve(claim.text, OTHER_ARTICLE_DEPTH, vector)
        hits = [h for h in deep if h.chunk.doc_id != claim.doc_id][:top_k]
        found = False
    else:
        hits = retriever.retrieve(claim.text, top_k, vector)
        found = any(h.chunk.chunk_id == claim.chunk_id for h in hits)
        source = retriever.index.by_id.get(claim.chunk_id)
        if not found and source is not None:
            hits.append(Hit(source, 0.0))
    return candidate_sentences(vector, claim.text, hits, retriever), found


def verify_claims(
    retriever: HybridRetriever,
    embedder: Embedder,
    claims: Sequence[Claim],
    top_k: int,
    advance: Callable[[], None] = lambda: None,
) -> list[Outcome]:
    """Every claim through retrieval, evidence selection and the verifier."""
    cached = CachedEmbedder(embedder, [c.text for c in claims])
    vectors = cached.embed([c.text for c in claims])
    outcomes = []
    for claim, vector in zip(claims, vectors, strict=True):
        pool, found = evidence_pool(retriever, claim, vector, top_k)
        outcomes.append(Outcome(claim, accepts(claim.text, pool, cached), found))
        advance()
    return outcomes


def _shares(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    n = len(outcomes)
    accepted = sum(o.accepted for o in outcomes)
    return {
        "n": n,
        "accepted": round(accepted / n, 4) if n else None,
        "rejected": round((n - accepted) / n, 4) if n else None,
    }


def summarise(
    outcomes: Sequence[Outcome],
    available: dict[str, int],
    targets: dict[str, Any] | None,
) -> dict[str, Any]:
    """Shares per kind and subkind, the gate's verdict, and examples of the verifier's misses."""
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_kind[o.claim.kind].append(o)
    kinds: dict[str, Any] = {}
    for kind in KINDS:
        rows = by_kind.get(kind, [])
        subkinds: dict[str, list[Outcome]] = defaultdict(list)
        for o in rows:
            subkinds[o.claim.subkind].append(o)
        kinds[kind] = {
            **_shares(rows),
            "available": available.get(kind, 0),
            "source_retrieved": round(sum(o.source_retrieved for o in rows) / len(rows), 4)
            if rows and kind != OTHER_ARTICLE
            else None,
            "subkinds": {sub: _shares(subkinds[sub]) for sub in sorted(subkinds)},
        }
    misses = {
        kind: _spread([o for o in by_kind.get(kind, []) if o.accepted]) for kind in PERTURBATIONS
    }
    return {
        "kinds": kinds,
        "targets": targets,
        "passed": None if targets is None else not gate_failures(kinds, targets),
        "examples": misses,
        "faithful_rejected": _spread([o for o in by_kind.get(FAITHFUL, []) if not o.accepted]),
    }


def _spread(outcomes: Sequence[Outcome]) -> list[dict[str, str]]:
    """A few examples, taken in turn from each subkind."""
    by_sub: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_sub[o.claim.subkind].append(o)
    picked: list[Outcome] = []
    for i in range(EXAMPLES):
        picked += [rows[i] for _, rows in sorted(by_sub.items()) if i < len(rows)]
    return [
        {
            "subkind": o.claim.subkind,
            "original": o.claim.original,
            "claim": o.claim.text,
            "chunk_id": o.claim.chunk_id,
            "doc_id": o.claim.doc_id,
        }
        for o in picked[:EXAMPLES]
    ]


def load_targets(path: Path) -> dict[str, Any] | None:
    """`{"min_rejected": {kind: share}, "min_accepted": share}`, or None when there is no file."""
    if not path.is_file():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))


def gate_failures(kinds: dict[str, Any], targets: dict[str, Any]) -> list[str]:
    """One line per share below its minimum (a kind with no claims fails its minimum)."""
    failures = []
    for kind, minimum in sorted(targets.get("min_rejected", {}).items()):
        got = kinds.get(kind, {}).get("rejected")
        if got is None or got < minimum:
            failures.append(f"{kind}: rejected {_pct(got)} < minimum {_pct(minimum)}")
    minimum = targets.get("min_accepted")
    if minimum is not None:
        got = kinds.get(FAITHFUL, {}).get("accepted")
        if got is None or got < minimum:
            failures.append(f"{FAITHFUL}: accepted {_pct(got)} < minimum {_pct(minimum)}")
    return failures


def run_benchmark(
    settings: Settings,
    embedder: Embedder,
    *,
    per_kind: int = PER_KIND,
    seed: int = 0,
    targets: dict[str, Any] | None = None,
    console: Console | None = None,
    show_progress: bool = False,
) -> dict[str, Any]:
    """Index (when empty), generate, verify and summarise; the whole benchmark minus the CLI."""
    from evals.index import ensure_index, index_chunks
    from rag.assistant import Assistant

    timings: dict[str, float] = {}
    started = time.perf_counter()
    ensure_index(settings, embedder, console)
    assistant = Assistant.from_settings(settings, embedder=embedder, llm=None)
    timings["index"] = time.perf_counter() - started

    started = time.perf_counter()
    claim_set = generate_claims(index_chunks(settings), per_kind=per_kind, seed=seed)
    timings["generate"] = time.perf_counter() - started

    started = time.perf_counter()
    progress = Progress(
        TextColumn("verifying claims"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not show_progress,
    )
    with progress:
        task = progress.add_task("", total=len(claim_set.claims))
        outcomes = verify_claims(
            assistant.retriever,
            embedder,
            claim_set.claims,
            assistant.settings.top_k,
            advance=lambda: progress.advance(task),
        )
    timings["verify"] = time.perf_counter() - started

    summary = summarise(outcomes, claim_set.available, targets)
    summary["available_subkinds"] = claim_set.available_subkinds
    summary["per_kind"] = per_kind
    summary["seed"] = seed
    summary["seconds"] = {k: round(v, 2) for k, v in timings.items()}
    return summary


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def render_table(summary: dict[str, Any]) -> Table:
    """Per kind (and subkind): n, the share that counts (accepted for faithful, rejected for the
    corruptions), and its minimum when one is set."""
    targets = summary.get("targets") or {}
    table = Table(title="Verifier: faithful claims accepted, corrupted claims rejected")
    for name, justify in (
        ("kind", "left"),
        ("n", "right"),
        ("available", "right"),
        ("measure", "left"),
        ("share", "right"),
        ("minimum", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for kind, row in summary["kinds"].items():
        faithful = kind == FAITHFUL
        measure = "accepted" if faithful else "rejected"
        minimum = (
            targets.get("min_accepted") if faithful else targets.get("min_rejected", {}).get(kind)
        )
        table.add_row(
            f"[bold]{kind}",
            str(row["n"]),
            str(row["available"]),
            measure,
            f"[bold]{_pct(row[measure])}",
            _pct(minimum),
        )
        subkinds = row["subkinds"]
        if len(subkinds) > MAX_SUBKIND_ROWS:
            table.add_row(f"  ({len(subkinds)} subkinds in the JSON)", "", "", "", "", "")
        elif len(subkinds) > 1:
            for sub, shares in subkinds.items():
                table.add_row(f"  {sub}", str(shares["n"]), "", measure, _pct(shares[measure]), "")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.verifier", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="where the index lives")
    parser.add_argument("--per-kind", type=int, default=PER_KIND, help="claims per kind")
    parser.add_argument("--seed", type=int, default=0, help="claim sampling seed")
    parser.add_argument("--json", action="store_true", help="print the JSON summary, no table")
    parser.add_argument(
        "--output", type=Path, default=None, help="JSON summary (default: <data dir>/verifier.json)"
    )
    parser.add_argument(
        "--gate", action="store_true", help="exit 1 when a share misses its minimum"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=BASELINE_PATH,
        metavar="FILE",
        help=f"the minimums: {_shown(BASELINE_PATH)}",
    )
    args = parser.parse_args(argv)
    # The weights ship in a package: never let the hub client reach for the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from rag.embedding import MiniLMEmbedder

    update: dict[str, Any] = {"llm": "none"}
    if args.data_dir:
        update["data_dir"] = args.data_dir
    settings = get_settings().model_copy(update=update)
    console = Console(stderr=True)
    targets = load_targets(args.baseline)
    if targets is None:
        console.print(f"[yellow]no minimums: {_shown(args.baseline)} does not exist")

    started = time.perf_counter()
    summary = run_benchmark(
        settings,
        MiniLMEmbedder(),
        per_kind=args.per_kind,
        seed=args.seed,
        targets=targets,
        console=console,
        show_progress=sys.stderr.isatty(),
    )
    summary["seconds"]["total"] = round(time.perf_counter() - started, 2)
    output = args.output or settings.data_dir / "verifier.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        out = Console()
        out.print(render_table(summary))
        short = [
            f"{k} {v['n']}/{v['available']} possible"
            for k, v in summary["kinds"].items()
            if v["n"] < args.per_kind
        ]
        if short:
            out.print(f"fewer than {args.per_kind} claims in the corpus for: " + "; ".join(short))
        seconds = summary["seconds"]
        out.print(
            f"{sum(v['n'] for v in summary['kinds'].values())} claims in {seconds['total']:.1f} s "
            f"(index {seconds['index']:.1f} s, verify {seconds['verify']:.1f} s); "
            f"summary: {output}"
        )

    if not args.gate:
        return 0
    if targets is None:
        console.print(f"[red]--gate: {_shown(args.baseline)} does not exist: nothing to gate on")
        return 2
    failures = gate_failures(summary["kinds"], targets)
    for line in failures:
        console.print(f"[red]gate failed: {line}")
    return 1 if failures else 0


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


if __name__ == "__main__":
    raise SystemExit(main())
