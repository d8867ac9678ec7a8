"""Median `POST /chat` latency of a real server with the real assistant, over 20 questions.

Starts `python -m api` on a free 127.0.0.1 port as a separate process (the configured LLM
backend, `CAREER_RAG_*` settings as usual), waits until `/ready`, asks each question once in
sequence after one warm-up request, and prints the latency distribution plus the server-side
stage timings. Every wait is bounded: start-up, each request, and the whole run.

    python -m benchmarks.chat_latency [--data-dir DIR] [--questions 20] [--json]

The index must exist first (`career-rag ingest`); the script says so if it does not.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

QUESTIONS = [
    "What does an AI engineer do?",
    "What does a machine learning engineer do day to day?",
    "What is the main difference between AI engineering and ML engineering?",
    "Which skills does an ML engineer need?",
    "Which programming languages should an AI engineer know?",
    "How much does a machine learning engineer earn?",
    "Is AI engineering a good career in 2026?",
    "Do I need a PhD to become an ML engineer?",
    "What tools do AI engineers use?",
    "How do I choose between AI engineering and ML engineering?",
    "What is MLOps?",
    "Do AI engineers train models from scratch?",
    "What does career growth look like for AI engineers?",
    "Which role suits someone with a software engineering background?",
    "What math do ML engineers need?",
    "How is demand for AI engineers changing?",
    "What are large language models used for by AI engineers?",
    "Who earns more, AI engineers or ML engineers?",
    "What is the best sourdough bread recipe?",
    "Which football team won the 1998 World Cup?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited during start-up (code {proc.returncode})")
        try:
            response = httpx.get(f"{url}/ready", timeout=5)
            if response.status_code == 200:
                return
            last = response.json().get("error", {}).get("message", response.text)
            if response.status_code == 503 and "ingest" in last:
                raise SystemExit(f"not ready: {last}")
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server was not ready within {timeout_s:.0f}s: {last}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def ask_all(url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """One warm-up request, then each question once, in sequence, within the time budget."""
    questions = (QUESTIONS * ((args.questions // len(QUESTIONS)) + 1))[: args.questions]
    deadline = time.monotonic() + args.budget_s
    rows: list[dict[str, Any]] = []
    with httpx.Client(base_url=url, timeout=args.request_timeout_s) as client:
        client.post("/chat", json={"question": "What is an AI engineer?"}).raise_for_status()
        for question in questions:
            if time.monotonic() > deadline:
                print(f"time budget of {args.budget_s}s spent; stopping early", file=sys.stderr)
                break
            t0 = time.perf_counter()
            response = client.post("/chat", json={"question": question})
            latency_ms = (time.perf_counter() - t0) * 1000
            response.raise_for_status()
            body = response.json()
            rows.append(
                {
                    "question": question,
                    "latency_ms": round(latency_ms, 1),
                    "refused": body["refused"],
                    "citations": len(body["citations"]),
                    **{f"server_{k}_ms": v for k, v in body["timings_ms"].items()},
                }
            )
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning"]
    if args.data_dir:
        command += ["--data-dir", str(args.data_dir)]
    started = time.monotonic()
    # The server's log goes to a file (a pipe nobody reads could fill up and stall it).
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_ready(url, proc, args.startup_timeout_s)
            except SystemExit:
                log.seek(0)
                sys.stderr.write(log.read()[-4000:].decode("utf-8", "replace"))
                raise
            startup_s = time.monotonic() - started
            backend = httpx.get(f"{url}/ready", timeout=5).json().get("llm", "?")
            rows = ask_all(url, args)
        finally:
            stop(proc)
    latencies = [r["latency_ms"] for r in rows]
    if not latencies:
        raise SystemExit("no question was answered")

    def median_of(key: str) -> float | None:
        values = [r[key] for r in rows if key in r]
        return round(statistics.median(values), 1) if values else None

    return {
        "backend": backend,
        "questions": len(rows),
        "startup_s": round(startup_s, 1),
        "median_ms": round(statistics.median(latencies), 1),
        "p90_ms": round(percentile(latencies, 0.9), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "min_ms": round(min(latencies), 1),
        "max_ms": round(max(latencies), 1),
        "refused": sum(r["refused"] for r in rows),
        "median_server_ms": {
            stage: median_of(f"server_{stage}_ms")
            for stage in ("retrieve", "generate", "verify", "total")
        },
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chat_latency", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None, help="Index location.")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--startup-timeout-s", type=float, default=300)
    parser.add_argument("--request-timeout-s", type=float, default=120)
    parser.add_argument("--budget-s", type=float, default=900, help="Cap on the whole run.")
    parser.add_argument("--json", action="store_true", help="Print the full result as JSON.")
    args = parser.parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"backend {result['backend']}, {result['questions']} questions, "
        f"server start-up {result['startup_s']} s"
    )
    print(
        f"/chat latency: median {result['median_ms']} ms, p90 {result['p90_ms']} ms, "
        f"mean {result['mean_ms']} ms, min {result['min_ms']} ms, max {result['max_ms']} ms"
    )
    print(
        f"refused: {result['refused']}; median server-side stages (ms): "
        f"{result['median_server_ms']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
