"""Choosing a value of a setting (Rules 2 and 3b).

pick = "margin" (Rule 2): per strategy and knob, the benches that move that one
knob from the `from` recipe's bench of their dataset; each value's score is its
AUC at `seeds` averaged over `datasets`. Once every value the rule lists has run
on every dataset, the best value is chosen if it beats today's (the `from`
bench's) by more than `margin_points`, else today's stays. Values are named as
the rule lists them: relative knobs as "x0.5" of today's, others as JSON.

pick = "smallest" (Rule 3b): each value of `knob` (a bench moving just that from
the `from` recipe's bench), and the base's own, is checked as `check` says (a
strategy's labels at `check.seeds` within x % of the fewest of the base benches);
the smallest value that meets it on every target is chosen, and `confirm`ed at
more seeds with the selection seconds at most `confirm.cost_limit` x the base's.
"""

from __future__ import annotations

import json

from alss_tui.bench.paired import paired_interval
from alss_tui.bench.summary import BenchSummary
from alss_tui.bench.verdict import params as p
from alss_tui.bench.verdict.checks import within
from alss_tui.bench.verdict.context import Context, figure_name
from alss_tui.bench.verdict.labels import check_rows
from alss_tui.bench.verdict.matching import Variant, exact_variant, moved


def _pick(value, scope, name):
    if value not in ("margin", "smallest"):
        scope.fail(f"pick must be \"margin\" or \"smallest\", not {value!r}")
    return value


MARGIN_PARAMS = {"pick": p.Param(_pick), "from": p.Param(p.recipe), "datasets": p.Param(p.datasets),
                 "strategies": p.Param(p.strategy_names), "seeds": p.Param(p.seeds),
                 "margin_points": p.Param(p.number), "knobs": p.Param(p.knob_values),
                 "relative": p.Param(p.settings, [])}
SMALLEST_PARAMS = {
    "pick": p.Param(_pick), "from": p.Param(p.recipe), "base_label": p.Param(p.text, None),
    "strategy": p.Param(p.strategy_name), "knob": p.Param(p.setting), "values": p.Param(p.values),
    "check": p.Param(p.table({"targets": p.Param(p.targets), "within_percent": p.Param(p.number),
                              "seeds": p.Param(p.seeds), "key": p.Param(p.text, "meets_check")})),
    "confirm": p.Param(p.table({"seeds": p.Param(p.seeds), "cost_limit": p.Param(p.number),
                                "key": p.Param(p.text, "confirmation")}), None)}


def params_for(raw: dict) -> dict:
    return SMALLEST_PARAMS if raw.get("pick") == "smallest" else MARGIN_PARAMS


def variants(step, rule) -> list[Variant]:
    params = step.params
    if params["pick"] == "smallest":
        return [exact_variant(params["from"], {params["knob"]: v}) for v in params["values"]]
    return [one_knob(step)]


def one_knob(step) -> Variant:
    return Variant(f"{step.id}: one knob", step.params["from"], keys=tuple(step.params["knobs"]), how_many="one")


def value_label(knob: str, value: object, today: object, relative) -> str:
    """A value as the rule names it: a relative knob as a multiple of today's ("x0.5"), others as set."""
    if knob in relative:
        return f"x{value / today:g}"
    return json.dumps(value)


def rule_labels(knob: str, values: list, relative) -> set[str]:
    return {f"x{v:g}" if knob in relative else json.dumps(v) for v in values}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _auc_at(bench: BenchSummary, strategy: str, seeds) -> list[float] | None:
    s = bench.strategies.get(strategy)
    return s.auc_at(seeds) if s else None


def choose(ctx: Context, params: dict, step) -> dict:
    return _smallest(ctx, params) if params["pick"] == "smallest" else _by_margin(ctx, params, step)


def _by_margin(ctx: Context, params: dict, step) -> dict:
    today = ctx.benches(params["from"], params["datasets"])
    family = one_knob(step).name
    members = {id(b) for d in params["datasets"] for b in ctx.placement.family(family, d)}
    moved_one = [b for b in ctx.placement.order if id(b) in members]  # in the order they were given
    return {s: _knobs_of(ctx, params, today, moved_one, s) for s in params["strategies"]}


def _knobs_of(ctx: Context, params: dict, today: dict[str, BenchSummary], moved_one: list[BenchSummary],
              strategy: str) -> dict:
    seeds, relative, datasets = params["seeds"], params["relative"], params["datasets"]
    flat = {d: bench.settings() for d, bench in today.items()}
    runs: dict[str, dict[str, dict[str, BenchSummary]]] = {k: {} for k in params["knobs"]}
    today_label = {}
    for knob in params["knobs"]:
        labels = {value_label(knob, flat[d][knob], flat[d][knob], relative) for d in datasets}
        if len(labels) != 1:
            ctx.fail(f"{knob}: the {params['from']} benches disagree ({', '.join(sorted(labels))})")
        today_label[knob] = labels.pop()
        for d in datasets:
            if _auc_at(today[d], strategy, seeds) is not None:
                runs[knob].setdefault(today_label[knob], {})[d] = today[d]
    for bench in moved_one:
        d = ctx.placement.parts[id(bench)][0]
        (knob, value), = moved(today[d], bench).items()
        if _auc_at(bench, strategy, seeds) is not None:
            runs[knob].setdefault(value_label(knob, value, flat[d][knob], relative), {})[d] = bench
    out = {}
    for knob, by_value in runs.items():
        today_value = today_label[knob]
        per_dataset = {v: {d: _mean(_auc_at(b, strategy, seeds)) for d, b in per.items()} for v, per in by_value.items()}
        complete = {v: _mean(list(per.values())) for v, per in per_dataset.items() if set(per) == set(datasets)}
        paired = {v: {d: paired_interval([a - b for a, b in zip(_auc_at(bench, strategy, seeds),
                                                                 _auc_at(today[d], strategy, seeds))]).to_json()
                      for d, bench in per.items()}
                  for v, per in by_value.items() if v != today_value and today_value in by_value}
        seconds = {v: {d: b.strategies[strategy].selection_seconds_per_round.mean for d, b in per.items()}
                   for v, per in by_value.items()}
        entry = {"today": today_value, "scores": complete, "per_dataset": per_dataset, "minus_today": paired,
                 "selection_seconds": seconds, "chosen": None}  # None: not every value has run everywhere
        if rule_labels(knob, params["knobs"][knob], relative) <= set(complete):
            best = max(complete, key=complete.get)
            entry["chosen"] = best if complete[best] - complete[today_value] > params["margin_points"] / 100 \
                else today_value
        out[knob] = entry
    return out


def _value_of(ctx: Context, benches: dict[str, BenchSummary], knob: str):
    """The knob's value as the benches recorded it, the same on every dataset."""
    found = {json.dumps(b.settings()[knob]): b.settings()[knob] for b in benches.values()}
    if len(found) != 1:
        ctx.fail(f"{knob}: the benches of one value disagree ({', '.join(found)})")
    return next(iter(found.values()))


def _smallest(ctx: Context, params: dict) -> dict:
    check, strategy, knob = params["check"], params["strategy"], params["knob"]
    datasets = list(check["targets"])
    base = ctx.benches(params["from"], datasets)
    for bench in base.values():
        ctx.runs_of(bench, strategy)
    factor = within(check["within_percent"])

    def rows(benches: dict[str, BenchSummary], seeds) -> list[dict]:
        return check_rows(benches, check["targets"], strategy, figure_name(strategy), factor, seeds, fewest_in=base)

    today = {d: base[d].strategies[strategy].selection_seconds_per_round.mean for d in datasets}
    base_value = _value_of(ctx, base, knob)
    values = {base_value: {"rows": rows(base, check["seeds"])}}
    candidates = {}
    for v in params["values"]:
        benches = ctx.benches(exact_variant(params["from"], {knob: v}).name, datasets)
        candidates[_value_of(ctx, benches, knob)] = benches
    for value, benches in sorted(candidates.items()):
        sel = {d: ctx.runs_of(benches[d], strategy).selection_seconds_per_round.mean for d in datasets}
        values[value] = {"rows": rows(benches, check["seeds"]), "selection_seconds_per_round": sel,
                         "cost_ratio": max(sel[d] / today[d] for d in datasets)}
    for v in values.values():
        v[check["key"]] = all(r["within"] for r in v["rows"])
    meeting = [value for value in sorted(values) if values[value][check["key"]]]
    chosen = meeting[0] if meeting else None
    out = {f"selection_seconds_per_round_{params['base_label'] or params['from']}": today, "values": values,
           "smallest_meeting": chosen}
    confirm = params["confirm"]
    if confirm is not None:
        confirmed = None
        if chosen is not None and chosen != base_value:
            benches = candidates[chosen]
            if all(benches[d].strategies[strategy].at_seeds(benches[d].strategies[strategy].seeds, confirm["seeds"])
                   is not None for d in datasets):
                final = rows(benches, confirm["seeds"])
                confirmed = {"rows": final, "holds": all(r["within"] for r in final)
                             and values[chosen]["cost_ratio"] <= confirm["cost_limit"]}
        out[confirm["key"]] = confirmed
    return out
