"""Quantiles of the lag histograms the daemon exports (Prometheus' cumulative buckets)."""

from __future__ import annotations


def lag_quantile(q: float, buckets: dict[str, float]) -> float:
    """Prometheus' histogram_quantile over cumulative buckets (the +Inf bucket answers
    with the highest finite bound)."""
    bounds = sorted((float(le), count) for le, count in buckets.items())
    total = bounds[-1][1] if bounds else 0.0
    if not total:
        return 0.0
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in bounds:
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


def lag_max(buckets: dict[str, float]) -> float:
    """The upper bound of the highest bucket holding an observation: the largest lag was at
    most this (inf: above every bound)."""
    bounds = sorted((float(le), count) for le, count in buckets.items())
    total = bounds[-1][1] if bounds else 0.0
    return next((bound for bound, count in bounds if count >= total), 0.0) if total else 0.0
