"""The bench's paired tables: each strategy minus the reference, seed by seed.

Two narrow tables (they fit 80 columns whatever the number of strategies): the
area under the curve, one row per strategy; then accuracy at each labelled
count, one row per strategy and count. Differences are in points.
"""

from __future__ import annotations

from collections.abc import Iterator


def verdict(stat: dict) -> str:
    """How to read a paired interval: separable (excludes 0), within noise, or no interval."""
    if stat.get("separable") is None:
        return "no interval (< 2 seeds)" if stat.get("mean") is not None else "-"
    if stat["separable"]:
        return "separable"
    if stat["low"] == stat["high"] == 0.0:
        return "identical"  # the same labelled set in every seed (the initial subset)
    return "within noise"


def points(value: float | None, fmt: str = "{:+.2f}") -> str:
    return "-" if value is None else fmt.format(value * 100)


def interval(stat: dict) -> str:
    if stat.get("low") is None:
        return "-"
    return f"{points(stat['low'])} to {points(stat['high'])}"


def paired_tables(summary: dict) -> Iterator:
    from rich.table import Table

    against = summary.get("against")
    rows = {name: s["paired"] for name, s in summary["strategies"].items() if s.get("paired")}
    if not against or not rows:
        return
    split = summary.get("split", "test")
    auc = Table(title=f"AUC minus {against}'s, paired by seed (points, 95% Student t)")
    for col, justify in (("strategy", "left"), ("seeds", "right"), ("mean", "right"),
                         ("95% interval", "right"), ("verdict", "left")):
        auc.add_column(col, justify=justify)
    for name, p in rows.items():
        stat = p["auc"]
        auc.add_row(name, str(p["n_seeds"]), points(stat["mean"]), interval(stat), verdict(stat))
    yield auc

    acc = Table(title=f"{split} accuracy minus {against}'s at each labelled count (points)")
    for col, justify in (("strategy", "left"), ("labels", "right"), ("mean", "right"),
                         ("95% interval", "right"), ("verdict", "left")):
        acc.add_column(col, justify=justify)
    for name, p in rows.items():
        for k, point in enumerate(p["by_labelled"]):
            acc.add_row(name if k == 0 else "", str(point["labelled"]), points(point["mean"]), interval(point),
                        verdict(point), end_section=k == len(p["by_labelled"]) - 1)
    yield acc
