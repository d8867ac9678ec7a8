"""Helpers for tests that start child processes: servers on the loopback interface, CLIs."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 15) -> None:
    """Terminate `proc`, and kill it if it does not exit within `timeout_s`."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout_s)


def default_sigint() -> None:
    """`preexec_fn` for a child a test will interrupt: SIGINT back to its default, unblocked.

    A shell starts background jobs (`cmd &`, `nohup cmd &`, some CI runners) with SIGINT ignored,
    and an ignored signal stays ignored across exec, so without this the child would shrug off
    the test's SIGINT. With the default disposition Python installs its own handler at start-up
    and the child sees KeyboardInterrupt, as it would after Ctrl-C in a terminal.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def start_chroma(path: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """A real `chroma run` server storing in `path`, on 127.0.0.1:`port`, logging to `log`;
    returns once its heartbeat answers (fails the test if it exits or takes over a minute)."""
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"chroma exited early: {log.read_text()[-2000:]}")
        try:
            heartbeat = httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            if heartbeat.status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop(proc)
            pytest.fail("chroma did not start in time")
        time.sleep(0.2)
