"""Soak test: steady load for many minutes while the server process is watched for leaks.

The clients are those of `benchmarks.load` (the same route mix, Retry-After honoured), fewer
of them, each pausing a little between requests so the load is steady rather than saturating.
Every few seconds the server's resident memory, open file descriptors and threads are read from
/proc. The report compares the end of the run with the end of the warm-up: RSS growth (target
at most 10%), descriptor and thread growth (target none), and requests that never finished.

    python -m benchmarks.soak --minutes 10 [--clients 8] [--llm local|none] [--json]
    python -m benchmarks.soak --url http://127.0.0.1:8000 --pid 12345

Linux only (it reads /proc). Not part of the test suite: it runs for minutes by design.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.load import Level, one_step, own_server, summarise

SAMPLE_EVERY_S = 5.0


def sample(pid: int) -> dict[str, float]:
    """RSS (MB), open file descriptors and threads of process `pid`, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return {
        "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(fields["Threads"]),
    }


async def paced_client(
    client: httpx.AsyncClient, seed: int, deadline: float, results: list[Any], pause_s: float
) -> None:
    """The load test's client, with a random pause (mean `pause_s`) after each request."""
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        await one_step(client, rng, deadline, results)
        await asyncio.sleep(rng.uniform(0, 2 * pause_s))


async def soak(url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    duration_s = args.minutes * 60
    level = Level(args.clients, duration_s)
    samples: list[dict[str, float]] = []
    started = time.monotonic()
    deadline = started + duration_s
    async with httpx.AsyncClient(base_url=url, timeout=args.request_timeout_s) as client:
        tasks = [
            asyncio.create_task(paced_client(client, i, deadline, level.results, args.pause_s))
            for i in range(args.clients)
        ]
        while time.monotonic() < deadline:
            samples.append({"t_s": round(time.monotonic() - started, 1), **sample(pid)})
            await asyncio.sleep(SAMPLE_EVERY_S)
        _, pending = await asyncio.wait(tasks, timeout=args.request_timeout_s + 10)
        level.stuck = len(pending)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    # Once every client is done, idle threads (per-stream workers) should be gone too.
    await asyncio.sleep(2)
    samples.append({"t_s": round(time.monotonic() - started, 1), **sample(pid)})
    level.load_average = os.getloadavg()
    return {"level": summarise(level, 0.0), "samples": samples}


def growth(samples: list[dict[str, float]], warm_up_s: float) -> dict[str, Any]:
    """The end of the run against the end of the warm-up."""
    warm = [s for s in samples if s["t_s"] <= warm_up_s] or samples[:1]
    base, last = warm[-1], samples[-1]
    after = [s for s in samples if s["t_s"] > warm_up_s] or samples[-1:]
    return {
        "warm_up_s": warm_up_s,
        "rss_mb_after_warm_up": base["rss_mb"],
        "rss_mb_end": last["rss_mb"],
        "rss_mb_max": max(s["rss_mb"] for s in after),
        "rss_growth_pct": round(100 * (last["rss_mb"] - base["rss_mb"]) / base["rss_mb"], 2),
        "fds_after_warm_up": base["fds"],
        "fds_end": last["fds"],
        "fds_max": max(s["fds"] for s in after),
        "threads_after_warm_up": base["threads"],
        "threads_end": last["threads"],
        "threads_max": max(s["threads"] for s in after),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warm-up-minutes", type=float, default=None, help="Default: 20%%.")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pause-s", type=float, default=0.5, help="Mean pause per client.")
    parser.add_argument("--url", default=None, help="A running server (needs --pid).")
    parser.add_argument("--pid", type=int, default=None, help="That server's process id.")
    parser.add_argument("--llm", choices=["local", "openai", "none"], default=None)
    parser.add_argument("--startup-timeout-s", type=float, default=300)
    parser.add_argument("--request-timeout-s", type=float, default=120)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--output", type=Path, default=None, help="Also write the JSON here.")
    args = parser.parse_args(argv)
    if args.url and args.pid is None:
        parser.error("--url needs --pid (the server process to watch)")
    if args.url:
        result = asyncio.run(soak(args.url.rstrip("/"), args.pid, args))
    else:
        with own_server(args.llm, args.startup_timeout_s) as (url, pid):
            result = asyncio.run(soak(url, pid, args))
    warm_up_s = 60 * (args.warm_up_minutes or args.minutes / 5)
    result["growth"] = growth(result["samples"], warm_up_s)
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    level, grown = result["level"], result["growth"]
    print(
        f"{args.minutes:g} min, {args.clients} clients: {level['requests']} requests, "
        f"{level['throughput_rps']} req/s, status {level['status_counts']}, "
        f"fallbacks {level['fallback_counts']}, stuck {level['stuck']}, "
        f"load average {level['load_average_after']}"
    )
    print(
        f"RSS {grown['rss_mb_after_warm_up']} MB after warm-up -> {grown['rss_mb_end']} MB at the "
        f"end (max {grown['rss_mb_max']}): {grown['rss_growth_pct']}%"
    )
    print(
        f"fds {grown['fds_after_warm_up']} -> {grown['fds_end']} (max {grown['fds_max']}); "
        f"threads {grown['threads_after_warm_up']} -> {grown['threads_end']} "
        f"(max {grown['threads_max']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
