"""Markdown tables from `alss-tui bench --json` output (for experiments/README.md).

    python experiments/summary_to_markdown.py results/mnist-r1.json
    python experiments/summary_to_markdown.py --against margin-sub results/mnist-r1.json
    python experiments/summary_to_markdown.py --against margin-sub results/today-mnist.json \
        --also results/today-si-mnist.json

The paired table (each strategy minus the reference, seed by seed, with a 95%
Student-t interval) comes from the document's `paired` objects when they were
computed against the same reference, else from its per-seed curves.
"""

from __future__ import annotations

import argparse

from alss_tui.bench.figures import normalised_auc
from bench_doc import flat_config, load, paired_against  # this folder is on sys.path


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
            # The mean is over the seeds that reached the target: always say how many did.
            text = pm(r, "{:.0f}", 1) if r["reached"] else "never"
            reach.append(f"{text} ({r['reached']}/{r['of']})")
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


def paired(doc: dict, against: str) -> dict[str, dict | None]:
    """The document's paired objects against `against`, recomputed from per-seed curves if absent."""
    strategies = doc["strategies"]
    if doc.get("against") == against and all("paired" in s for s in strategies.values()):
        return {k: s["paired"] for k, s in strategies.items()}
    filled = {}
    for name, s in strategies.items():
        seeds = s.get("seeds")
        if seeds is None:
            if s["runs"] != len(doc["seeds"]):
                raise SystemExit(f"{name}: {s['runs']} of {len(doc['seeds'])} seeds and no seed list: cannot pair")
            seeds = doc["seeds"]
        # Per-seed AUC over the points every seed has (the whole curve when all seeds share the counts).
        x = [p["labelled"] for p in s["curve"]]
        runs = [[p["per_seed"][k] for p in s["curve"]] for k in range(len(seeds))]
        auc = s["auc"].get("per_seed") or [normalised_auc(x, run) for run in runs]
        filled[name] = {"seeds": seeds, "auc": {"per_seed": auc}, "curve": s["curve"]}
    return paired_against(filled, against)


def _recipe_but_oracle(doc: dict) -> dict[str, object]:
    """The bench's recipe as the bench id reads it (no name, seed, strategy), minus the oracle."""
    return {k: v for k, v in flat_config(doc).items()
            if k not in ("name", "seed", "sampling.strategy") and not k.startswith("oracle.")}


def merged(doc: dict, other: dict) -> dict:
    """`doc` with `other`'s strategies added, so they pair seed by seed with doc's.

    Only a bench that differs from `doc` in its oracle alone may join (SI runs in its own
    bench because its labelling function is part of the recipe): same pool, split, VAE and
    seeds, so seed k of one is seed k of the other.
    """
    mine, theirs = _recipe_but_oracle(doc), _recipe_but_oracle(other)
    if mine != theirs or doc.get("split") != other.get("split"):
        differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        raise SystemExit(f"--also: the benches differ in more than the oracle ({', '.join(differ) or 'split'}): cannot pair")
    both = set(doc["strategies"]) & set(other["strategies"])
    if both:
        raise SystemExit(f"--also: {', '.join(sorted(both))} is in both benches: cannot tell which to table")
    out = dict(doc, strategies={**doc["strategies"], **other["strategies"]})
    out.pop("against", None)  # the stored paired objects cover doc's strategies only: recompute all
    return out


def _interval(stat: dict) -> str:
    if stat["mean"] is None:
        return "-"
    if stat["low"] is None:
        return f"{stat['mean'] * 100:+.2f} (no interval)"
    text = f"{stat['mean'] * 100:+.2f} [{stat['low'] * 100:+.2f}, {stat['high'] * 100:+.2f}]"
    return f"**{text}**" if stat["separable"] else text


def paired_table(doc: dict, against: str) -> str:
    """Each strategy minus `against`, points: AUC, then accuracy at each labelled count; bold = separable."""
    rows = {k: p for k, p in paired(doc, against).items() if p is not None}
    counts = sorted({b["labelled"] for p in rows.values() for b in p["by_labelled"]})
    lines = [f"| minus {against} | seeds | AUC | " + " | ".join(str(n) for n in counts) + " |",
             "|---|---:|---:|" + "---:|" * len(counts)]
    for name, p in rows.items():
        at = {b["labelled"]: b for b in p["by_labelled"]}
        cells = [_interval(at[n]) if n in at else "-" for n in counts]
        lines.append(f"| {name} | {p['n_seeds']} | {_interval(p['auc'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--against", default="random", help="reference strategy of the paired table")
    ap.add_argument("--also", help="a bench differing only in its oracle (SI's), tabled and paired with each file")
    args = ap.parse_args()
    also = load(args.also) if args.also else None
    for path in args.files:
        doc = load(path)
        doc = merged(doc, also) if also else doc
        print(tables(doc))
        print()
        if doc["config"]["data"].get("imbalance", 1) > 1:
            print(recall_table(doc))
            print()
        if args.against in doc["strategies"]:
            print(paired_table(doc, args.against))
            print()
