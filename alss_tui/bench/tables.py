"""The bench's tables (rich), each readable at 80 columns: accuracy by labels, label efficiency,
robustness, selection cost, then each strategy minus the reference, seed by seed.

Accuracy is shown in percent and differences in points; the summary keeps fractions.
"""

from __future__ import annotations

from collections.abc import Iterator

from alss_tui.bench.paired import Interval
from alss_tui.bench.summary import BenchSummary, MeanStd

ACC_LABELS_WIDTH = 10  # the labels column and the table's edges
ACC_CELL_WIDTH = 17  # "100.00 ± 13.79", its padding and border


def table(title: str, columns: list[str], first_left: bool = True):
    from rich.table import Table

    out = Table(title=title, title_justify="left")
    for k, col in enumerate(columns):
        # Headers never fold or shrink to "labe…": the columns are sized to fit 80 cells.
        out.add_column(col, justify="left" if first_left and k == 0 else "right", no_wrap=True)
    return out


def pm(stat: MeanStd | None, fmt: str = "{:.4f}", scale: float = 1.0) -> str:
    if stat is None or stat.mean is None:
        return "-"
    return f"{fmt.format(stat.mean * scale)} ± {fmt.format(stat.std * scale)}"


def summary_tables(summary: BenchSummary, width: int = 80) -> Iterator:
    """One table per concern, each readable at `width` columns (80 in a plain terminal): accuracy
    by labels (strategies split over several tables when they do not fit), label efficiency,
    robustness, and selection cost."""
    strategies = summary.strategies
    names = list(strategies)
    counts = sorted({p.labelled for s in strategies.values() for p in s.curve})
    per_table = max(1, (width - ACC_LABELS_WIDTH) // ACC_CELL_WIDTH)
    for start in range(0, len(names), per_table):
        chunk = names[start:start + per_table]
        part = f" ({start + 1}-{start + len(chunk)} of {len(names)})" if len(names) > per_table else ""
        acc = table(f"{summary.split} accuracy %, mean ± std, {len(summary.seeds)} seeds{part}",
                    ["labels", *chunk], first_left=False)
        for n in counts:
            row = [str(n)]
            for name in chunk:
                point = next((p for p in strategies[name].curve if p.labelled == n), None)
                row.append(pm(point.accuracy, "{:.2f}", 100) if point else "-")
            acc.add_row(*row)
        yield acc

    efficiency = table("label efficiency (labels to reach, AUC)",
                       ["strategy", *[f"to {t * 100:g}%" for t in summary.targets], "AUC %"])
    for name, s in strategies.items():
        reach = []
        for t in summary.targets:
            r = s.labels_to_reach[f"{t:.2f}"]
            # Averaged over the seeds that reached it, and always saying how many did.
            text = pm(r.labels, "{:.0f}") if r.reached else "never"
            reach.append(f"{text} ({r.reached}/{r.of})")
        efficiency.add_row(name, *reach, pm(s.auc, "{:.2f}", 100))
    yield efficiency

    robustness = table("robustness (drop between rounds, worst class)", ["strategy", "drop pts", "worst recall %"])
    for name, s in strategies.items():
        worst = s.final_recall.worst_class if s.final_recall else None
        robustness.add_row(name, pm(s.largest_drop, "{:.2f}", 100), pm(worst, "{:.1f}", 100))
    yield robustness

    cost = table("selection cost per round (s, passes)", ["strategy", "select s", "fwd", "bwd"])
    for name, s in strategies.items():
        cost.add_row(name, pm(s.selection_seconds_per_round, "{:.3f}"),
                     pm(s.forward_passes_per_round, "{:.0f}"), pm(s.backward_passes_per_round, "{:.0f}"))
    yield cost


def verdict(stat: Interval) -> str:
    """How to read a paired interval: separable (excludes 0), within noise, or no interval."""
    if stat.separable is None:
        return "no interval (< 2 seeds)" if stat.mean is not None else "-"
    if stat.separable:
        return "separable"
    if stat.low == stat.high == 0.0:
        return "identical"  # the same labelled set in every seed (the initial subset)
    return "within noise"


def points(value: float | None, fmt: str = "{:+.2f}") -> str:
    return "-" if value is None else fmt.format(value * 100)


def interval(stat: Interval) -> str:
    if stat.low is None:
        return "-"
    return f"{points(stat.low)} to {points(stat.high)}"


def paired_tables(summary: BenchSummary) -> Iterator:
    """Each strategy minus the bench's reference: the AUC, then accuracy at each labelled count."""
    rows = {name: s.paired for name, s in summary.strategies.items() if s.paired}
    if not summary.against or not rows:
        return
    columns = (("strategy", "left"), ("seeds", "right"), ("mean", "right"), ("95% interval", "right"),
               ("verdict", "left"))
    auc = _paired_table(f"AUC minus {summary.against}'s, paired by seed (points, 95% Student t)", columns)
    for name, p in rows.items():
        auc.add_row(name, str(p.n_seeds), points(p.auc.mean), interval(p.auc), verdict(p.auc))
    yield auc

    acc = _paired_table(f"{summary.split} accuracy minus {summary.against}'s at each labelled count (points)",
                        (columns[0], ("labels", "right"), *columns[2:]))
    for name, p in rows.items():
        for k, point in enumerate(p.by_labelled):
            stat = point.interval
            acc.add_row(name if k == 0 else "", str(point.labelled), points(stat.mean), interval(stat),
                        verdict(stat), end_section=k == len(p.by_labelled) - 1)
    yield acc


def _paired_table(title: str, columns):
    from rich.table import Table

    out = Table(title=title)
    for col, justify in columns:
        out.add_column(col, justify=justify)
    return out
