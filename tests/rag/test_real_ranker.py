"""The packaged all-mpnet-base-v2: assembled from its installed parts into a fresh models dir,
loaded, and ranking an answer above a sentence beside the point."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.embedding import MPNetEmbedder


@pytest.mark.real
def test_the_packaged_mpnet_assembles_and_ranks_the_answer_first(tmp_path: Path) -> None:
    ranker = MPNetEmbedder(tmp_path / "models", progress=False)
    question, answer, aside = ranker.embed(
        [
            "How much do ML engineers earn in the UK?",
            "According to Levels.fyi, the average salary for a machine learning engineer is "
            "£105k (UK) and for an AI engineer is £75k (UK).",
            "Connect with practitioners in the role you're targeting.",
        ]
    )
    assert question.shape == (768,)
    assert np.isclose(np.linalg.norm(question), 1.0, atol=1e-4)
    assert float(answer @ question) > float(aside @ question) + 0.2
    assert not (tmp_path / "models" / "all-mpnet-base-v2.zip").exists()  # unpacked, then gone
