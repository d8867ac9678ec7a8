"""The examples in README.md and docs/*.md, re-run so the docs cannot drift from the product.

An example is a fenced block right after a marker line `<!-- example: NAME -->`:

- a `console` block starts with a command (`$ ...`, continued by lines ending in `\\`); the rest
  of the block is what that command prints (stdout and stderr, as a terminal shows them);
- a `python` block is a program; it must run to completion (exit 0).

Commands run with bash from the repository root, with this interpreter's venv first on PATH, over
a fixed index of `corpus/` built once in a temporary folder (`CAREER_RAG_DATA_DIR`). A command
that mentions `localhost:8000` talks to a real `career-rag serve` started on a free port of
127.0.0.1 with `CAREER_RAG_LLM=none`, so answers are the quoted evidence, deterministic.

JSON output is shown formatted and shortened: strings over 80 characters are cut at a word with
" …", lists keep their first two items and say how many more there were (in an event stream's
one-line `data:`, none), floats have 3 decimals.
Timings are masked when comparing, so they may differ.

    python -m tests.docs_examples            # check; exit 1 naming each drifted block
    python -m tests.docs_examples --write    # refresh the blocks in place (`make docs`)

The test `tests/test_docs_examples.py` runs the check, one test per example.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.processes import free_port, stop

REPO = Path(__file__).resolve().parent.parent
DOC_FILES = ("README.md", "docs/api.md", "docs/answering.md", "docs/evals.md", "docs/models.md")
EXAMPLE = re.compile(r"<!-- example: ([a-z0-9-]+) -->\n```(\w*)\n(.*?)^```", re.S | re.M)
DOCUMENTED_SERVER = re.compile(r"(?:http://)?(?:localhost|127\.0\.0\.1):8000")
# Values that change from run to run; masked on both sides before comparing.
VOLATILE = re.compile(
    r'("(?:retrieve|generate|verify|total|seconds)": ?)-?[0-9.]+(?:e-?\d+)?'  # JSON timings
    r"|(\()\d+(?:\.\d+)?s\)"  # the ingest summary's "(0.3s)"
)
MAX_STRING = 80
MAX_ITEMS = 2
COMMAND_TIMEOUT_S = 300.0
SERVER_START_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Example:
    """One marked block: where it is, its language and its text (without the fences)."""

    path: Path
    name: str
    lang: str
    body: str
    start: int  # offsets of `body` in the file's text
    end: int

    @property
    def id(self) -> str:
        where = self.path.relative_to(REPO) if self.path.is_relative_to(REPO) else self.path
        return f"{where}:{self.name}"

    def command(self) -> str:
        """The leading `$ ` command of a console block, continuation lines included."""
        lines = self.body.splitlines()
        if not lines or not lines[0].startswith("$ "):
            raise ValueError(f"{self.id}: a console example starts with `$ command`")
        taken = [lines[0][2:]]
        for line in lines[1:]:
            if not taken[-1].endswith("\\"):
                break
            taken.append(line)
        return "\n".join(taken)


def find_examples(paths: Iterable[Path]) -> list[Example]:
    """Every marked block in `paths`, in file order; names must be unique."""
    found: list[Example] = []
    for path in paths:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for match in EXAMPLE.finditer(text):
            name, lang, body = match.group(1), match.group(2), match.group(3)
            found.append(Example(path, name, lang, body, match.start(3), match.end(3)))
    names = [e.name for e in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"example names used twice: {', '.join(duplicates)}")
    return found


def doc_examples() -> list[Example]:
    return find_examples(REPO / name for name in DOC_FILES)


# -- shaping what a command prints --------------------------------------------------------------


def shorten(value: Any, max_items: int = MAX_ITEMS) -> Any:
    """A JSON value made readable in a doc: long strings and lists cut, floats rounded."""
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING].rsplit(" ", 1)[0] + " …"
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list):
        items = [shorten(v, max_items) for v in value[:max_items]]
        if len(value) > max_items:
            left = len(value) - max_items
            items.append(f"… {left} more" if items else f"… {left} items")
        return items
    if isinstance(value, dict):
        return {k: shorten(v, max_items) for k, v in value.items()}
    return value


def shape_output(output: str) -> str:
    """JSON formatted and shortened; each JSON `data:` line of an event stream shortened."""
    output = output.rstrip()
    try:
        return json.dumps(shorten(json.loads(output)), indent=2, ensure_ascii=False)
    except ValueError:
        pass
    lines = []
    for line in output.splitlines():
        if line.startswith("data: {"):
            data = json.loads(line.removeprefix("data: "))
            # One event is one line: its lists keep no item, only their length.
            line = "data: " + json.dumps(shorten(data, max_items=0), ensure_ascii=False)
        lines.append(line)
    return "\n".join(lines)


def normalise(text: str) -> str:
    """The text with run-to-run values (timings) masked and trailing spaces dropped."""
    masked = VOLATILE.sub(lambda m: (m.group(1) or m.group(2)) + "#", text)
    return "\n".join(line.rstrip() for line in masked.strip().splitlines())


# -- running the examples -------------------------------------------------------------------------


class Sandbox:
    """A fixed index of the corpus and, when an example needs one, a server over it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.server: subprocess.Popen[bytes] | None = None
        self.server_url = ""
        self.env = dict(os.environ)
        bin_dir = Path(sys.executable).parent
        self.env.update(
            PATH=f"{bin_dir}{os.pathsep}{self.env.get('PATH', '')}",
            CAREER_RAG_DATA_DIR=str(self.data_dir),
            HF_HUB_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
            # The examples talk to 127.0.0.1 only; a proxy must never see them.
            no_proxy="127.0.0.1,localhost",
            NO_PROXY="127.0.0.1,localhost",
            COLUMNS="100",
        )
        # Under `make docs` a nested make would announce "Entering directory ..." with a path.
        for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
            self.env.pop(name, None)

    def build_index(self) -> None:
        if (self.data_dir / "chroma" / "chroma.sqlite3").is_file():
            return
        subprocess.run(
            ["career-rag", "ingest", "--json"],
            cwd=REPO,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=COMMAND_TIMEOUT_S,
        )

    def ensure_server(self) -> str:
        """The URL of a `career-rag serve` over the fixed index (started on first use)."""
        if self.server is not None:
            return self.server_url
        self.build_index()
        port = free_port()
        self.server_url = f"http://127.0.0.1:{port}"
        log = (self.workdir / "server.log").open("wb")
        self.server = subprocess.Popen(
            ["career-rag", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env={**self.env, "CAREER_RAG_LLM": "none"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError("the server exited; its log ends:\n" + self.server_log())
            try:
                if httpx.get(f"{self.server_url}/ready", timeout=2, trust_env=False).is_success:
                    return self.server_url
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(
            f"the server was not ready within {SERVER_START_TIMEOUT_S:.0f} s; its log ends:\n"
            + self.server_log()
        )

    def server_log(self) -> str:
        log = self.workdir / "server.log"
        return log.read_text(errors="replace")[-3000:] if log.is_file() else ""

    def close(self) -> None:
        if self.server is not None:
            stop(self.server)
            self.server = None

    def _local(self, text: str) -> str:
        """`text` with the documented server address replaced by this sandbox's server."""
        if not DOCUMENTED_SERVER.search(text):
            return text
        url = self.ensure_server()
        return DOCUMENTED_SERVER.sub(
            lambda m: url if m.group().startswith("http") else url[7:], text
        )

    def produce(self, example: Example) -> str:
        """The block as the product writes it today."""
        if example.lang == "python":
            result = subprocess.run(
                [sys.executable, "-"],
                input=self._local(example.body).encode(),
                cwd=REPO,
                env=self.env,
                capture_output=True,
                timeout=COMMAND_TIMEOUT_S,
            )
            if result.returncode:
                raise RuntimeError(
                    f"{example.id} failed (exit {result.returncode}):\n{result.stderr.decode()}"
                )
            return example.body
        command = example.command()
        if "career-rag" in command:
            self.build_index()
        result = subprocess.run(
            # stderr with stdout, as a terminal shows them, for every part of the command line.
            ["bash", "-c", f"exec 2>&1\n{self._local(command)}"],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            timeout=COMMAND_TIMEOUT_S,
        )
        output = shape_output(result.stdout.decode())
        return f"$ {command}\n{output}\n" if output else f"$ {command}\n"


def drift(example: Example, produced: str) -> str | None:
    """None when the block matches what the product prints; else a diff of the two."""
    if normalise(example.body) == normalise(produced):
        return None
    diff = difflib.unified_diff(
        example.body.splitlines(), produced.splitlines(), "in the doc", "printed now", lineterm=""
    )
    return "\n".join(diff)


def write(produced: dict[Example, str]) -> list[Example]:
    """Replace each drifted block in its file; the examples rewritten."""
    changed = [e for e, text in produced.items() if drift(e, text) is not None]
    for path in {e.path for e in changed}:
        text = path.read_text(encoding="utf-8")
        # From the end, so earlier offsets stay valid.
        for example in sorted((e for e in changed if e.path == path), key=lambda e: -e.start):
            text = text[: example.start] + produced[example] + text[example.end :]
        path.write_text(text, encoding="utf-8")
    return changed


def run_all(examples: list[Example]) -> Iterator[tuple[Example, str]]:
    with tempfile.TemporaryDirectory(prefix="career-rag-docs-") as workdir:
        sandbox = Sandbox(Path(workdir))
        try:
            for example in examples:
                yield example, sandbox.produce(example)
        finally:
            sandbox.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.docs_examples", description=__doc__)
    parser.add_argument("--write", action="store_true", help="refresh drifted blocks in place")
    parser.add_argument("names", nargs="*", help="only these examples (default: all)")
    args = parser.parse_args(argv)
    examples = [e for e in doc_examples() if not args.names or e.name in args.names]
    produced: dict[Example, str] = {}
    for example, text in run_all(examples):
        produced[example] = text
        status = "ok" if drift(example, text) is None else "drifted"
        print(f"{status:8} {example.id}", flush=True)
    if args.write:
        changed = write(produced)
        print(f"{len(changed)} block(s) refreshed, {len(produced) - len(changed)} unchanged")
        return 0
    drifted = [e for e, text in produced.items() if drift(e, text) is not None]
    for example in drifted:
        report = drift(example, produced[example])
        print(f"\n{example.id} drifted (run `make docs` to refresh):\n{report}")
    return 1 if drifted else 0


if __name__ == "__main__":
    raise SystemExit(main())
