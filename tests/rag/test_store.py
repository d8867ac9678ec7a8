"""Chroma collections answer nearest-neighbour queries exactly, in every process alike."""

from __future__ import annotations

import numpy as np

from rag.config import Settings
from rag.store import SEARCH_EF, chroma_client, open_sentences


def _unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_query_returns_the_same_neighbours_as_a_full_scan(settings: Settings) -> None:
    # 800 random vectors are hard for an approximate graph: with Chroma's default search breadth
    # a query for 120 neighbours missed some of them, and which ones changed between processes.
    collection = open_sentences(settings)
    vectors = _unit_vectors(800, 384, seed=7)
    ids = [f"s{i}" for i in range(len(vectors))]
    collection.add(ids=ids, embeddings=vectors.tolist())
    for query in _unit_vectors(5, 384, seed=8):
        got = collection.query(query_embeddings=[query.tolist()], n_results=120)["ids"][0]
        expected = [ids[i] for i in np.argsort(-(vectors @ query))[:120]]
        assert set(got) == set(expected)


def test_a_collection_made_with_chromas_default_search_breadth_is_widened(
    settings: Settings,
) -> None:
    client = chroma_client(settings)
    client.create_collection(
        f"{settings.collection}_sentences",
        embedding_function=None,
        metadata={"hnsw:space": "cosine"},
    )
    collection = open_sentences(settings, client)
    hnsw = collection.configuration_json["hnsw"]
    assert hnsw["ef_search"] == SEARCH_EF and hnsw["space"] == "cosine"
