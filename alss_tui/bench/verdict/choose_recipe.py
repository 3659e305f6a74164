"""Choosing a recipe (Rules 3a and 4): candidate benches against base benches, cell by cell.

Over `strategies` at `seeds` on `datasets`, each recipe's runs are counted that
fall by more than a point between two rounds (item 4 of the issue), and the
`judged` strategy's AUC is paired by seed, candidate minus base, per dataset. A
candidate qualifies when fewer of its runs fall, the judged strategy is on no
dataset separably lower (interval entirely below 0), and its mean change is not
below -`mean_loss_limit_points`.

With `candidate` (a recipe of the rule) the answer is yes or no (named `answer`).
With `knob` and `values` each value is a candidate (benches moving just that
knob from the base); of those that qualify the one with the largest mean change
is chosen, else the base's value stays. `labels` adds the judged strategy's
labels check under each value, `by_strategy` every strategy's paired AUC.
"""

from __future__ import annotations

from alss_tui.bench.paired import paired_interval
from alss_tui.bench.summary import BenchSummary
from alss_tui.bench.verdict import params as p
from alss_tui.bench.verdict.checks import run_falls, within
from alss_tui.bench.verdict.context import Context, figure_name
from alss_tui.bench.verdict.labels import check_rows
from alss_tui.bench.verdict.matching import Variant, exact_variant

FALL_LIMIT = 0.01  # a fall of more than a point between two rounds

PARAMS = {
    "from": p.Param(p.recipe), "base_label": p.Param(p.text, None), "datasets": p.Param(p.datasets),
    "strategies": p.Param(p.strategy_names), "seeds": p.Param(p.seeds), "judged": p.Param(p.strategy_name),
    "mean_loss_limit_points": p.Param(p.number),
    "candidate": p.Param(p.recipe, None), "answer": p.Param(p.text, "adopt"),
    "knob": p.Param(p.setting, None), "values": p.Param(p.values, None), "candidate_label": p.Param(p.text, None),
    "labels": p.Param(p.table({"targets": p.Param(p.targets), "within_percent": p.Param(p.number)}), None),
    "by_strategy": p.Param(p.flag, False),
}


def variants(step, rule) -> list[Variant]:
    params = step.params
    if params["knob"] is None:
        return []
    return [exact_variant(params["from"], {params["knob"]: v}) for v in params["values"]]


def _drops(ctx: Context, benches: dict[str, BenchSummary], strategies, seeds) -> dict:
    out = {}
    for d, bench in benches.items():
        out[d] = {}
        for s in strategies:
            falls = run_falls(bench, [s]).get(s)
            at = bench.strategies[s].at_seeds(falls, seeds) if falls is not None else None
            if at is None:
                ctx.fail(f"{ctx.placement.label(bench)}: {s} lacks one of seeds {', '.join(map(str, seeds))}")
            out[d][s] = at
    return out


def _paired_auc(ctx: Context, candidate: BenchSummary, base: BenchSummary, strategy: str, seeds) -> dict:
    mine, theirs = (ctx.runs_of(b, strategy).auc_at(seeds) for b in (candidate, base))
    if mine is None or theirs is None:
        ctx.fail(f"{strategy} lacks one of seeds {', '.join(map(str, seeds))}")
    return paired_interval([a - b for a, b in zip(mine, theirs)]).to_json()


def compare(ctx: Context, params: dict, base: dict, candidate: dict, base_label: str, label: str,
            difference_key: str, verdict_key: str) -> dict:
    strategies, seeds, judged = params["strategies"], params["seeds"], params["judged"]
    drops = {base_label: _drops(ctx, base, strategies, seeds), label: _drops(ctx, candidate, strategies, seeds)}
    over = {k: sum(x > FALL_LIMIT for d in v.values() for runs in d.values() for x in runs) for k, v in drops.items()}
    paired = {d: _paired_auc(ctx, candidate[d], base[d], judged, seeds) for d in params["datasets"]}
    mean_change = sum(q["mean"] for q in paired.values()) / len(paired)
    lower = [d for d in params["datasets"] if paired[d]["high"] is not None and paired[d]["high"] < 0]
    qualifies = over[label] < over[base_label] and not lower and mean_change >= -params["mean_loss_limit_points"] / 100
    return {"runs": len(params["datasets"]) * len(strategies) * len(seeds), "runs_over_a_point": over,
            "largest_drops": drops, difference_key: paired, "mean_change": mean_change,
            "separably_lower_on": lower, verdict_key: qualifies}


def choose(ctx: Context, params: dict) -> dict:
    if (params["candidate"] is None) == (params["knob"] is None) or (params["knob"] is None) != (params["values"] is None):
        ctx.fail("give `candidate` (a recipe), or `knob` and `values`")
    base = ctx.benches(params["from"], params["datasets"])
    base_label = params["base_label"] or params["from"]
    judged = figure_name(params["judged"])
    if params["candidate"] is not None:
        label = params["candidate_label"] or params["candidate"]
        candidate = ctx.benches(params["candidate"], params["datasets"])
        return compare(ctx, params, base, candidate, base_label, label, f"{judged}_{label}_minus_{base_label}",
                       params["answer"])
    knob, label = params["knob"], params["candidate_label"] or "candidate"
    candidates = {}
    for v in params["values"]:
        benches = ctx.benches(exact_variant(params["from"], {knob: v}).name, params["datasets"])
        candidates[next(iter(benches.values())).settings()[knob]] = benches
    values = {}
    for value, benches in sorted(candidates.items()):
        c = compare(ctx, params, base, benches, base_label, label, f"{judged}_minus", "qualifies")
        if params["labels"] is not None:
            c["labels"] = check_rows(benches, params["labels"]["targets"], params["judged"], judged,
                                     within(params["labels"]["within_percent"]), params["seeds"])
        if params["by_strategy"]:
            c[f"minus_{base_label}_by_strategy"] = {
                d: {s: _paired_auc(ctx, benches[d], base[d], s, params["seeds"]) for s in params["strategies"]}
                for d in params["datasets"]}
        values[value] = c
    qualifying = [v for v in values if values[v]["qualifies"]]
    base_value = next(iter(base.values())).settings()[knob]
    return {"values": values, "chosen": max(qualifying, key=lambda v: values[v]["mean_change"]) if qualifying
            else base_value}
