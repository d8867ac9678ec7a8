"""The examples in README.md and docs/ are what the product prints (see tests/docs_examples.py).

The fast tests pin the checker itself (markers, shortening, masking, rewriting); the `real` test
re-runs every documented example over a fresh index and a real server, one test per block, and
names the block that drifted.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs_examples import (
    DOC_FILES,
    REPO,
    Example,
    Sandbox,
    doc_examples,
    drift,
    find_examples,
    normalise,
    shape_output,
    shorten,
    write,
)

STALE_DOC = """# A doc

<!-- example: two-lines -->
```console
$ printf 'one\\ntwo\\n'
one
three
```

<!-- example: unchanged -->
```console
$ echo same
same
```
"""


@pytest.fixture
def shell_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = Sandbox(tmp_path)
    yield sandbox
    sandbox.close()


def test_every_marker_in_the_docs_has_a_fenced_block_and_a_unique_name() -> None:
    examples = doc_examples()
    for name in DOC_FILES:
        path = REPO / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            markers = len(re.findall(r"^<!-- example:", text, re.M))
            assert markers == sum(e.path == path for e in examples), f"{name}: marker without block"
    ids = {e.id for e in examples}
    assert {"README.md:ask-which-role-pays-more", "docs/api.md:api-chat-reply"} <= ids


def test_a_drifted_block_is_named_and_rewriting_fixes_only_it(
    tmp_path: Path, shell_sandbox: Sandbox
) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(STALE_DOC, encoding="utf-8")
    stale, same = find_examples([doc])
    produced = {e: shell_sandbox.produce(e) for e in (stale, same)}

    report = drift(stale, produced[stale])
    assert report is not None and "-three" in report and "+two" in report
    assert drift(same, produced[same]) is None

    assert write(produced) == [stale]
    assert doc.read_text(encoding="utf-8") == STALE_DOC.replace("one\nthree", "one\ntwo")
    assert all(drift(e, shell_sandbox.produce(e)) is None for e in find_examples([doc]))


def test_a_failing_python_example_is_an_error(tmp_path: Path, shell_sandbox: Sandbox) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- example: boom -->\n```python\nraise SystemExit(3)\n```\n")
    (example,) = find_examples([doc])
    with pytest.raises(RuntimeError, match="exit 3"):
        shell_sandbox.produce(example)


def test_a_console_example_must_start_with_its_command() -> None:
    example = Example(Path("doc.md"), "x", "console", "no prompt here\n", 0, 0)
    with pytest.raises(ValueError, match=r"\$ command"):
        example.command()


def test_timings_are_masked_but_everything_else_is_compared() -> None:
    before = '{"total": 19.06, "score": 0.269}\n4 added; 98 chunks (45.6s)'
    assert normalise(before) == normalise(
        '{"total": 3.5, "score": 0.269}\n4 added; 98 chunks (0.3s)'
    )
    assert normalise(before) != normalise(
        '{"total": 19.06, "score": 0.270}\n4 added; 98 chunks (0.3s)'
    )
    assert normalise(before) != normalise(
        '{"total": 19.06, "score": 0.269}\n5 added; 98 chunks (0.3s)'
    )


def test_json_output_is_formatted_and_shortened() -> None:
    long_text = "word " * 30
    shaped = shape_output(f'{{"text": "{long_text}", "items": [1, 2, 3, 4], "score": 0.123456}}')
    assert shaped.splitlines()[0] == "{"
    assert shorten(long_text).endswith(" …") and len(shorten(long_text)) <= 82
    assert '"… 2 more"' in shaped and "0.123" in shaped and "0.1234" not in shaped
    stream = shape_output(
        'event: answer\ndata: {"answer": "ok", "score": 0.98765, "c": [1, 2]}\n\n'
    )
    assert stream == 'event: answer\ndata: {"answer": "ok", "score": 0.988, "c": ["… 2 items"]}'


def test_setup_progress_lines_in_the_readme_are_the_makefiles(tmp_path: Path) -> None:
    """The README quotes set-up's progress lines; they must be what `make setup` echoes."""
    dry_run = subprocess.run(
        ["make", "-n", "setup", f"VENV={tmp_path / 'venv'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.replace("\\\n", "")
    echoed = {
        m.replace(str(tmp_path / "venv"), ".venv")
        for m in re.findall(r'echo "(==> [^"]*)"', dry_run)
    }
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quoted = [line for line in readme.splitlines() if line.startswith("==> [")]
    assert set(quoted) == {line for line in echoed if line.startswith("==> [")}
    assert len(quoted) == len(set(quoted))


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    from rag.config import Settings

    rows = [line for line in (REPO / "README.md").read_text().splitlines() if line.startswith("|")]
    table = "\n".join(rows)
    missing = [
        f"CAREER_RAG_{name.upper()}"
        for name in Settings.model_fields
        if f"`CAREER_RAG_{name.upper()}`" not in table
    ]
    assert not missing, f"add these settings to the README's configuration table: {missing}"


@pytest.fixture(scope="module")
def docs_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A fresh index of the corpus (and, on first use, a real server over it)."""
    sandbox = Sandbox(tmp_path_factory.mktemp("docs-examples"))
    yield sandbox
    sandbox.close()


@pytest.mark.real
@pytest.mark.parametrize("example", doc_examples(), ids=lambda e: e.id)
def test_documented_example_matches_what_the_product_prints(
    example: Example, docs_sandbox: Sandbox
) -> None:
    report = drift(example, docs_sandbox.produce(example))
    if report is not None:
        pytest.fail(
            f"{example.id} differs from what the product prints now; "
            f"run `make docs` to refresh it (then read the new text):\n{report}",
            pytrace=False,
        )
