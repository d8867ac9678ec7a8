"""Load test: many concurrent clients on a mix of routes, for a fixed time, against a real server.

Each client loops until the time is up: it picks a route (seeded, weighted: `/chat` as JSON and
as a stream, `/v1/chat/completions` as JSON and as a stream, `/search`, `/documents`), sends one
request, and on 503 or 429 sleeps for the Retry-After the server gave before going on. Before the
load, a few questions asked one at a time give the idle answer time. The report has, per number
of clients: throughput, p50/p95/p99 latency per route, the share of each status, the share of
chat answers that were quotes-only (`fallback`), and the p95 of the answers the model drafted as a
multiple of the idle answer time.

    python -m benchmarks.load [--clients 16 64] [--duration 30] [--llm local|none] [--json]
    python -m benchmarks.load --url http://127.0.0.1:8000     # an already running server

Without `--url` it ingests the corpus into a temporary data dir and starts `python -m api` on a
free 127.0.0.1 port with the given backend (default: the configured one, the local model). Every
wait is bounded: start-up, each request, the run, and the end of the requests in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.chat_latency import QUESTIONS, free_port, percentile, stop, wait_ready

# (route name, weight): chat routes are what people use; retrieval and listing ride along.
ROUTES = [
    ("chat", 3),
    ("chat_stream", 2),
    ("v1", 2),
    ("v1_stream", 1),
    ("search", 2),
    ("documents", 1),
]
CHAT_ROUTES = {"chat", "chat_stream", "v1", "v1_stream"}
ANSWERABLE = QUESTIONS[:18]  # the last two are off-topic: refused at once, no model
IDLE_QUESTIONS = 5
MAX_RETRY_SLEEP_S = 30.0


@dataclass
class Result:
    route: str
    status: int  # 0 when the request failed without a response (connection, timeout)
    seconds: float
    fallback: str | None = None
    refused: bool = False
    error: str = ""
    generate_ms: float | None = None  # the server's own generation time, where it reports it


@dataclass
class Level:
    clients: int
    duration_s: float
    results: list[Result] = field(default_factory=list)
    stuck: int = 0
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)


def _last_sse_data(text: str, event: str | None = None) -> dict[str, Any]:
    """The JSON of the last `data:` line (of the given `event:` when named) of an SSE body."""
    found: dict[str, Any] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("event:"):
            current = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
            if data.startswith("{") and (event is None or current == event):
                with contextlib.suppress(ValueError):
                    found = json.loads(data)
    return found


def _answer_of(route: str, response: httpx.Response) -> tuple[dict[str, Any], str]:
    """(body, error) from a 200 chat reply of any of the four shapes; the body has `fallback`,
    `refused` and, from `/chat`, `timings_ms`."""
    if route == "chat":
        body = response.json()
    elif route == "chat_stream":
        body = _last_sse_data(response.text, "answer")
        if not body:
            return {}, "no answer event"
    elif route == "v1":
        body = response.json()
    else:
        body = {}
        for line in response.text.splitlines():
            if line.startswith("data:") and '"finish_reason": "' in line:
                body = json.loads(line[5:])
        if not body:
            return {}, "no final chunk"
    return body, ""


async def one_request(client: httpx.AsyncClient, route: str, question: str) -> httpx.Response:
    if route == "search":
        return await client.get("/search", params={"q": question, "top_k": 5})
    if route == "documents":
        return await client.get("/documents")
    if route.startswith("chat"):
        body: dict[str, Any] = {"question": question, "stream": route == "chat_stream"}
        return await client.post("/chat", json=body)
    messages = [{"role": "user", "content": question}]
    body = {"model": "career-rag", "messages": messages, "stream": route == "v1_stream"}
    return await client.post("/v1/chat/completions", json=body)


async def one_step(
    client: httpx.AsyncClient, rng: random.Random, deadline: float, results: list[Result]
) -> None:
    """One request on a route picked at random; after a 503 or 429, the Retry-After pause."""
    route = rng.choices([name for name, _ in ROUTES], [weight for _, weight in ROUTES])[0]
    question = rng.choice(ANSWERABLE if route in CHAT_ROUTES else QUESTIONS)
    started = time.perf_counter()
    try:
        response = await one_request(client, route, question)
    except httpx.HTTPError as exc:
        results.append(Result(route, 0, time.perf_counter() - started, error=repr(exc)))
        await asyncio.sleep(1)
        return
    result = Result(route, response.status_code, time.perf_counter() - started)
    if response.status_code == 200 and route in CHAT_ROUTES:
        body, result.error = _answer_of(route, response)
        result.fallback, result.refused = body.get("fallback"), bool(body.get("refused"))
        result.generate_ms = (body.get("timings_ms") or {}).get("generate")
    results.append(result)
    if response.status_code in (429, 503):
        # Honour the server's hint, as a well-behaved client does.
        pause = float(response.headers.get("Retry-After", "1") or 1)
        await asyncio.sleep(min(pause, MAX_RETRY_SLEEP_S, max(0.0, deadline - time.monotonic())))


async def client_loop(
    client: httpx.AsyncClient, rng: random.Random, deadline: float, results: list[Result]
) -> None:
    """Requests back to back until the deadline."""
    while time.monotonic() < deadline:
        await one_step(client, rng, deadline, results)


async def run_level(
    url: str, clients: int, duration_s: float, seed: int, timeout_s: float
) -> Level:
    level = Level(clients, duration_s)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=timeout_s, limits=limits) as client:
        deadline = time.monotonic() + duration_s
        tasks = [
            asyncio.create_task(
                client_loop(client, random.Random(seed + i), deadline, level.results)
            )
            for i in range(clients)
        ]
        # Requests in flight at the deadline may finish; one still running after the request
        # timeout (plus a margin) is stuck.
        _, pending = await asyncio.wait(tasks, timeout=duration_s + timeout_s + 10)
        level.stuck = len(pending)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    level.load_average = os.getloadavg()
    return level


def idle_answer_seconds(url: str, timeout_s: float) -> tuple[float, float]:
    """Median time of a few answers asked one at a time, after one warm-up, and the median
    of the server's own generation time for them (seconds)."""
    times, generate = [], []
    with httpx.Client(base_url=url, timeout=timeout_s) as client:
        client.post("/chat", json={"question": ANSWERABLE[0]}, headers={"Prefer": "wait=60"})
        for question in ANSWERABLE[1 : IDLE_QUESTIONS + 1]:
            started = time.perf_counter()
            response = client.post("/chat", json={"question": question})
            response.raise_for_status()
            times.append(time.perf_counter() - started)
            generate.append(response.json()["timings_ms"].get("generate", 0.0) / 1000)
    return statistics.median(times), statistics.median(generate)


def summarise(level: Level, idle_s: float) -> dict[str, Any]:
    results = level.results
    statuses = Counter(r.status for r in results)
    routes: dict[str, Any] = {}
    for name, _ in ROUTES:
        seconds = [r.seconds for r in results if r.route == name and r.status == 200]
        routes[name] = {
            "requests": sum(r.route == name for r in results),
            "ok": len(seconds),
            **{
                f"p{q}_ms": round(percentile(seconds, q / 100) * 1000, 1) if seconds else None
                for q in (50, 95, 99)
            },
        }
    answers = [r for r in results if r.route in CHAT_ROUTES and r.status == 200 and not r.error]
    drafted = [r.seconds for r in answers if r.fallback is None]
    drafted_p95 = percentile(drafted, 0.95) if drafted else None
    generate = [r.generate_ms for r in answers if r.fallback is None and r.generate_ms]
    return {
        "clients": level.clients,
        "duration_s": level.duration_s,
        "requests": len(results),
        "throughput_rps": round(len(results) / level.duration_s, 2),
        "chat_answers_per_s": round(len(answers) / level.duration_s, 2),
        "status_share": {
            str(code): round(count / len(results), 4) for code, count in sorted(statuses.items())
        }
        if results
        else {},
        "status_counts": {str(code): count for code, count in sorted(statuses.items())},
        "routes": routes,
        "chat_answers": len(answers),
        "quotes_only_share": round(1 - len(drafted) / len(answers), 4) if answers else None,
        "fallback_counts": dict(Counter(r.fallback or "none" for r in answers)),
        "drafted_p95_ms": round(drafted_p95 * 1000, 1) if drafted_p95 is not None else None,
        "drafted_p95_over_idle": round(drafted_p95 / idle_s, 2)
        if drafted_p95 is not None and idle_s
        else None,
        "drafted_median_generate_ms": round(statistics.median(generate), 1) if generate else None,
        "errors": sorted({r.error for r in results if r.error})[:5],
        "stuck": level.stuck,
        "load_average_after": [round(x, 2) for x in level.load_average],
    }


@contextlib.contextmanager
def own_server(llm: str | None, startup_timeout_s: float) -> Iterator[tuple[str, int]]:
    """Ingest the corpus into a temp data dir and serve it; yields (url, server pid)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    if llm:
        env["CAREER_RAG_LLM"] = llm
    with tempfile.TemporaryDirectory(prefix="career-rag-load-") as tmp:
        data_dir = Path(tmp) / "data"
        subprocess.run(
            [sys.executable, "-m", "ingest", "--json", "--data-dir", str(data_dir)],
            env=env,
            check=True,
            capture_output=True,
            timeout=startup_timeout_s,
        )
        port = free_port()
        command = [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--log-level", "warning", "--data-dir", str(data_dir)]
        with (Path(tmp) / "server.log").open("wb") as log:
            proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                url = f"http://127.0.0.1:{port}"
                wait_ready(url, proc, startup_timeout_s)
                yield url, proc.pid
            finally:
                stop(proc)


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    ready = httpx.get(f"{url}/ready", timeout=10).json()
    idle_s, idle_generate_s = idle_answer_seconds(url, args.request_timeout_s)
    levels = []
    for clients in args.clients:
        level = asyncio.run(
            run_level(url, clients, args.duration, args.seed, args.request_timeout_s)
        )
        levels.append(summarise(level, idle_s))
    return {
        "url": url,
        "backend": ready.get("llm", "?"),
        "idle_answer_ms": round(idle_s * 1000, 1),
        "idle_generate_ms": round(idle_generate_s * 1000, 1),
        "cpus": os.cpu_count(),
        "levels": levels,
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"backend {report['backend']}, idle answer {report['idle_answer_ms']} ms "
        f"(server generation {report['idle_generate_ms']} ms), {report['cpus']} CPUs"
    )
    for level in report["levels"]:
        print(
            f"\n{level['clients']} clients x {level['duration_s']:g} s: {level['requests']} "
            f"requests, {level['throughput_rps']} req/s, {level['chat_answers']} chat answers "
            f"({level['chat_answers_per_s']}/s), quotes-only share {level['quotes_only_share']}, "
            f"stuck {level['stuck']}, load average {level['load_average_after']}"
        )
        print(f"  status share {level['status_share']}  fallbacks {level['fallback_counts']}")
        print(
            f"  drafted answers p95 {level['drafted_p95_ms']} ms = "
            f"{level['drafted_p95_over_idle']} x idle; their median server generation "
            f"{level['drafted_median_generate_ms']} ms"
        )
        for name, row in level["routes"].items():
            print(
                f"  {name:12} {row['ok']:5}/{row['requests']:<5} ok  p50 {row['p50_ms']} "
                f"p95 {row['p95_ms']} p99 {row['p99_ms']} ms"
            )
        if level["errors"]:
            print(f"  errors: {level['errors']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--url", default=None, help="Use this running server instead.")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--duration", type=float, default=30, help="Seconds per level.")
    parser.add_argument("--llm", choices=["local", "openai", "none"], default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--startup-timeout-s", type=float, default=300)
    parser.add_argument("--request-timeout-s", type=float, default=120)
    parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
    parser.add_argument("--output", type=Path, default=None, help="Also write the JSON here.")
    args = parser.parse_args(argv)
    if args.url:
        report = run(args.url.rstrip("/"), args)
    else:
        with own_server(args.llm, args.startup_timeout_s) as (url, _pid):
            report = run(url, args)
    if args.output:
        args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
