"""The CI gate: compares summary metrics with the thresholds recorded in baselines/thresholds.json.

A threshold is {"min": x} or {"max": x} on a metric key of `evals.scoring.METRICS`. A metric with
no value (no rows to compute it on) fails its gate: no evidence is not a pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evals.scoring import METRIC_INFO

THRESHOLDS_PATH = Path(__file__).resolve().parent / "baselines" / "thresholds.json"


def load_thresholds(path: Path = THRESHOLDS_PATH) -> dict[str, dict[str, float]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    gates = data["gates"]
    for key, bound in gates.items():
        if key not in METRIC_INFO:
            raise ValueError(f"{path.name}: unknown metric {key!r}")
        if set(bound) - {"min", "max"} or not bound:
            raise ValueError(f"{path.name}: {key} needs 'min' and/or 'max'")
    return gates


def check_gates(
    overall: Mapping[str, Mapping[str, Any]], thresholds: Mapping[str, Mapping[str, float]]
) -> list[dict[str, Any]]:
    """One verdict per bound: metric, bound, threshold, value, n, passed."""
    verdicts = []
    for key, bound in thresholds.items():
        value = overall[key]["value"]
        for op, limit in bound.items():
            passed = value is not None and (value >= limit if op == "min" else value <= limit)
            verdicts.append(
                {
                    "metric": key,
                    "bound": op,
                    "threshold": limit,
                    "value": value,
                    "n": overall[key]["n"],
                    "passed": passed,
                }
            )
    return verdicts


def describe_failures(verdicts: list[dict[str, Any]]) -> list[str]:
    out = []
    for v in verdicts:
        if not v["passed"]:
            sign = ">=" if v["bound"] == "min" else "<="
            shown = "no value" if v["value"] is None else f"{v['value']:.3g}"
            out.append(
                f"gate failed: {v['metric']} = {shown} (n={v['n']}), needs {sign} {v['threshold']}"
            )
    return out
