"""Judging the chosen knobs together (Rule 2, step 3) against the default strategy.

For each strategy a `choose-value` step tuned (`knobs`), its combination is the
bench of `recipe` that moves exactly the knobs chosen away from today's values
(the recipe's own bench when every chosen value is today's), on every one of
`datasets` (without any bench of `recipe` there is nothing to judge yet). Its AUC at `seeds` is paired by seed with `default`'s on the same
recipe's bench, and with the same strategy untuned there; the goal is met when the
interval is above 0 on at least one dataset at no more than `cost_limit` x the
default's selection seconds per round (summed over the datasets, in the order the
combination's benches were given).
"""

from __future__ import annotations

from alss_tui.bench.paired import paired_interval
from alss_tui.bench.summary import BenchSummary
from alss_tui.bench.verdict import params as p
from alss_tui.bench.verdict.choose_value import value_label
from alss_tui.bench.verdict.context import Context
from alss_tui.bench.verdict.matching import Variant, moved
from alss_tui.errors import BenchError


def _knobs_step(value, scope: p.Scope, name: str) -> str:
    p.text(value, scope, name)
    if value not in scope.steps:
        scope.fail(f"{name}: no earlier step {value!r}")
    return value


PARAMS = {"knobs": p.Param(_knobs_step), "recipe": p.Param(p.recipe), "default": p.Param(p.strategy_name),
          "datasets": p.Param(p.datasets), "seeds": p.Param(p.seeds), "cost_limit": p.Param(p.number)}


def _tuning(step, rule):
    tuned = next(s for s in rule.steps if s.id == step.params["knobs"])
    if tuned.kind != "choose-value" or tuned.params["pick"] != "margin":
        raise BenchError(f"{rule.path}: step {step.id!r}: knobs must name a choose-value step with pick = \"margin\"")
    return tuned


def variants(step, rule) -> list[Variant]:
    return [combinations(step, _tuning(step, rule))]


def combinations(step, tuned) -> Variant:
    return Variant(f"{step.id}: combinations", step.params["recipe"], keys=tuple(tuned.params["knobs"]),
                   how_many="some")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def judge(ctx: Context, params: dict, step) -> list[dict]:
    tuned = _tuning(step, ctx.placement.rule)
    relative = tuned.params["relative"]
    if not any(ctx.placement.benches.get((params["recipe"], d)) for d in params["datasets"]):
        return []  # the default's benches are not given (yet): nothing to judge
    defaults = ctx.benches(params["recipe"], params["datasets"])
    family = combinations(step, tuned).name
    pool = [b for d in params["datasets"] for b in ctx.placement.family(family, d)]
    claimed: set[int] = set()
    judged, undecided = [], {}
    for strategy, knobs in ctx.results[params["knobs"]].items():
        waiting = [k for k, e in knobs.items() if e["chosen"] is None]
        if waiting:
            undecided[strategy] = waiting  # no combination to judge until every knob is decided
            continue
        want = {k: e["chosen"] for k, e in knobs.items() if e["chosen"] != e["today"]}
        found = {}
        for d, default in defaults.items():
            hits = [b for b in pool if ctx.placement.parts[id(b)][0] == d and _labels(default, b, relative) == want]
            found[d] = default if not want else (hits[0] if hits else None)
        if not want or any(found.values()):
            missing = [d for d, b in found.items() if b is None]
            if missing:
                ctx.fail(f"{strategy}'s combination ({_show(want)}) has no bench on {', '.join(missing)}")
            claimed.update(id(b) for b in found.values())
            order = sorted(found, key=lambda d: ctx.placement.position(found[d]) if want else 0)
            judged.append(_judge(ctx, params, strategy, {d: found[d] for d in order}, defaults))
    stray = [b for b in pool if id(b) not in claimed]
    if stray:
        bench = stray[0]
        moves = _labels(defaults[ctx.placement.parts[id(bench)][0]], bench, relative)
        waiting = "".join(f"; {s} has not decided {', '.join(ks)} yet" for s, ks in undecided.items())
        ctx.fail(f"{ctx.placement.label(bench)} moves {_show(moves)}; no strategy's chosen knobs move exactly that"
                 + waiting)
    return judged


def _labels(default: BenchSummary, bench: BenchSummary, relative) -> dict[str, str]:
    """What `bench` moves from the default's bench, each value named as the knob step names it."""
    base = default.settings()
    return {k: value_label(k, v, base[k], relative) for k, v in moved(default, bench).items()}


def _show(knobs: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(knobs.items())) or "nothing"


def _judge(ctx: Context, params: dict, strategy: str, combination: dict[str, BenchSummary],
           defaults: dict[str, BenchSummary]) -> dict:
    seeds, default_strategy = params["seeds"], params["default"]
    paired, untuned, auc, cost = {}, {}, {}, {}
    for d, bench in combination.items():
        s, ref = bench.strategies.get(strategy), defaults[d].strategies.get(default_strategy)
        mine = s.auc_at(seeds) if s else None
        theirs = ref.auc_at(seeds) if ref else None
        if mine is None or theirs is None:
            ctx.fail(f"{d}: {strategy} and {default_strategy} need seeds {', '.join(map(str, seeds))}")
        paired[d] = paired_interval([a - b for a, b in zip(mine, theirs)]).to_json()
        auc[d] = _mean(mine)
        # Not part of the rule: whether the tuned knobs beat the same strategy untuned, same recipe and seeds.
        plain = defaults[d].strategies.get(strategy)
        before = plain.auc_at(seeds) if plain else None
        untuned[d] = paired_interval([a - b for a, b in zip(mine, before)]).to_json() if before else None
        cost[d] = [s.selection_seconds_per_round.mean, ref.selection_seconds_per_round.mean]
    ratio = sum(c[0] for c in cost.values()) / sum(c[1] for c in cost.values())
    ahead = [d for d, q in paired.items() if q["low"] is not None and q["low"] > 0]
    return {"strategy": strategy, "auc": auc, "minus_default": paired, "minus_untuned": untuned,
            "selection_seconds": cost, "cost_ratio": ratio, "ahead_on": ahead,
            "goal_met": bool(ahead) and ratio <= params["cost_limit"]}
