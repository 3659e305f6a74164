"""Markdown tables from `alss-tui bench --json` output (for experiments/README.md).

    python experiments/summary_to_markdown.py results/mnist-r1.json
"""

from __future__ import annotations

import json
import sys


def pm(stat: dict | None, fmt: str = "{:.2f}", scale: float = 100.0) -> str:
    if not stat or stat.get("mean") is None:
        return "-"
    return f"{fmt.format(stat['mean'] * scale)} ± {fmt.format(stat['std'] * scale)}"


def tables(doc: dict) -> str:
    strategies = doc["strategies"]
    counts = sorted({p["labelled"] for s in strategies.values() for p in s["curve"]})
    lines = ["| labels | " + " | ".join(f"{k} (n={s['runs']})" for k, s in strategies.items()) + " |",
             "|---:|" + "---:|" * len(strategies)]
    for n in counts:
        cells = []
        for s in strategies.values():
            point = next((p for p in s["curve"] if p["labelled"] == n), None)
            cells.append(pm(point["accuracy"]) if point else "-")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines.append("")
    targets = doc["targets"]
    head = ["strategy"] + [f"labels to {t * 100:g}%" for t in targets] + [
        "AUC (%)", "largest drop (pts)", "selection s / round", "share of round", "fwd passes / round", "bwd passes / round",
        "worst-class recall at end (%)"]
    lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for name, s in strategies.items():
        reach = []
        for t in targets:
            r = s["labels_to_reach"][f"{t:.2f}"]
            text = pm(r, "{:.0f}", 1) if r["reached"] else "never"
            if 0 < r["reached"] < r["of"]:
                text += f" ({r['reached']}/{r['of']} seeds)"
            reach.append(text)
        worst = s["final_recall"]["worst_class"] if s["final_recall"] else None
        lines.append("| " + " | ".join([
            name, *reach, pm(s["auc"]), pm(s.get("largest_drop"), "{:.2f}"), pm(s["selection_seconds_per_round"], "{:.3f}", 1),
            pm(s["selection_share_of_round"], "{:.1f}"), pm(s["forward_passes_per_round"], "{:.0f}", 1),
            pm(s["backward_passes_per_round"], "{:.0f}", 1), pm(worst, "{:.1f}")]) + " |")
    return "\n".join(lines)


def recall_table(doc: dict) -> str:
    """Per-class recall at the budget (%, mean over seeds), one row per strategy."""
    rows = {k: s["final_recall"]["per_class_mean"] for k, s in doc["strategies"].items() if s["final_recall"]}
    if not rows:
        return ""
    n = len(next(iter(rows.values())))
    lines = ["| strategy | " + " | ".join(str(c) for c in range(n)) + " |", "|---|" + "---:|" * n]
    lines += [f"| {k} | " + " | ".join(f"{v * 100:.1f}" for v in r) + " |" for k, r in rows.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        doc = json.load(open(path, encoding="utf-8"))
        print(tables(doc))
        print()
        if doc["config"]["data"].get("imbalance", 1) > 1:
            print(recall_table(doc))
            print()
