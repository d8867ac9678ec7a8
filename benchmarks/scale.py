"""Scale benchmark: ingest, start-up, memory and retrieval latency at 1k, 10k and 100k chunks.

Run with `python -m benchmarks.scale [--sizes 1000,10000,100000] [--minilm-sizes 1000]
[--modes embedded,server] [--queries 200]`. For each size it writes a deterministic synthetic
corpus in the guides' style (plain-text articles with "Section N:" headings, one chunk per
section, about six sentences per chunk, a growing vocabulary of tool names and figures), then:

- for each of `--modes` (embedded Chroma, a `chroma run` server on 127.0.0.1), ingests it
  through the real pipeline with fast deterministic embedders (hashed bag of words: 384
  dimensions for MiniLM's place, 768 for the ranking encoder's, as the default settings store
  both), times three warm re-ingests of the unchanged corpus (median), and starts a fresh worker
  process that opens the index as the API does and answers `--queries` retrievals (dense +
  keyword + best sentence by both encoders, and the evidence lookup), reporting start-up time,
  RSS and p50/p95 latency;
- for sizes in `--minilm-sizes`, ingests it again with the real MiniLM model alone (no ranking
  encoder) into a fresh data dir and times MiniLM's raw `encode` on exactly the texts ingest
  embedded (chunks with their title and section; sentences), so ingest throughput can be read
  against the model's own rate.
One JSON line per size goes to stdout; progress goes to stderr. Figures depend on the machine
and its load: compare them on one machine, and read docs/scale.md for the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from rag.config import Settings

DIM = 384
RANKER_DIM = 768  # all-mpnet-base-v2's
WARM_RUNS = 3  # warm re-ingests timed per size; the median is reported
SECTIONS_PER_ARTICLE = 20

ROLES = ["AI engineer", "ML engineer", "data scientist", "MLOps engineer", "research engineer"]
SKILLS = [
    "Python", "statistics", "linear algebra", "prompt engineering", "retrieval", "model training",
    "feature stores", "evaluation", "distributed systems", "vector databases", "fine-tuning",
    "experiment tracking", "data pipelines", "cloud deployment", "monitoring", "SQL",
]  # fmt: skip
CITIES = ["London", "Berlin", "Toronto", "Austin", "Dublin", "Sydney", "Singapore", "Paris"]
TOPICS = [
    "Salary and demand", "Daily work", "Skills to learn", "Interview preparation",
    "Career paths", "Tools of the trade", "Education", "Remote work", "Team structure",
    "Portfolio projects",
]  # fmt: skip
TEMPLATES = [
    "A {role} in {city} usually earns around {money}k a year, according to survey {n}.",
    "Most {role}s spend their week on {skill} and {skill2}, with {tool} as the daily tool.",
    "Hiring managers for {role} roles ask about {skill} in {share} percent of interviews.",
    "Learning {skill} takes about {months} months of steady practice for a {role}.",
    "Teams that adopt {tool} report fewer incidents when {skill2} is done well.",
    "The {role} path rewards depth in {skill}, while breadth in {skill2} helps later.",
    "In {year}, demand for {skill} grew faster than demand for {skill2} in {city}.",
    "A good portfolio for a {role} shows one project built with {tool} end to end.",
]


class HashingEmbedder:
    """Fast, deterministic stand-in for an encoder: hashed bag of words, L2-normalised."""

    name = "hashing"

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim
        self._buckets: dict[str, int] = {}
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                bucket = self._buckets.get(word)
                if bucket is None:
                    bucket = self._buckets[word] = zlib.crc32(word.encode()) % self.dim
                out[row, bucket] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms == 0, 1.0, norms)
        out[norms[:, 0] == 0, 0] = 1.0
        return out


def _sentence(rng: random.Random, tool: str) -> str:
    skill, skill2 = rng.sample(SKILLS, 2)
    return rng.choice(TEMPLATES).format(
        role=rng.choice(ROLES),
        city=rng.choice(CITIES),
        money=rng.randint(40, 180),
        n=rng.randint(1, 999),
        skill=skill,
        skill2=skill2,
        tool=tool,
        share=rng.randint(5, 95),
        months=rng.randint(2, 24),
        year=rng.randint(2018, 2026),
    )


def write_corpus(folder: Path, chunks: int, seed: int = 7) -> None:
    """About `chunks` chunks: articles of SECTIONS_PER_ARTICLE one-chunk sections."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    sources = {}
    for a in range(max(1, round(chunks / SECTIONS_PER_ARTICLE))):
        doc_id = f"guide-{a:05d}"
        title = f"{rng.choice(ROLES).title()} Careers, Part {a}: {rng.choice(TOPICS)}"
        lines = [title, f"A practical guide for people weighing the {rng.choice(ROLES)} role."]
        for s in range(SECTIONS_PER_ARTICLE):
            tool = f"tool{rng.randint(0, chunks)}"  # the vocabulary grows with the corpus
            lines.append(f"Section {s + 1}: {rng.choice(TOPICS)}")
            lines.append(" ".join(_sentence(rng, tool) for _ in range(6)))
        (folder / f"{doc_id}.txt").write_text("\n".join(lines) + "\n")
        sources[doc_id] = {"title": title, "publisher": f"Publisher {a % 37}"}
    (folder / "sources.json").write_text(json.dumps(sources))


def _log(message: str) -> None:
    print(f"[scale] {message}", file=sys.stderr, flush=True)


def _rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _settings(
    data: Path, corpus: Path, chroma_url: str | None = None, ranker: str = "mpnet"
) -> Settings:
    from rag.config import Settings

    return Settings(
        data_dir=data, corpus_dir=corpus, llm="none", chroma_url=chroma_url, ranker=ranker
    )


def _ingest(settings: object, embedder: object, ranker: object = None) -> float:
    from ingest.pipeline import ingest_corpus

    started = time.perf_counter()
    ingest_corpus(settings, embedder=embedder, ranker=ranker)  # type: ignore[arg-type]
    return time.perf_counter() - started


def _embedded_texts(settings: object) -> tuple[list[str], list[str]]:
    """The texts ingest embedded for the stored index: chunk texts (title and section included,
    as llama-index builds them) and sentences."""
    from llama_index.core.schema import MetadataMode

    from ingest.components import ChunkNodes
    from ingest.loader import load_corpus
    from ingest.pipeline import _document
    from rag.text import split_sentences

    chunker = ChunkNodes(ingested_at="")
    chunk_texts, sentences = [], []
    for article in load_corpus(settings.corpus_dir).articles:  # type: ignore[attr-defined]
        for node in chunker([_document(article)]):
            chunk_texts.append(node.get_content(metadata_mode=MetadataMode.EMBED))
            sentences.extend(split_sentences(node.get_content(metadata_mode=MetadataMode.NONE)))
    return chunk_texts, sentences


def minilm_ingest(corpus: Path, work: Path) -> dict[str, float]:
    from rag.embedding import MiniLMEmbedder
    from rag.store import open_collection

    model = MiniLMEmbedder()
    settings = _settings(work / "minilm-data", corpus, ranker="none")
    seconds = _ingest(settings, model)
    chunks = open_collection(settings).count()
    chunk_texts, sentences = _embedded_texts(settings)
    started = time.perf_counter()
    model.embed(chunk_texts)
    raw_chunks_s = time.perf_counter() - started
    started = time.perf_counter()
    model.embed(sentences)
    raw_sentences_s = time.perf_counter() - started
    return {
        "minilm_ingest_s": round(seconds, 1),
        "minilm_ingest_chunks_per_s": round(chunks / seconds, 1),
        "minilm_raw_encode_chunks_per_s": round(len(chunk_texts) / raw_chunks_s, 1),
        "minilm_raw_encode_all_s": round(raw_chunks_s + raw_sentences_s, 1),
        # ingest embeds chunks and their sentences: against the raw rate on the same texts...
        "ingest_vs_raw_same_texts": round((raw_chunks_s + raw_sentences_s) / seconds, 2),
        # ...and against the raw rate on the chunk texts alone (the yardstick).
        "ingest_vs_raw_chunks_only": round(raw_chunks_s / seconds, 2),
    }


def questions(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    forms = [
        "How much does a {role} earn in {city}?",
        "Which skills does a {role} need besides {skill}?",
        "How long does it take to learn {skill}?",
        "What does a {role} do with tool{t} every day?",
        "Is {skill} more in demand than {skill2} in {year}?",
    ]
    out = []
    for _ in range(n):
        skill, skill2 = rng.sample(SKILLS, 2)
        out.append(
            rng.choice(forms).format(
                role=rng.choice(ROLES),
                city=rng.choice(CITIES),
                skill=skill,
                skill2=skill2,
                t=rng.randint(0, 1000),
                year=rng.randint(2018, 2026),
            )
        )
    return out


def probe(data: Path, corpus: Path, chroma_url: str | None, n_queries: int) -> dict[str, float]:
    """One worker's view: open the index as the API does, then time retrievals (run in a fresh
    process so start-up and RSS are a worker's own)."""
    rss_before = _rss_mb()
    started = time.perf_counter()
    import chromadb  # noqa: F401  (imported here so start-up below is opening the index only)

    from rag.evidence import candidate_sentences
    from rag.retrieve import HybridRetriever
    from rag.store import open_collection

    imported = time.perf_counter()
    settings = _settings(data, corpus, chroma_url)
    embedder, ranker = HashingEmbedder(), HashingEmbedder(RANKER_DIM)
    retriever = HybridRetriever.for_settings(
        settings, open_collection(settings), embedder, (), ranker
    )
    opened = time.perf_counter()
    assert embedder.calls == ranker.calls == 0, "start-up must not embed"
    rss_open = _rss_mb()
    asked = questions(n_queries)
    for q in asked[:10]:  # warm-up: first queries load Chroma's index segments
        retriever.retrieve(q, 5, ranker_vector=ranker.embed([q])[0])
    first_query = time.perf_counter() - opened
    retrieve_ms, evidence_ms = [], []
    for q in asked:
        vector, ranker_vector = embedder.embed([q])[0], ranker.embed([q])[0]
        t0 = time.perf_counter()
        hits = retriever.retrieve(q, 5, vector, ranker_vector)
        t1 = time.perf_counter()
        candidate_sentences(vector, q, hits, retriever, ranker_vector)
        t2 = time.perf_counter()
        retrieve_ms.append((t1 - t0) * 1000)
        evidence_ms.append((t2 - t1) * 1000)
    return {
        "import_s": round(imported - started, 2),
        "startup_s": round(opened - imported, 3),
        "warmup_10_queries_s": round(first_query, 2),
        "rss_mb_baseline": rss_before,
        "rss_mb_after_startup": rss_open,
        "rss_mb_after_queries": _rss_mb(),
        "retrieve_p50_ms": round(statistics.median(retrieve_ms), 1),
        "retrieve_p95_ms": round(float(np.percentile(retrieve_ms, 95)), 1),
        "evidence_p50_ms": round(statistics.median(evidence_ms), 1),
        "evidence_p95_ms": round(float(np.percentile(evidence_ms, 95)), 1),
    }


def _run_probe(data: Path, corpus: Path, chroma_url: str | None, n: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "benchmarks.scale", "--probe", str(data), str(corpus)]
    cmd += ["--queries", str(n)] + (["--chroma-url", chroma_url] if chroma_url else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if out.returncode:
        raise RuntimeError(f"probe failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class ChromaServer:
    """`chroma run` on a free 127.0.0.1 port, for server-mode figures."""

    def __init__(self, path: Path) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        chroma = Path(sys.executable).parent / "chroma"
        cmd = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("chroma run did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)


def _ingest_and_probe(
    size: int, corpus: Path, data: Path, chroma_url: str | None, queries: int
) -> dict[str, Any]:
    """Ingest with the hashing embedder, time warm re-ingests (median), then probe a fresh
    worker."""
    from rag.store import open_collection, open_sentences

    settings = _settings(data, corpus, chroma_url)
    mode = "server" if chroma_url else "embedded"
    _log(f"{size}: ingesting ({mode}) with the hashing embedder")
    row: dict[str, Any] = {
        "ingest_s": round(_ingest(settings, HashingEmbedder(), HashingEmbedder(RANKER_DIM)), 1)
    }
    row["chunks"] = open_collection(settings).count()
    row["sentences"] = open_sentences(settings).count()
    row["ingest_chunks_per_s"] = round(row["chunks"] / row["ingest_s"], 1)
    warm = [
        _ingest(settings, HashingEmbedder(), HashingEmbedder(RANKER_DIM)) for _ in range(WARM_RUNS)
    ]
    row["warm_reingest_s"] = round(statistics.median(warm), 2)
    _log(f"{size}: probing a {mode} worker")
    row.update(_run_probe(data, corpus, chroma_url, queries))
    return row


def measure(size: int, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    corpus = work / "corpus"
    write_corpus(corpus, size)
    row: dict[str, Any] = {"target_chunks": size}
    if "embedded" in args.modes:
        row["embedded"] = _ingest_and_probe(size, corpus, work / "data", None, args.queries)
    if "server" in args.modes:
        server = ChromaServer(work / "server")
        try:
            remote = work / "remote-data"
            row["server"] = _ingest_and_probe(size, corpus, remote, server.url, args.queries)
            row["server"]["chroma_server_rss_mb"] = _rss_mb(server.proc.pid)
        finally:
            server.stop()
    if size in args.minilm_sizes:
        _log(f"{size}: ingesting with MiniLM and timing its raw encode")
        row.update(minilm_ingest(corpus, work))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="chunk counts, comma-separated"
    )
    parser.add_argument(
        "--minilm-sizes", default="1000", help="sizes also ingested with MiniLM ('' for none)"
    )
    parser.add_argument(
        "--modes",
        default="embedded",
        help="where the index lives: embedded, server (a `chroma run` on 127.0.0.1), or both",
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, default=None, help="keep corpora and indexes here")
    parser.add_argument("--probe", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--chroma-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.probe:
        print(json.dumps(probe(args.probe[0], args.probe[1], args.chroma_url, args.queries)))
        return 0
    args.minilm_sizes = {int(s) for s in args.minilm_sizes.split(",") if s}
    args.modes = {m.strip() for m in args.modes.split(",") if m.strip()}
    if not args.modes or args.modes - {"embedded", "server"}:
        parser.error("--modes takes embedded, server or embedded,server")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        work = Path(tempfile.mkdtemp(prefix=f"scale-{size}-", dir=args.keep))
        try:
            row = measure(size, work, args)
            row["load_average"] = [round(x, 2) for x in os.getloadavg()]
            print(json.dumps(row), flush=True)
        finally:
            if args.keep is None:
                shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
