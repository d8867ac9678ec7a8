"""The ranking encoder in answering: its best-sentence ranking joins retrieval, its cosine orders
the evidence, and an index without its vectors is answered as before. An "oracle" encoder that
knows the one right sentence stands in for all-mpnet-base-v2, so each effect is visible."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import ingest_corpus
from rag.assistant import Assistant
from rag.config import Settings
from rag.store import open_collection
from tests.conftest import CORPUS
from tests.fakes import FakeEmbedder, fake_coverage_model

QUESTION = "Which language does his current role need?"
ANSWER = "For example, in my current role, Rust it is necessary."


class OracleRanker:
    """Embeds the question and the sentence holding `target` alike, everything else apart."""

    dim = 2

    def __init__(self, target: str, question: str) -> None:
        self.target, self.question = target, question

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        right = [self.target in t or t == self.question for t in texts]
        return np.array([[1.0, 0.0] if r else [0.0, 1.0] for r in right], dtype=np.float32)


@pytest.fixture(scope="module")
def ranked_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("ranked"), corpus_dir=CORPUS, llm="none", ranker="mpnet"
    )
    ingest_corpus(settings, embedder=FakeEmbedder(), ranker=OracleRanker(ANSWER, QUESTION))
    return settings


def assistant(settings: Settings, ranker: OracleRanker | None) -> Assistant:
    return Assistant(
        settings,
        embedder=FakeEmbedder(),
        llm=None,
        collection=open_collection(settings),
        coverage_model=fake_coverage_model(),
        ranker=ranker,
    )


def test_the_rankers_best_sentence_brings_its_chunk_and_leads_the_evidence(
    ranked_index: Settings,
) -> None:
    _, hits, candidates = assistant(ranked_index, OracleRanker(ANSWER, QUESTION)).evidence_for(
        QUESTION
    )
    assert any(ANSWER in h.chunk.text for h in hits)
    assert candidates[0].text == ANSWER
    # MiniLM's similarity is kept beside the ranker's ordering (coverage is calibrated on it).
    assert candidates[0].similarity < 0.99


def test_without_the_ranker_the_same_index_answers_from_minilm_alone(
    ranked_index: Settings,
) -> None:
    _, hits, candidates = assistant(ranked_index, None).evidence_for(QUESTION)
    assert not any(ANSWER in h.chunk.text for h in hits)
    assert candidates[0].text != ANSWER


def test_an_index_published_without_ranker_vectors_ignores_the_ranker(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS, llm="none", ranker="none")
    ingest_corpus(settings, embedder=FakeEmbedder())
    configured = settings.model_copy(update={"ranker": "mpnet"})
    with_ranker = assistant(configured, OracleRanker(ANSWER, QUESTION))
    assert not with_ranker.retriever.ranks_with(with_ranker.retriever.index)
    assert [c.text for c in with_ranker.evidence_for(QUESTION)[2]] == [
        c.text for c in assistant(settings, None).evidence_for(QUESTION)[2]
    ]
