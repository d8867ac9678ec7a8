"""The naive baseline: the llama-index tutorial pipeline over the same corpus, embedder and LLM.

`VectorStoreIndex.from_documents` with the default splitter and `index.as_query_engine()` with
its defaults (top-2 similarity, compact synthesis), given the project's MiniLM embedder and LLM
backend through small adapters and passed explicitly (never llama-index's global Settings).
Its responses are converted to the Answer shape so the same metrics score it. Deliberately
nothing clever here: it is the floor the real system must beat.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.node_parser import SentenceSplitter
from pydantic import PrivateAttr

from evals.metrics import StoredChunk
from rag.embedding import Embedder
from rag.llm.base import LLM
from rag.schemas import Answer, Citation, Passage, Turn

FAQ_HEADING = re.compile(r"^(?:Frequently Asked Questions|FAQ)\s*$", re.M)
# The phrases llama-index's default prompt leads a model to use when the context lacks an answer.
_DECLINE = re.compile(
    r"(?:don't|do not|does not|doesn't|cannot|can't|unable to) (?:know|answer|provide|mention|say)"
    r"|not (?:mentioned|provided|specified|stated|available) in|no information|empty response",
    re.I,
)
# Room left for the difference between llama-index's token counter and the model's tokenizer.
CONTEXT_MARGIN = 256


class EmbedderAdapter(BaseEmbedding):
    """A project `Embedder` seen as a llama-index embedding model."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name=getattr(embedder, "name", "embedder"), **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self._embedder.embed([query])[0]]

    def _get_text_embedding(self, text: str) -> list[float]:
        return [float(x) for x in self._embedder.embed([text])[0]]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._embedder.embed(texts)]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class LLMAdapter(CustomLLM):
    """A project LLM backend seen as a llama-index completion model (prompt -> one user turn)."""

    context_window: int = 2048
    max_tokens: int = 120
    _backend: Any = PrivateAttr()

    def __init__(self, backend: LLM | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._backend = backend

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window - CONTEXT_MARGIN,
            num_output=self.max_tokens,
            model_name=getattr(self._backend, "name", "llm"),
        )

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        text = "".join(self._stream(prompt))
        return CompletionResponse(text=text)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for piece in self._stream(prompt):
                text += piece
                yield CompletionResponse(text=text, delta=piece)

        return gen()

    def _stream(self, prompt: str) -> Any:
        if self._backend is None:  # built only to re-score saved answers against its chunks
            raise RuntimeError("the baseline has no LLM backend")
        return self._backend.stream(
            [{"role": "user", "content": prompt}], max_tokens=self.max_tokens
        )


def load_documents(corpus_dir: Path, *, exclude_faq: bool = False) -> list[Document]:
    """One Document per article; in hard mode the text stops at the FAQ heading, so the baseline
    loses the FAQ exactly like the system does."""
    sources_path = corpus_dir / "sources.json"
    sources = json.loads(sources_path.read_text(encoding="utf-8")) if sources_path.is_file() else {}
    docs = []
    for path in sorted(corpus_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if exclude_faq:
            headings = list(FAQ_HEADING.finditer(text))
            if headings:
                text = text[
                    : headings[-1].start()
                ]  # the last one: a table of contents may name it too
        title = sources.get(path.stem, {}).get("title", path.stem)
        docs.append(
            Document(text=text, id_=path.stem, metadata={"doc_id": path.stem, "title": title})
        )
    return docs


class NaiveBaseline:
    """Asks like the Assistant, answers like the llama-index tutorial."""

    def __init__(self, index: VectorStoreIndex, llm: LLMAdapter) -> None:
        self._index = index
        self._engine = index.as_query_engine(llm=llm)

    @classmethod
    def build(
        cls,
        corpus_dir: Path,
        embedder: Embedder,
        llm: LLM | None,
        *,
        max_tokens: int = 120,
        context_window: int = 2048,
        exclude_faq: bool = False,
    ) -> NaiveBaseline:
        # The default splitter with its default sizes; only the node ids are made stable
        # ("<doc>-<n>") so a saved baseline run can be re-scored against a rebuilt index.
        splitter = SentenceSplitter(id_func=lambda i, doc: f"{doc.id_}-{i}")
        index = VectorStoreIndex.from_documents(
            load_documents(corpus_dir, exclude_faq=exclude_faq),
            embed_model=EmbedderAdapter(embedder),
            transformations=[splitter],
        )
        adapter = LLMAdapter(llm, max_tokens=max_tokens, context_window=context_window)
        return cls(index, adapter)

    def chunks(self) -> dict[str, StoredChunk]:
        """Every node of the baseline's index, to check its citations against."""
        out = {}
        for node_id, node in self._index.docstore.docs.items():
            doc_id = str(node.metadata.get("doc_id", ""))
            out[node_id] = StoredChunk(node_id, doc_id, node.get_content())
        return out

    def ask(self, question: str, history: Sequence[Turn] = (), top_k: int | None = None) -> Answer:
        start = time.perf_counter()
        response = self._engine.query(question)
        text = str(getattr(response, "response", "") or "").strip()
        passages, citations = [], []
        for n, hit in enumerate(response.source_nodes, start=1):
            node, doc_id = hit.node, str(hit.node.metadata.get("doc_id", ""))
            content = node.get_content()
            passages.append(
                Passage(
                    doc_id=doc_id,
                    chunk_id=node.node_id,
                    text=content,
                    score=float(hit.score or 0.0),
                )
            )
            citations.append(
                Citation(
                    n=n,
                    doc_id=doc_id,
                    title=str(node.metadata.get("title", "")),
                    chunk_id=node.node_id,
                    section=None,
                    quote=content,
                )
            )
        refused = not text or bool(_DECLINE.search(text))
        total = (time.perf_counter() - start) * 1000.0
        return Answer(
            answer=text,
            refused=refused,
            citations=[] if refused else citations,
            retrieved=passages,
            timings_ms={"total": total},
            backend="llama-index-naive",
        )
