"""Rules 3 and 4 of experiments/default-rule.md (warm start; candidates per pick; class-balanced draws), on validation benches.

    python experiments/apply_recipe_rule.py \\
        --restart-mnist results/rule1-mnist.json --restart-longtail ... --restart-cifar ... \\
        --warm-mnist W.json --warm-longtail ... --warm-cifar ... \\
        [--cpp 30 mnist A.json --cpp 30 longtail B.json --cpp 100 mnist C.json ...] \\
        [--balance 0.5 mnist D.json --balance 0.5 longtail ... --balance 1 cifar ...] [--out verdict.json]

Every file is `alss-tui bench ... --evaluate-on validation --json` output; the
--restart-* files are Rule 1's benches (restarts, candidates per pick 10). The rule,
as committed before these runs:

3a. Warm start becomes the recipe when, over margin-sub, margin and random at seeds
0-2 on the three datasets, fewer of its runs fall by more than a point between two
rounds than with restarts, margin-sub's AUC is on no dataset separably lower (paired
95 % Student-t interval entirely below 0), and its mean over the datasets is not
lower by more than 0.3 point.

3b. A candidates-per-pick value meets item 7 when margin-sub reaches every target of
MNIST and the long tail on all of seeds 0-2 with mean labels within 10 % of the
fewest of any Rule 1 strategy that reached it on seeds 0-2. The smallest such value
is confirmed at 5 seeds (when its files hold seeds 3-4) against Rule 1's 5-seed
fewest, with selection seconds within 3x of today's.

Rule 4 (--balance VALUE DATASET FILE): task.class_balance 0.5 and 1 against today's
warm start (the --warm-* benches) with Rule 3a's test: fewer runs falling over a point,
margin-sub on no dataset separably lower, mean change not below -0.3 point; of the
values that pass, the one with the larger mean change is chosen, else 0 stays.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_doc import at_seeds, fewest, load, mean_labels, paired_interval, seed_drops  # this folder is on sys.path
from summary_to_markdown import _interval  # the report's own formatter

DATASETS = ("mnist", "longtail", "cifar")
SEEDS = (0, 1, 2)
CONFIRM_SEEDS = (0, 1, 2, 3, 4)
WARM_STRATEGIES = ("margin-sub", "margin", "random")
DROP_LIMIT = 0.01  # item 4: a fall of more than a point between two rounds
MEAN_LOSS_LIMIT = 0.003  # 3a: margin-sub's mean AUC may not fall by more than 0.3 point
TARGETS = {"mnist": ("0.95", "0.97", "0.98"), "longtail": ("0.90", "0.95")}
WITHIN = 1.10
COST_LIMIT = 3.0


def _need_validation(name: str, doc: dict) -> None:
    if doc.get("split") != "validation":
        raise SystemExit(f"{name}: scored on {doc.get('split')!r}; Rule 3 reads validation benches only")


def run_drops(sdoc: dict, seeds: tuple[int, ...]) -> list[float] | None:
    """Each of `seeds`' largest fall between two rounds."""
    return at_seeds(sdoc, seed_drops(sdoc), seeds)


def _cells(docs: dict[str, dict], label: str) -> dict[str, dict[str, list[float]]]:
    """{dataset: {strategy: per-seed largest drop}} over a recipe comparison's cells."""
    out = {}
    for d in DATASETS:
        out[d] = {}
        for s in WARM_STRATEGIES:
            sdoc = docs[d]["strategies"].get(s)
            drops = run_drops(sdoc, SEEDS) if sdoc else None
            if drops is None:
                raise SystemExit(f"{label} {d}: {s} lacks one of seeds {', '.join(map(str, SEEDS))}")
            out[d][s] = drops
    return out


def paired_auc(candidate: dict, base: dict, strategy: str) -> dict:
    """`strategy`'s AUC in one dataset's candidate bench minus its base bench, paired over seeds 0-2."""
    mine, theirs = (at_seeds(doc["strategies"][strategy], doc["strategies"][strategy]["auc"]["per_seed"], SEEDS)
                    for doc in (candidate, base))
    return paired_interval([a - b for a, b in zip(mine, theirs)])


def compare_recipes(base: dict[str, dict], candidate: dict[str, dict], base_label: str, label: str) -> dict:
    """A recipe against another over margin-sub, margin and random at seeds 0-2 on the three datasets.

    Runs falling more than a point in each; margin-sub's AUC, candidate minus base, paired by
    seed per dataset; "qualifies" as Rules 3a and 4 word it (fewer falling runs, no
    dataset separably lower, mean change not below -0.3 point).
    """
    for name, docs in ((base_label, base), (label, candidate)):
        for d in DATASETS:
            _need_validation(f"{name} {d}", docs[d])
    drops = {base_label: _cells(base, base_label), label: _cells(candidate, label)}
    over = {k: sum(x > DROP_LIMIT for d in v.values() for runs in d.values() for x in runs) for k, v in drops.items()}
    paired = {d: paired_auc(candidate[d], base[d], "margin-sub") for d in DATASETS}
    mean_change = sum(p["mean"] for p in paired.values()) / len(paired)
    separably_lower = [d for d in DATASETS if paired[d]["high"] is not None and paired[d]["high"] < 0]
    qualifies = over[label] < over[base_label] and not separably_lower and mean_change >= -MEAN_LOSS_LIMIT
    return {"runs": len(DATASETS) * len(WARM_STRATEGIES) * len(SEEDS), "runs_over_a_point": over,
            "largest_drops": drops, "margin_sub_minus": paired, "mean_change": mean_change,
            "separably_lower_on": separably_lower, "qualifies": qualifies}


def rule_3a(restart: dict[str, dict], warm: dict[str, dict]) -> dict:
    c = compare_recipes(restart, warm, "restart", "warm")
    return {"runs": c["runs"], "runs_over_a_point": c["runs_over_a_point"], "largest_drops": c["largest_drops"],
            "margin_sub_warm_minus_restart": c["margin_sub_minus"], "mean_change": c["mean_change"],
            "separably_lower_on": c["separably_lower_on"], "adopt_warm_start": c["qualifies"]}


def rule_4(warm: dict[str, dict], balanced: dict[float, dict[str, dict]]) -> dict:
    """Each class_balance value against today's warm start; the qualifying value with the larger gain wins."""
    values = {}
    for value, docs in sorted(balanced.items()):
        missing = [d for d in DATASETS if d not in docs]
        if missing:
            raise SystemExit(f"--balance {value:g}: no {', '.join(missing)} bench")
        c = compare_recipes(warm, docs, "today", "balanced")
        c["labels"] = labels_rows(docs, docs, SEEDS)  # item 7 under the same value, beside the verdict
        c["minus_today_by_strategy"] = {d: {s: paired_auc(docs[d], warm[d], s) for s in WARM_STRATEGIES}
                                        for d in DATASETS}
        values[value] = c
    qualifying = [v for v in values if values[v]["qualifies"]]
    chosen = max(qualifying, key=lambda v: values[v]["mean_change"]) if qualifying else 0.0
    return {"values": values, "chosen": chosen}


def labels_rows(rule1: dict[str, dict], candidate: dict[str, dict], seeds: tuple[int, ...]) -> list[dict]:
    rows = []
    for d, targets in TARGETS.items():
        for t in targets:
            mine = mean_labels(candidate[d]["strategies"].get("margin-sub"), t, seeds)
            best = fewest(rule1[d], t, seeds)
            ok = mine is not None and best is not None and mine <= WITHIN * best[0]
            rows.append({"dataset": d, "target": t, "margin_sub": mine, "fewest": best and best[0],
                         "by": best and best[1], "within": ok})
    return rows


def rule_3b(rule1: dict[str, dict], cpp: dict[int, dict[str, dict]]) -> dict:
    for d in TARGETS:
        _need_validation(f"restart {d}", rule1[d])
        for value, docs in cpp.items():
            if d not in docs:
                raise SystemExit(f"--cpp {value}: no {d} bench")
            _need_validation(f"cpp {value} {d}", docs[d])
    today = {d: rule1[d]["strategies"]["margin-sub"]["selection_seconds_per_round"]["mean"] for d in TARGETS}
    values = {10: {"rows": labels_rows(rule1, rule1, SEEDS)}}
    for value, docs in sorted(cpp.items()):
        sel = {d: docs[d]["strategies"]["margin-sub"]["selection_seconds_per_round"]["mean"] for d in TARGETS}
        values[value] = {"rows": labels_rows(rule1, docs, SEEDS), "selection_seconds_per_round": sel,
                         "cost_ratio": max(sel[d] / today[d] for d in TARGETS)}
    for v in values.values():
        v["meets_item_7"] = all(r["within"] for r in v["rows"])
    meeting = [value for value in sorted(values) if values[value]["meets_item_7"]]
    chosen = meeting[0] if meeting else None
    confirmed = None
    if chosen not in (None, 10):
        docs = cpp[chosen]
        if all(at_seeds(docs[d]["strategies"]["margin-sub"], docs[d]["strategies"]["margin-sub"]["seeds"],
                         CONFIRM_SEEDS) is not None for d in TARGETS):
            rows = labels_rows(rule1, docs, CONFIRM_SEEDS)
            confirmed = {"rows": rows, "holds": all(r["within"] for r in rows) and values[chosen]["cost_ratio"] <= COST_LIMIT}
    return {"selection_seconds_per_round_today": today, "values": values, "smallest_meeting": chosen,
            "five_seed_confirmation": confirmed}


def markdown(verdict: dict) -> str:
    lines = []
    a = verdict.get("3a")
    if a:
        lines += [f"3a: runs falling over a point between rounds, of {a['runs']}: restart {a['runs_over_a_point']['restart']}, "
                  f"warm start {a['runs_over_a_point']['warm']}; margin-sub warm minus restart (AUC points):"]
        for d, p in a["margin_sub_warm_minus_restart"].items():
            lines.append(f"- {d}: {_interval(p)}")
        lines.append(f"- mean change {a['mean_change'] * 100:+.2f}; adopt warm start: **{'yes' if a['adopt_warm_start'] else 'no'}**")
    b = verdict.get("3b")
    if b:
        lines += ["", "3b: margin-sub's mean labels at seeds 0-2 (fewest of Rule 1 at seeds 0-2)", "",
                  "| candidates per pick | " + " | ".join(f"{r['dataset']} {float(r['target']) * 100:g}%"
                                                        for r in b["values"][10]["rows"]) + " | selection x today | meets item 7 |",
                  "|---:|" + "---:|" * (len(b["values"][10]["rows"]) + 2)]
        for value, v in b["values"].items():
            cells = [("never" if r["margin_sub"] is None else f"{r['margin_sub']:.0f}") +
                     (f" ({r['fewest']:.0f} {r['by']})" if r["fewest"] is not None else "") for r in v["rows"]]
            ratio = f"{v['cost_ratio']:.2f}" if "cost_ratio" in v else "1.00"
            lines.append(f"| {value} | " + " | ".join(cells) + f" | {ratio} | {'yes' if v['meets_item_7'] else 'no'} |")
        c = b["five_seed_confirmation"]
        lines.append(f"\nSmallest value meeting item 7: {b['smallest_meeting']}; 5-seed confirmation: "
                     f"{'not run' if c is None else ('holds' if c['holds'] else 'fails')}")
    r4 = verdict.get("4")
    if r4:
        lines += ["", "4: class_balance against today's warm start (0), seeds 0-2", "",
                  "| class_balance | runs over a point (today's) | margin-sub minus today: "
                  + " | ".join(DATASETS) + " | mean change | qualifies |",
                  "|---:|---:|" + "---:|" * (len(DATASETS) + 1) + "---|"]
        for value, v in r4["values"].items():
            cells = [_interval(p) for p in v["margin_sub_minus"].values()]
            lines.append(f"| {value:g} | {v['runs_over_a_point']['balanced']} of {v['runs']} "
                         f"({v['runs_over_a_point']['today']}) | " + " | ".join(cells) +
                         f" | {v['mean_change'] * 100:+.2f} | {'yes' if v['qualifies'] else 'no'} |")
        for value, v in r4["values"].items():
            lines += ["", f"class_balance {value:g}: each strategy minus today (AUC points, paired over seeds 0-2)", ""]
            for d, by in v["minus_today_by_strategy"].items():
                lines.append(f"- {d}: " + "; ".join(f"{s} {_interval(p)}" for s, p in by.items()))
            lines.append("- margin-sub's mean labels (fewest of the three under the same value): " + "; ".join(
                f"{r['dataset']} {float(r['target']) * 100:g}% "
                + ("never" if r["margin_sub"] is None else f"{r['margin_sub']:.0f}")
                + (f" ({r['fewest']:.0f} {r['by']})" if r["fewest"] is not None else "") for r in v["labels"]))
        lines.append(f"\nChosen task.class_balance: **{r4['chosen']:g}**")
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for d in DATASETS:
        ap.add_argument(f"--restart-{d}", type=Path, required=True, help=f"Rule 1's validation bench of {d}")
        ap.add_argument(f"--warm-{d}", type=Path, help=f"the warm-start bench of {d}")
    ap.add_argument("--cpp", nargs=3, action="append", default=[], metavar=("VALUE", "DATASET", "FILE"),
                    help="a candidates-per-pick bench (mnist or longtail); repeatable")
    ap.add_argument("--balance", nargs=3, action="append", default=[], metavar=("VALUE", "DATASET", "FILE"),
                    help="a task.class_balance bench (Rule 4; needs the --warm-* benches); repeatable")
    ap.add_argument("--out", type=Path, help="write the verdicts here (JSON)")
    args = ap.parse_args()
    restart = {d: load(getattr(args, f"restart_{d}")) for d in DATASETS}
    verdict = {}
    warm = None  # today's warm-start benches, read once for Rules 3a and 4
    if all(getattr(args, f"warm_{d}") for d in DATASETS):
        warm = {d: load(getattr(args, f"warm_{d}")) for d in DATASETS}
    if warm:
        verdict["3a"] = rule_3a(restart, warm)
    cpp: dict[int, dict[str, dict]] = {}
    for value, d, path in args.cpp:
        cpp.setdefault(int(value), {})[d] = load(Path(path))
    if cpp:
        verdict["3b"] = rule_3b(restart, cpp)
    balanced: dict[float, dict[str, dict]] = {}
    for value, d, path in args.balance:
        balanced.setdefault(float(value), {})[d] = load(Path(path))
    if balanced:
        if warm is None:
            raise SystemExit("--balance: Rule 4 compares with today's warm start; give the --warm-* benches")
        verdict["4"] = rule_4(warm, balanced)
    print(markdown(verdict))
    if args.out:
        args.out.write_text(json.dumps(verdict, indent=1) + "\n", encoding="utf-8")
