"""Fitting the coverage model: weights keep the sign their feature should have."""

from __future__ import annotations

import numpy as np

from evals.fit_coverage import _fit, _probabilities
from rag.coverage import DIRECTION, FEATURES, load_model


def test_a_feature_that_predicts_the_wrong_way_on_the_data_gets_weight_zero_not_negative():
    """Data where more topic overlap goes with *un*answerable questions (as in a set built of
    near-misses) must not teach the model that overlap lowers coverage."""
    rng = np.random.default_rng(0)
    n = 200
    y = rng.integers(0, 2, n)
    x = np.zeros((n, len(FEATURES)))
    x[:, FEATURES.index("best_similarity")] = 0.3 + 0.4 * y + rng.normal(0, 0.1, n)
    x[:, FEATURES.index("topic_overlap")] = 0.8 - 0.4 * y + rng.normal(0, 0.1, n)
    weights, bias = _fit(x, y)
    assert weights[FEATURES.index("topic_overlap")] == 0.0
    assert weights[FEATURES.index("best_similarity")] > 0
    p = _probabilities(x, weights, bias)
    assert p[y == 1].mean() > p[y == 0].mean()


def test_the_packaged_model_respects_every_features_sign():
    model = load_model()
    for name, direction in DIRECTION.items():
        assert model.weights[name] * direction >= 0, name
