"""Choosing a setup (a recipe and the strategy run in it), and combining the setups chosen.

choose-setup: `candidates` are "recipe/strategy" pairs; the score is the AUC at
`seeds` averaged over `datasets` (equal weight); the highest leads. A candidate ties
with the leader when, on every dataset, the paired 95 % Student-t interval of its AUC
difference with the leader (seed by seed: the same initial labels) contains 0. Among
the leader and its ties the cheapest wins: the fewest seconds a run, summed over the
datasets (the one-off encoder and VAE seconds of its bench, plus its rounds' seconds).

combine: each `steps` winner moves some settings away from `from`'s recipe (its own
recipe's settings) or picks another strategy; the combination is every such move at
once, with the one strategy chosen (`default` where none was). Its bench is the one
that moves exactly those settings from `from`'s bench (the winners' own when only one
moves anything); the benches that could be one are those moving settings of two or
more of the steps' recipes. It is paired by seed with `default` on `from`'s bench at
`seeds`: per dataset the AUC difference and labels to `targets`, and `adopt` when
its mean AUC over the datasets is higher and on no dataset separably lower.
"""

from __future__ import annotations

from alss_tui.bench.paired import paired_interval
from alss_tui.bench.summary import BenchSummary
from alss_tui.bench.verdict import params as p
from alss_tui.bench.verdict.context import Context
from alss_tui.bench.verdict.labels import mean_labels
from alss_tui.bench.verdict.matching import Variant, moved
from alss_tui.errors import BenchError


def _candidate(value, scope: p.Scope, name: str) -> str:
    p.text(value, scope, name)
    recipe, sep, strategy = value.partition("/")
    if not sep:
        scope.fail(f"{name}: {value!r} is not recipe/strategy (e.g. today/margin-sub)")
    p.recipe(recipe, scope, name)
    p.strategy_name(strategy, scope, name)
    return value


def _candidates(value, scope: p.Scope, name: str) -> list[str]:
    return [_candidate(v, scope, name) for v in p.texts(value, scope, name)]


def _steps(value, scope: p.Scope, name: str) -> list[str]:
    for v in p.texts(value, scope, name):
        if v not in scope.steps:
            scope.fail(f"{name}: no earlier step {v!r}")
    return list(value)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _interval(diffs: list[float]) -> dict:
    return paired_interval(diffs).without_n()


def run_seconds(bench: BenchSummary, strategy: str) -> float:
    """A run's seconds: the bench's one-off seconds a seed (encoder and VAE) plus its rounds'."""
    s = bench.strategies[strategy]
    one_off = _mean(list(bench.vae_seconds.values())) if bench.vae_seconds else 0.0
    per_round = s.phase_seconds_per_round.get("round")
    rounds = max(0, len(s.curve) - 1)
    return one_off + (per_round.mean or 0.0) * rounds if per_round is not None else one_off


def _aucs(ctx: Context, bench: BenchSummary, strategy: str, seeds) -> list[float]:
    s = ctx.runs_of(bench, strategy)
    got = s.auc_at(seeds) if seeds else list(s.auc.per_seed)
    if got is None:
        ctx.pending(f"{ctx.placement.label(bench)}: {strategy} lacks one of seeds {', '.join(map(str, seeds))}")
    return got


CHOOSE_PARAMS = {"datasets": p.Param(p.datasets), "candidates": p.Param(_candidates), "seeds": p.Param(p.seeds)}


def choose(ctx: Context, params: dict) -> dict:
    datasets, seeds = params["datasets"], params["seeds"]
    aucs, cost = {}, {}
    for c in params["candidates"]:
        recipe, _, strategy = c.partition("/")
        benches = ctx.benches(recipe, datasets)
        aucs[c] = {d: _aucs(ctx, benches[d], strategy, seeds) for d in datasets}
        cost[c] = sum(run_seconds(benches[d], strategy) for d in datasets)
    score = {c: _mean([_mean(aucs[c][d]) for d in datasets]) for c in aucs}
    leader = max(aucs, key=lambda c: score[c])
    paired = {c: {d: _interval([a - b for a, b in zip(aucs[c][d], aucs[leader][d])]) for d in datasets}
              for c in aucs if c != leader}
    tied = [c for c, per in paired.items() if all(stat["separable"] is False for stat in per.values())]
    winner = min([leader, *tied], key=lambda c: cost[c])
    recipe, _, strategy = winner.partition("/")
    return {"candidates": list(aucs), "seeds": list(seeds),
            "auc": {c: {d: _mean(aucs[c][d]) for d in datasets} for c in aucs}, "score": score,
            "leader": leader, "tied": tied, "seconds_per_run": cost, "winner": winner,
            "winner_recipe": recipe, "winner_strategy": strategy,
            "minus_leader": paired}


COMBINE_PARAMS = {"from": p.Param(p.recipe), "steps": p.Param(_steps), "default": p.Param(p.strategy_name),
                  "datasets": p.Param(p.datasets), "seeds": p.Param(p.seeds),
                  "targets": p.Param(p.targets, None), "also": p.Param(p.strategy_names, [])}


def _recipes_of(step, rule) -> list[str]:
    return list(dict.fromkeys(c.partition("/")[0] for c in step.params["candidates"]))


def _moves_of(rule, recipe: str, base: str, dataset: str) -> dict:
    """The settings `recipe` has that `base` has not (its moves), by dataset where given by dataset."""
    def flat(name):
        r = rule.recipes[name]
        return {k: (v.get(dataset) if isinstance(v, dict) else v) for k, v in r.settings.items()}

    mine, theirs = flat(recipe), flat(base)
    return {k: v for k, v in mine.items() if v is not None and theirs.get(k) != v}


def variants(step, rule) -> list[Variant]:
    """The combination's benches: those moving settings of two or more of the steps' recipes."""
    groups = []
    for sid in step.params["steps"]:
        chooser = next(s for s in rule.steps if s.id == sid)
        for recipe in _recipes_of(chooser, rule):
            keys = set()
            for d in rule.datasets:
                keys |= set(_moves_of(rule, recipe, step.params["from"], d))
            if keys:
                groups.append(tuple(sorted(keys)))
    return [Variant(f"{step.id}: combination", step.params["from"], keys=tuple(sorted({k for g in groups for k in g})),
                    how_many="several", groups=tuple(dict.fromkeys(groups)))]


def combine(ctx: Context, params: dict, step) -> dict:
    rule = ctx.placement.rule
    base, datasets, seeds = params["from"], params["datasets"], params["seeds"]
    winners = [ctx.results.get(sid) for sid in params["steps"]]
    if any(w is None for w in winners):
        ctx.fail("every step it combines needs its result first")
    if any("winner_strategy" not in w for w in winners):
        waiting = [sid for sid, w in zip(params["steps"], winners) if "winner_strategy" not in w]
        ctx.pending(f"steps {', '.join(waiting)} are pending")
    strategies = {w["winner_strategy"] for w in winners if w["winner_strategy"] != params["default"]}
    if len(strategies) > 1:
        ctx.fail(f"its steps chose different strategies ({', '.join(sorted(strategies))}); one may choose a strategy")
    strategy = strategies.pop() if strategies else params["default"]
    out = {"strategy": strategy, "moves": {}, "auc": {}, "default_auc": {}, "minus_default": {}, "labels": {},
           "largest_fall": {}, "also": {}}
    for d in datasets:
        moves = {}
        for w in winners:
            moves.update(_moves_of(rule, w["winner_recipe"], base, d))
        out["moves"][d] = moves
    # What the combination needs before it can be judged: its bench, and every seed of both setups.
    missing = _missing(ctx, base, out["moves"], strategy, params)
    if missing:
        return {**out, "pending": missing, "adopt": None}
    for d in datasets:
        moves = out["moves"][d]
        today = ctx.bench(base, d)
        bench = today if not moves else _find(ctx, today, moves, d, step)
        mine, theirs = _aucs(ctx, bench, strategy, seeds), _aucs(ctx, today, params["default"], seeds)
        out["auc"][d], out["default_auc"][d] = _mean(mine), _mean(theirs)
        out["minus_default"][d] = _interval([a - b for a, b in zip(mine, theirs)])
        out["largest_fall"][d] = {"combination": _falls(bench, strategy, seeds),
                                  "default": _falls(today, params["default"], seeds)}
        for other in params["also"]:  # e.g. snn with the same help: minus the combination, minus itself without
            theirs_too = _aucs(ctx, bench, other, seeds)
            row = {"auc": _mean(theirs_too),
                   "minus_combination": _interval([a - b for a, b in zip(theirs_too, mine)])}
            if other in today.strategies and today.strategies[other].auc_at(seeds) is not None:
                row["minus_itself_without"] = _interval([a - b for a, b in zip(theirs_too,
                                                                              today.strategies[other].auc_at(seeds))])
            out["also"].setdefault(other, {})[d] = row
        for target in (params["targets"] or {}).get(d, ()):
            out["labels"].setdefault(d, {})[target] = {
                "combination": mean_labels(bench.strategies[strategy], target, seeds),
                "default": mean_labels(today.strategies[params["default"]], target, seeds)}
    change = _mean([out["auc"][d] - out["default_auc"][d] for d in datasets])
    lower = [d for d in datasets if out["minus_default"][d]["separable"] and out["minus_default"][d]["high"] < 0]
    out.update(mean_change=change, separably_lower_on=lower, adopt=bool(change > 0 and not lower))
    return out


def _falls(bench: BenchSummary, strategy: str, seeds) -> list[float]:
    """Each of `seeds`' largest fall between two rounds."""
    from alss_tui.bench.figures import largest_drop

    s = bench.strategies[strategy]
    return s.at_seeds([largest_drop(run) for run in s.per_seed_curves()], seeds)


def _missing(ctx: Context, base: str, moves: dict, strategy: str, params: dict) -> list[str]:
    """Lines saying what to run before the combination can be judged (none when it can be)."""
    seeds, out = params["seeds"], []
    for d, m in moves.items():
        today = ctx.bench(base, d)
        wanted = ", ".join(f"{k}={v}" for k, v in sorted(m.items())) or "nothing moved"
        try:
            bench = today if not m else _find(ctx, today, m, d, None)
        except BenchError:
            out.append(f"{d}: a bench moving {wanted} with {strategy} at seeds {', '.join(map(str, seeds))}")
            continue
        for s, bench_ in ((strategy, bench), (params["default"], today), *((a, bench) for a in params["also"])):
            got = bench_.strategies.get(s)
            if got is None or got.auc_at(seeds) is None:
                out.append(f"{d}: {s} at seeds {', '.join(map(str, seeds))} on the bench moving {wanted}"
                           if bench_ is bench and m else f"{d}: {s} at seeds {', '.join(map(str, seeds))} on {base}")
    return list(dict.fromkeys(out))


def _find(ctx: Context, today: BenchSummary, moves: dict, dataset: str, step) -> BenchSummary:
    from alss_tui.bench.verdict.matching import same_value

    pool = [b for b in ctx.placement.order if ctx.placement.parts.get(id(b), (None,))[0] == dataset]
    hits = [b for b in pool if b is not today and _exactly(moved(today, b), moves, same_value)]
    if not hits:
        wanted = ", ".join(f"{k} = {v!r}" for k, v in sorted(moves.items()))
        ctx.fail(f"no bench on {dataset} moves exactly {wanted} from {ctx.placement.label(today)} "
                 f"(run the combination, then give its bench)")
    return hits[0]


def _exactly(change: dict, moves: dict, same) -> bool:
    return set(change) == set(moves) and all(same(change[k], v) for k, v in moves.items())

