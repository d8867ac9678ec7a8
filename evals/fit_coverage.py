"""Fits the coverage model (rag/coverage_model.json) on the question bank's dev split.

    python -m evals.fit_coverage [--dataset bank/dev] [--data-dir DIR]

For every question, the assistant's own evidence gives the features of `rag.coverage`; a
logistic regression (class-balanced, L2, each weight held to the sign its feature should have)
learns answerable vs not. The decision threshold is the one that maximises balanced accuracy on
5-fold cross-validated probabilities (so it is not chosen on the very predictions it is judged
by); the partial-answer floor on the best evidence
similarity is the one that best separates on-topic unanswerable questions (near-miss) from
off-topic ones. Both choices and the cross-validated dev figures are written into the file.
Only dev data is read: the test split stays unseen.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from evals.datasets import load_datasets
from rag.config import get_settings
from rag.coverage import DIRECTION, FEATURES, MODEL_PATH, features

FOLDS = 5
SEED = 20261123


def _matrix(assistant: object, items: list) -> tuple[np.ndarray, np.ndarray, list[float]]:
    rows, labels, best = [], [], []
    index = assistant.retriever.index  # type: ignore[attr-defined]
    for item in items:
        standalone, _, candidates = assistant.evidence_for(item.question, item.history)  # type: ignore[attr-defined]
        values, _ = features(standalone, candidates, index.vocabulary, index.common_terms)
        rows.append([values[name] for name in FEATURES])
        labels.append(int(item.answerable))
        best.append(values["best_similarity"])
    return np.asarray(rows), np.asarray(labels), best


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and bias on the raw features (standardisation folded in): class-balanced logistic
    loss with an L2 penalty (C = 1), each weight held to its feature's sign in
    `rag.coverage.DIRECTION`, so that more support in the evidence never lowers the probability."""
    from scipy.optimize import minimize

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    balance = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        margin = z @ w + b
        error = balance * (1 / (1 + np.exp(-margin)) - y)
        value = np.sum(balance * (np.logaddexp(0, margin) - y * margin)) + 0.5 * w @ w
        return float(value), np.append(z.T @ error + w, error.sum())

    bounds = [(0, None) if DIRECTION[name] > 0 else (None, 0) for name in FEATURES]
    fitted = minimize(
        loss,
        np.zeros(len(FEATURES) + 1),
        jac=True,
        method="L-BFGS-B",
        bounds=[*bounds, (None, None)],
    ).x
    weights = fitted[:-1] / scale
    bias = float(fitted[-1] - np.sum(fitted[:-1] * mean / scale))
    return weights, bias


def _probabilities(x: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ weights + bias)))


def _balanced_accuracy(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    answered = p >= threshold
    return 0.5 * (answered[y == 1].mean() + (~answered[y == 0]).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.fit_coverage", description=__doc__)
    parser.add_argument("--dataset", action="append", default=None, metavar="FILE")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    from sklearn.model_selection import StratifiedKFold

    from rag.assistant import Assistant

    settings = get_settings()
    if args.data_dir:
        settings = settings.model_copy(update={"data_dir": args.data_dir})
    datasets = args.dataset or ["bank/dev"]
    items = load_datasets(datasets)
    assistant = Assistant.from_settings(settings, llm=None)
    x, y, best = _matrix(assistant, items)

    cv = np.zeros(len(y))
    for train, held in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(x, y):
        w, b = _fit(x[train], y[train])
        cv[held] = _probabilities(x[held], w, b)
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    threshold = float(max(grid, key=lambda t: (_balanced_accuracy(y, cv, t), -abs(t - 0.5))))
    weights, bias = _fit(x, y)

    near = [b for b, i in zip(best, items, strict=True) if i.category == "near-miss"]
    off = [b for b, i in zip(best, items, strict=True) if i.category == "off-topic"]
    floors = np.round(np.arange(0.2, 0.8, 0.01), 2)
    score = [sum(b >= f for b in near) + sum(b < f for b in off) for f in floors]
    tied = [f for f, s in zip(floors, score, strict=True) if s == max(score)]
    partial = float(round(tied[len(tied) // 2], 2))  # the middle of the best range
    answered = cv >= threshold
    report = {
        "note": "Fitted by `python -m evals.fit_coverage` on " + ", ".join(datasets) + ".",
        "features": list(FEATURES),
        "weights": {n: round(float(v), 6) for n, v in zip(FEATURES, weights, strict=True)},
        "bias": round(bias, 6),
        "threshold": threshold,
        "partial_similarity": partial,
        "dev_cross_validated": {
            "items": len(y),
            "answerable": int(y.sum()),
            "answerable_declined": round(float((~answered[y == 1]).mean()), 3),
            "unanswerable_declined": round(float((~answered[y == 0]).mean()), 3),
            "balanced_accuracy": round(_balanced_accuracy(y, cv, threshold), 3),
            "near_miss_partial": round(float(np.mean([b >= partial for b in near])), 3),
            "off_topic_declined": round(float(np.mean([b < partial for b in off])), 3),
        },
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
