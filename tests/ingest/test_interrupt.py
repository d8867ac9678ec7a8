"""An ingest killed midway (SIGINT or SIGKILL) and run again ends like one clean run.

The children get SIGINT's default disposition whatever this test run inherited (a background
shell ignores it), so a SIGINT here always means what Ctrl-C means in a terminal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.pipeline import ingest_corpus
from rag.config import Settings
from tests.conftest import REPO
from tests.fakes import FakeEmbedder
from tests.ingest.conftest import snapshot
from tests.processes import default_sigint

WAIT_S = 120


def child_env() -> dict[str, str]:
    """The test's environment without CAREER_RAG_* settings that could point elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREER_RAG_")}
    env["HF_HUB_OFFLINE"] = "1"
    env["TOKENIZERS_PARALLELISM"] = "false"
    return env


def wait_for(condition, proc: subprocess.Popen[bytes], what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"ingest ended (rc={proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def spawn(cmd: list[str]) -> subprocess.Popen[bytes]:
    """Start `cmd` in the repo with SIGINT at its default, as a terminal's foreground job has it."""
    return subprocess.Popen(
        cmd,
        cwd=REPO,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
    )


def run_and_kill(cmd: list[str], sig: signal.Signals, ready, what: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    proc = spawn(cmd)
    try:
        wait_for(ready, proc, what)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=WAIT_S)
        return proc.returncode, err.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_children_get_default_sigint_even_when_this_run_ignores_it() -> None:
    """Started from a background shell (SIGINT ignored), a child still turns SIGINT into Ctrl-C."""
    probe = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        proc = spawn([sys.executable, "-c", probe])
    finally:
        signal.signal(signal.SIGINT, previous)
    out, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "True"


def calls_at_least(marker: Path, n: int):  # type: ignore[no-untyped-def]
    return lambda: marker.exists() and int(marker.read_text() or 0) >= n


@pytest.mark.parametrize(
    ("sig", "after_calls"), [(signal.SIGINT, 3), (signal.SIGKILL, 4)], ids=["SIGINT", "SIGKILL"]
)
def test_killed_ingest_then_rerun_equals_a_clean_run(
    settings: Settings,
    clean_settings: Settings,
    tmp_path: Path,
    sig: signal.Signals,
    after_calls: int,
) -> None:
    """Kill after the first article(s) committed, while another one is being embedded."""
    marker = tmp_path / "calls"
    cmd = [
        sys.executable,
        "-m",
        "tests.ingest.slow_ingest",
        "--corpus",
        str(settings.corpus_dir),
        "--data-dir",
        str(settings.data_dir),
        "--marker",
        str(marker),
        "--delay",
        "0.5",
    ]
    rc, err = run_and_kill(cmd, sig, calls_at_least(marker, after_calls), "embedding calls")
    if sig == signal.SIGINT:
        assert rc == 130 and "interrupted" in err
    else:
        assert rc == -signal.SIGKILL
    partial = snapshot(settings)
    assert partial  # some articles were already in
    rerun = ingest_corpus(settings, embedder=FakeEmbedder())
    assert rerun.added + rerun.updated + rerun.unchanged == 4 and rerun.unchanged >= 1
    ingest_corpus(clean_settings, embedder=FakeEmbedder())
    assert snapshot(settings) == snapshot(clean_settings)


@pytest.mark.real
def test_real_model_ingest_interrupted_by_ctrl_c_then_rerun_equals_a_clean_run(
    settings: Settings, clean_settings: Settings
) -> None:
    """`python -m ingest` with MiniLM, SIGINT once the first article is committed."""

    def cmd(s: Settings) -> list[str]:
        return [
            sys.executable,
            "-m",
            "ingest",
            "--json",
            "--corpus",
            str(s.corpus_dir),
            "--data-dir",
            str(s.data_dir),
        ]

    rc, err = run_and_kill(
        cmd(settings), signal.SIGINT, settings.docstore_path.exists, "the first commit"
    )
    assert rc == 130 and "interrupted" in err
    for s in (settings, clean_settings):
        subprocess.run(
            cmd(s), cwd=REPO, env=child_env(), check=True, capture_output=True, timeout=WAIT_S
        )
    interrupted, clean = snapshot(settings), snapshot(clean_settings)
    assert interrupted.keys() == clean.keys()
    assert [v[:2] for v in interrupted.values()] == [clean[k][:2] for k in interrupted]
