"""Aggregates with their row counts and seeded bootstrap 95% intervals.

Every aggregate is a `Metric`: the value, `n` (the rows, or sentences/citations, it covers), the
rows it could have covered (`of`), and an interval when there is something to resample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

BOOTSTRAP_SAMPLES = 2000
SEED = 20260101


def metric(
    value: float | None,
    n: int,
    of: int,
    ci95: tuple[float, float] | None = None,
    note: str = "",
) -> dict[str, Any]:
    return {
        "value": value,
        "n": n,
        "of": of,
        "ci95": list(ci95) if ci95 is not None else None,
        "note": note,
    }


def bootstrap_ratio(
    nums: Sequence[float], dens: Sequence[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED
) -> tuple[float, float] | None:
    """Percentile 95% interval of sum(nums)/sum(dens), resampling rows (seeded, so reports are
    reproducible). None when fewer than two rows."""
    num, den = np.asarray(nums, dtype=float), np.asarray(dens, dtype=float)
    if len(num) < 2:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(num), size=(samples, len(num)))
    sn, sd = num[idx].sum(axis=1), den[idx].sum(axis=1)
    ratios = np.divide(sn, sd, out=np.full_like(sn, np.nan), where=sd > 0)
    ratios = ratios[~np.isnan(ratios)]
    if not len(ratios):
        return None
    lo, hi = np.percentile(ratios, [2.5, 97.5])
    return float(lo), float(hi)


def mean_metric(values: Sequence[float], of: int, note: str = "") -> dict[str, Any]:
    """The mean of per-row values with its interval; None (not 0) when no row applies."""
    if not values:
        return metric(None, 0, of, note=note or "no applicable rows")
    ones = [1.0] * len(values)
    return metric(float(np.mean(values)), len(values), of, bootstrap_ratio(values, ones), note)


def ratio_metric(
    nums: Sequence[float], dens: Sequence[float], of: int, note: str = ""
) -> dict[str, Any]:
    """sum(nums)/sum(dens) over rows, e.g. supported sentences over sentences; n = sum(dens)."""
    total = float(sum(dens))
    if not total:
        return metric(None, 0, of, note=note or "nothing to count")
    value = float(sum(nums)) / total
    return metric(value, int(total), of, bootstrap_ratio(nums, dens), note)


def count_metric(counts: Sequence[int], of: int, note: str = "") -> dict[str, Any]:
    """A total count over rows (e.g. unsupported numbers); n = rows counted."""
    return metric(float(sum(counts)), len(counts), of, None, note)


def percentile_metric(values: Sequence[float], q: float, of: int, note: str = "") -> dict[str, Any]:
    if not values:
        return metric(None, 0, of, note=note or "no timings")
    return metric(float(np.percentile(values, q)), len(values), of, None, note)
