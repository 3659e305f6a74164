"""Rule 1 of experiments/default-rule.md, applied to three validation benches.

    python experiments/apply_default_rule.py --mnist M.json --longtail L.json --cifar C.json \
        [--out results/default-rule.json] [--test-mnist TM.json --test-longtail TL.json --test-cifar TC.json]
        [--recheck-longtail L100.json]

Each of --mnist/--longtail/--cifar is `alss-tui bench ... --evaluate-on validation --json`
output; the --test-* files (the same configs scored on test) are only tabled after the
verdict, against the winner, and never change it; so does --recheck-longtail (Rule 5:
item 7's long-tail check on a bench with finer rounds). The rule,
as committed before the runs: the candidate with the highest validation AUC
averaged over the three datasets leads; a candidate is tied with the leader when,
on every dataset, the paired 95 % Student-t interval of its AUC difference with
the leader contains 0; among the leader and its ties the lowest selection seconds
per round (summed over the datasets) wins. Then a check, not a choice: the
winner's labels to each target against the fewest any strategy needs.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from bench_doc import at_seeds, fewest, load, paired_against, seed_drops  # this folder is on sys.path
from summary_to_markdown import _interval, pm  # the report's own formatters (this folder is on sys.path)

CANDIDATES = ("margin-sub", "entropy-sub", "margin", "entropy", "coreset")
# The best ALSS variant gets 5 seeds: the one of these with the highest validation AUC
# over the three datasets at seeds 0-2 (chosen before its seeds 3-4 exist, so they cannot sway it).
VARIANTS = ("snn-rerank", "snn-pseudo", "snn-steer")
VARIANT_SEEDS = (0, 1, 2)
DATASETS = ("mnist", "longtail", "cifar")
# Item 7 of the issue: within 10 % of the fewest labels, on these datasets and targets.
CHECK_TARGETS = {"mnist": ("0.95", "0.97", "0.98"), "longtail": ("0.90", "0.95")}
WITHIN = 1.10


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def decide(docs: dict[str, dict]) -> dict:
    """The rule's verdict from {dataset: bench summary}; every figure it used is in the result."""
    for name, doc in docs.items():
        if doc.get("split") != "validation":
            raise SystemExit(f"{name}: scored on {doc.get('split')!r}; the rule reads validation benches only")
        missing = [c for c in CANDIDATES if c not in doc["strategies"]]
        if missing:
            raise SystemExit(f"{name}: no finished runs of {', '.join(missing)}")
    auc = {c: {d: docs[d]["strategies"][c]["auc"]["mean"] for d in docs} for c in CANDIDATES}
    score = {c: _mean(list(auc[c].values())) for c in CANDIDATES}
    leader = max(CANDIDATES, key=lambda c: score[c])
    against_leader = {d: paired_against(docs[d]["strategies"], leader) for d in docs}
    tied = []
    for c in CANDIDATES:
        if c == leader:
            continue
        stats = [against_leader[d][c]["auc"] for d in docs]
        # A missing interval (fewer than two paired seeds) cannot show a tie.
        if all(s["separable"] is False for s in stats):
            tied.append(c)
    selection = {c: sum(docs[d]["strategies"][c]["selection_seconds_per_round"]["mean"] or 0.0 for d in docs)
                 for c in CANDIDATES}
    winner = min([leader, *tied], key=lambda c: selection[c])
    return {"candidates": list(CANDIDATES), "auc": auc, "score": score, "leader": leader, "tied": tied,
            "selection_seconds_per_round": selection, "winner": winner,
            "paired_against_leader": {d: {c: against_leader[d][c]["auc"] for c in CANDIDATES if c != leader}
                                      for d in docs},
            "check": labels_check(docs, winner), "largest_drop_per_run": run_drops(docs),
            "best_alss_variant": best_variant(docs)}


def best_variant(docs: dict[str, dict]) -> dict | None:
    """The ALSS variant Rule 1 gives 5 seeds; None until every variant has seeds 0-2 on every dataset."""
    score = {}
    for v in VARIANTS:
        per_dataset = []
        for doc in docs.values():
            s = doc["strategies"].get(v)
            aucs = at_seeds(s, s["auc"]["per_seed"], VARIANT_SEEDS) if s else None
            if aucs is None:
                return None
            per_dataset.append(_mean(aucs))
        score[v] = _mean(per_dataset)
    return {"seeds": list(VARIANT_SEEDS), "score": score, "best": max(score, key=score.get)}


def labels_check(docs: dict[str, dict], winner: str) -> list[dict]:
    """The winner's mean labels to each target against the fewest of any strategy that reached it on every seed."""
    rows = []
    for d, targets in CHECK_TARGETS.items():
        if d not in docs:
            continue
        for t in targets:
            best = fewest(docs[d], t)  # among strategies that reached on every seed they ran
            mine = docs[d]["strategies"][winner]["labels_to_reach"].get(t)
            if best is None or mine is None:
                rows.append({"dataset": d, "target": t, "winner": None, "fewest": None, "by": None, "within": None})
                continue
            ok = mine["reached"] == mine["of"] and mine["mean"] <= WITHIN * best[0]
            rows.append({"dataset": d, "target": t, "winner": mine["mean"], "winner_reached": f"{mine['reached']}/{mine['of']}",
                         "fewest": best[0], "by": best[1], "within": bool(ok)})
    return rows


def run_drops(docs: dict[str, dict]) -> dict[str, dict[str, list[float]]]:
    """Each run's largest fall between rounds, {dataset: {strategy: [per seed]}} (issue item 4: under a point)."""
    out = {}
    for d, doc in docs.items():
        out[d] = {}
        for name, s in doc["strategies"].items():
            out[d][name] = seed_drops(s)
    return out


def drops_markdown(docs: dict[str, dict]) -> str:
    drops = run_drops(docs)
    names = list(dict.fromkeys(n for d in drops.values() for n in d))
    lines = ["| strategy | " + " | ".join(f"{d}: largest (runs over 1 pt)" for d in drops) + " |",
             "|---|" + "---:|" * len(drops)]
    for n in names:
        cells = []
        for d in drops:
            v = drops[d].get(n)
            cells.append(f"{max(v) * 100:.2f} ({sum(x > 0.01 for x in v)}/{len(v)})" if v else "-")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(docs: dict[str, dict], verdict: dict) -> str:
    leader = verdict["leader"]
    against = {d: paired_against(doc["strategies"], leader) for d, doc in docs.items() if leader in doc["strategies"]}
    names = list(dict.fromkeys(n for d in docs.values() for n in d["strategies"]))
    head = "| strategy | " + " | ".join(f"{d} AUC (seeds)" for d in docs) + " | mean | " + \
        " | ".join(f"{d} minus {leader}" for d in docs) + " | selection s / round (sum) |"
    lines = [head, "|---|" + "---:|" * (2 * len(docs) + 2)]
    for n in names:
        cells, aucs = [], []
        for d, doc in docs.items():
            s = doc["strategies"].get(n)
            cells.append(f"{pm(s['auc'])} ({s['runs']})" if s else "-")
            aucs.append(s["auc"]["mean"] if s else math.nan)
        pairs = []
        for d, doc in docs.items():
            stat = against.get(d, {}).get(n)
            pairs.append(_interval(stat["auc"]) if stat else "-")
        sel = sum(doc["strategies"][n]["selection_seconds_per_round"]["mean"] or 0.0
                  for doc in docs.values() if n in doc["strategies"])
        mean = f"{_mean(aucs) * 100:.2f}" if not any(math.isnan(a) for a in aucs) else "-"
        mark = " (candidate)" if n in CANDIDATES else ""
        lines.append(f"| {n}{mark} | " + " | ".join(cells) + f" | {mean} | " + " | ".join(pairs) + f" | {sel:.3f} |")
    lines += ["", f"Leader: **{leader}**; tied with it on every dataset: {', '.join(verdict['tied']) or 'none'}; "
              f"winner (lowest selection seconds among them): **{verdict['winner']}**.", "",
              "| dataset | target | winner's labels | fewest labels (strategy) | within 10 % |", "|---|---:|---:|---:|---|"]
    lines += [f"| {r['dataset']} | {check_cells(r)} |" for r in verdict["check"]]
    return "\n".join(lines)


def check_cells(r: dict) -> str:
    """One row of item 7's check: target, the winner's labels, the fewest, within 10 %."""
    if r["winner"] is None:
        return f"{float(r['target']) * 100:g}% | - | - | -"
    return (f"{float(r['target']) * 100:g}% | {r['winner']:.0f} ({r['winner_reached']}) "
            f"| {r['fewest']:.0f} ({r['by']}) | {'yes' if r['within'] else 'no'}")


def recheck_longtail(doc: dict, winner: str) -> dict:
    """Rule 5: item 7's long-tail check read on another long-tail bench (finer rounds); it decides nothing."""
    if doc.get("split") != "validation":
        raise SystemExit(f"--recheck-longtail: scored on {doc.get('split')!r}; Rule 5 reads a validation bench")
    if (doc.get("config", {}).get("data", {}).get("imbalance") or 1) <= 1:
        raise SystemExit("--recheck-longtail: not a long-tailed pool (data.imbalance is 1)")
    if winner not in doc["strategies"]:
        raise SystemExit(f"--recheck-longtail: no finished runs of the winner {winner}")
    against = paired_against(doc["strategies"], winner)
    return {"per_round": doc["config"]["sampling"]["per_round"], "check": labels_check({"longtail": doc}, winner),
            "minus_winner": {n: {"auc": stat["auc"]} for n, stat in against.items() if n != winner and stat},
            "largest_drop_per_run": run_drops({"longtail": doc})["longtail"]}


def recheck_markdown(doc: dict, recheck: dict, winner: str) -> str:
    """Rule 5's check, then every strategy of the finer bench against the winner, with its falls."""
    lines = [f"Rule 5: the long tail with {recheck['per_round']} labels a round (decides nothing)", "",
             "| target | winner's labels | fewest labels (strategy) | within 10 % |", "|---:|---:|---:|---|"]
    lines += [f"| {check_cells(r)} |" for r in recheck["check"]]
    lines += ["", f"| strategy | AUC (seeds) | minus {winner} | largest fall (runs over 1 pt) |", "|---|---:|---:|---:|"]
    for n, s in doc["strategies"].items():
        stat = recheck["minus_winner"].get(n)
        drops = recheck["largest_drop_per_run"][n]
        lines.append(f"| {n} | {pm(s['auc'])} ({s['runs']}) | {_interval(stat['auc']) if stat else '-'} "
                     f"| {max(drops) * 100:.2f} ({sum(x > 0.01 for x in drops)}/{len(drops)}) |")
    return "\n".join(lines)


def test_markdown(docs: dict[str, dict], winner: str) -> str:
    """The same configs scored on test: AUC and each strategy minus the winner, paired over seeds."""
    for name, doc in docs.items():
        if doc.get("split") != "test":
            raise SystemExit(f"{name}: scored on {doc.get('split')!r}; the test table reads test benches")
    against = {d: paired_against(doc["strategies"], winner) for d, doc in docs.items() if winner in doc["strategies"]}
    names = list(dict.fromkeys(n for d in docs.values() for n in d["strategies"]))
    lines = ["| strategy | " + " | ".join(f"{d} test AUC (seeds)" for d in docs) + " | " +
             " | ".join(f"{d} minus {winner}" for d in docs) + " |",
             "|---|" + "---:|" * (2 * len(docs))]
    for n in names:
        cells = [f"{pm(doc['strategies'][n]['auc'])} ({doc['strategies'][n]['runs']})" if n in doc["strategies"] else "-"
                 for doc in docs.values()]
        pairs = [_interval(against[d][n]["auc"]) if n != winner and against.get(d, {}).get(n) else "-" for d in docs]
        lines.append(f"| {n} | " + " | ".join(cells) + " | " + " | ".join(pairs) + " |")
    lines += ["", "| dataset | target | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    for d, doc in docs.items():
        for t in doc.get("targets", []):
            cells = []
            for n in names:
                r = doc["strategies"].get(n, {}).get("labels_to_reach", {}).get(f"{t:.2f}")  # the bench's own key
                cells.append("-" if not r else f"{r['mean']:.0f} ({r['reached']}/{r['of']})" if r["reached"] else f"never (0/{r['of']})")
            lines.append(f"| {d} | {float(t) * 100:g}% | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for d in DATASETS:
        ap.add_argument(f"--{d}", required=True, type=Path, help=f"validation bench JSON of {d}")
        ap.add_argument(f"--test-{d}", type=Path, help=f"the same config of {d} scored on test (tabled after the verdict)")
    ap.add_argument("--recheck-longtail", type=Path,
                    help="Rule 5: item 7's long-tail check on this validation bench (finer rounds); decides nothing")
    ap.add_argument("--out", type=Path, help="write the verdict and its figures here (JSON)")
    args = ap.parse_args()
    docs = {d: load(getattr(args, d)) for d in DATASETS}
    verdict = decide(docs)
    print(markdown(docs, verdict))
    print()
    print(drops_markdown(docs))
    tests = {d: load(getattr(args, f"test_{d}")) for d in DATASETS if getattr(args, f"test_{d}")}
    if tests:
        print()
        print(test_markdown(tests, verdict["winner"]))
    if args.recheck_longtail:
        finer = load(args.recheck_longtail)
        verdict["recheck_longtail"] = recheck_longtail(finer, verdict["winner"])
        print()
        print(recheck_markdown(finer, verdict["recheck_longtail"], verdict["winner"]))
    if args.out:
        args.out.write_text(json.dumps(verdict, indent=1) + "\n", encoding="utf-8")
