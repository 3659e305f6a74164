"""Shrink a long curve for a plot a few dozen cells wide without losing its spikes."""

from __future__ import annotations

from collections.abc import Sequence


def minmax_downsample(xs: Sequence[float], ys: Sequence[float], buckets: int) -> tuple[list[float], list[float]]:
    """At most 2 * buckets points: per bucket of consecutive points, its lowest and highest.

    Averaging would hide a loss spike; keeping each bucket's extremes (in x order)
    draws the same envelope as the full curve at the plot's resolution.
    """
    n = len(ys)
    if len(xs) != n:
        raise ValueError("xs and ys differ in length")
    if buckets < 1:
        raise ValueError("buckets must be >= 1")
    if n <= 2 * buckets:
        return list(xs), list(ys)
    out_x: list[float] = []
    out_y: list[float] = []
    for b in range(buckets):
        lo, hi = b * n // buckets, (b + 1) * n // buckets
        seg = range(lo, hi)
        i_min = min(seg, key=ys.__getitem__)
        i_max = max(seg, key=ys.__getitem__)
        for i in sorted({i_min, i_max}):
            out_x.append(xs[i])
            out_y.append(ys[i])
    return out_x, out_y
