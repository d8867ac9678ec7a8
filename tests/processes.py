"""Helpers for tests that start child processes: servers on the loopback interface, CLIs."""

from __future__ import annotations

import signal
import socket
import subprocess


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
