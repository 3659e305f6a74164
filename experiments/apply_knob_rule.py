"""Rule 2 of experiments/default-rule.md (ALSS's knobs), applied to validation benches.

    python experiments/apply_knob_rule.py --today-mnist results/rule1-mnist.json \\
        --today-cifar results/rule1-cifar10.json --strategies snn,snn-steer KNOB_BENCH.json ... \\
        [--combination snn mnist M.json --combination snn longtail L.json --combination snn cifar C.json ... \\
         --default-mnist DM.json --default-longtail DL.json --default-cifar DC.json] [--out verdict.json]

Every file is `alss-tui bench ... --evaluate-on validation --json` output. Each
KNOB_BENCH is one of today's configs with one knob moved (`--set sampling.ascent_steps=3`,
...): the knob and its value are read from the bench's own config, compared with
today's bench of the same dataset, so a file that moves anything else is refused.

The rule, as committed before these runs: per strategy and knob, the value with the
highest validation AUC averaged over MNIST and CIFAR-10 (seeds 0-2); today's value
stays unless another beats it by more than 0.2 point. A knob is decided only once
every value the rule lists has run on both datasets. The chosen combination, at 5
seeds on the three datasets, is then compared with the default (`margin-sub`, Rule
1's benches) by the paired 95 % Student-t interval of the AUC difference; the goal:
an interval above 0 on at least one dataset at no more than 3x the default's
selection seconds per round. The combination and the default's bench must share one
recipe: the combination may move only Rule 2's knobs, and exactly to the values chosen
for its strategy (`--default-<dataset>` names the default's bench when it is not
today's, e.g. the grids rerun with a later recipe).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_doc import at_seeds, flat_config, load, paired_interval  # this folder is on sys.path
from summary_to_markdown import _interval  # the report's own formatter

KNOBS = ("sampling.ascent_steps", "sampling.ascent_step_size", "sampling.ascent_normalize",
         "sampling.seed_choice", "vae.epochs", "vae.latent_dim")
# The values the rule tries, as value_label names them: a knob is decided once all have run.
RULE_VALUES = {"sampling.ascent_steps": {"3", "10", "30"}, "sampling.ascent_step_size": {"0.05", "0.2", "0.5"},
               "sampling.ascent_normalize": {"true", "false"},
               "sampling.seed_choice": {'"random"', '"hardest"', '"uncertain"'},
               "vae.epochs": {"x0.5", "x1", "x2"}, "vae.latent_dim": {"x0.5", "x1", "x2"}}
TUNED_ON = ("mnist", "cifar")
DATASETS = ("mnist", "longtail", "cifar")  # the combination runs on all three
SEEDS = (0, 1, 2)
MARGIN = 0.002  # another value must beat today's by more than 0.2 point
DEFAULT = "margin-sub"
COST_LIMIT = 3.0
# What may differ between two benches of one recipe (per run, not per recipe).
_PER_RUN = {"name", "seed", "sampling.strategy"}


def moved_knobs(today: dict, doc: dict) -> dict[str, object]:
    """{knob: value} where `doc`'s config differs from today's; SystemExit when anything else differs."""
    a, b = flat_config(today), flat_config(doc)
    moved = {k: b.get(k) for k in sorted(set(a) | set(b)) if k not in _PER_RUN and a.get(k) != b.get(k)}
    others = [k for k in moved if k not in KNOBS]
    if others:
        raise SystemExit(f"bench {doc.get('bench_id')}: moves {', '.join(others)}, which Rule 2 does not tune")
    return moved


def dataset_of(doc: dict) -> str:
    data = doc["config"]["data"]
    if data["dataset"] == "cifar10":
        return "cifar"
    return "longtail" if data["imbalance"] > 1 else data["dataset"]


def auc_at(doc: dict, strategy: str, seeds: tuple[int, ...] = SEEDS) -> list[float] | None:
    s = doc["strategies"].get(strategy)
    return at_seeds(s, s["auc"]["per_seed"], seeds) if s else None


def _need_validation(doc: dict) -> None:
    if doc.get("split") != "validation":
        raise SystemExit(f"bench {doc.get('bench_id')}: scored on {doc.get('split')!r}; Rule 2 reads validation only")


def value_label(knob: str, value: object, today_value: object) -> str:
    """A value as the rule names it: VAE knobs relative to today's ("x0.5", "x1", "x2"), sampling knobs as set."""
    if knob.startswith("vae."):
        return f"x{value / today_value:g}"
    return json.dumps(value)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _seconds(doc: dict, strategy: str) -> float:
    return doc["strategies"][strategy]["selection_seconds_per_round"]["mean"]


def choose_knobs(today: dict[str, dict], benches: list[dict], strategy: str) -> dict:
    """Per knob: each value's mean AUC over MNIST and CIFAR-10 (seeds 0-2), and the value chosen.

    Beside the rule's score ("scores"), each value keeps what the report prints: its mean
    AUC per dataset, its paired difference from today's value per dataset (same seeds)
    and its selection seconds per round per dataset.
    """
    for doc in [*(today[d] for d in TUNED_ON), *benches]:
        _need_validation(doc)
    runs: dict[str, dict[str, dict[str, dict]]] = {k: {} for k in KNOBS}  # knob -> value -> dataset -> bench
    today_label, today_flat = {}, {d: flat_config(today[d]) for d in TUNED_ON}
    for knob in KNOBS:
        labels = {value_label(knob, today_flat[d][knob], today_flat[d][knob]) for d in TUNED_ON}
        if len(labels) != 1:
            raise SystemExit(f"{knob}: today's benches disagree ({', '.join(sorted(labels))})")
        today_label[knob] = labels.pop()
        for d in TUNED_ON:
            if auc_at(today[d], strategy) is not None:
                runs[knob].setdefault(today_label[knob], {})[d] = today[d]
    for doc in benches:
        d = dataset_of(doc)
        if d not in TUNED_ON:
            continue
        moved = moved_knobs(today[d], doc)
        if len(moved) != 1:
            continue  # today's recipe itself, or a combination: not a one-knob bench
        (knob, value), = moved.items()
        if auc_at(doc, strategy) is not None:
            runs[knob].setdefault(value_label(knob, value, today_flat[d][knob]), {})[d] = doc
    out = {}
    for knob, by_value in runs.items():
        today_value = today_label[knob]
        per_dataset = {v: {d: _mean(auc_at(doc, strategy)) for d, doc in per.items()} for v, per in by_value.items()}
        complete = {v: _mean(list(per.values())) for v, per in per_dataset.items() if set(per) == set(TUNED_ON)}
        paired = {v: {d: paired_interval([a - b for a, b in zip(auc_at(doc, strategy), auc_at(today[d], strategy))])
                      for d, doc in per.items()}
                  for v, per in by_value.items() if v != today_value and today_value in by_value}
        seconds = {v: {d: _seconds(doc, strategy) for d, doc in per.items()} for v, per in by_value.items()}
        entry = {"today": today_value, "scores": complete, "per_dataset": per_dataset, "minus_today": paired,
                 "selection_seconds": seconds, "chosen": None}  # None: not every value has run on both
        if RULE_VALUES[knob] <= set(complete):
            best = max(complete, key=complete.get)
            entry["chosen"] = best if complete[best] - complete[today_value] > MARGIN else today_value
        out[knob] = entry
    return out


def judge_combination(default: dict[str, dict], combination: dict[str, dict], strategy: str,
                      chosen: dict[str, dict] | None = None, seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> dict:
    """The chosen combination against the default: paired AUC difference per dataset and the cost ratio.

    `chosen` is choose_knobs' result for `strategy`: when given, each combination bench
    must move exactly the knobs chosen away from the default bench's values, so the
    pairing compares the tuned ALSS with the default under one recipe.
    """
    paired, untuned, auc, cost = {}, {}, {}, {}
    for d, doc in combination.items():
        _need_validation(doc)
        _need_validation(default[d])
        if chosen is not None:
            _need_chosen_knobs(default[d], doc, chosen)
        mine, theirs = auc_at(doc, strategy, seeds), auc_at(default[d], DEFAULT, seeds)
        if mine is None or theirs is None:
            raise SystemExit(f"{d}: {strategy} and {DEFAULT} need seeds {', '.join(map(str, seeds))}")
        paired[d] = paired_interval([a - b for a, b in zip(mine, theirs)])
        auc[d] = _mean(mine)
        # Not part of the rule: whether the tuned knobs beat the same strategy untuned, same recipe and seeds.
        before = auc_at(default[d], strategy, seeds)
        untuned[d] = paired_interval([a - b for a, b in zip(mine, before)]) if before else None
        cost[d] = (doc["strategies"][strategy]["selection_seconds_per_round"]["mean"],
                   default[d]["strategies"][DEFAULT]["selection_seconds_per_round"]["mean"])
    ratio = sum(c[0] for c in cost.values()) / sum(c[1] for c in cost.values())
    ahead = [d for d, p in paired.items() if p["low"] is not None and p["low"] > 0]
    return {"strategy": strategy, "auc": auc, "minus_default": paired, "minus_untuned": untuned,
            "selection_seconds": cost, "cost_ratio": ratio, "ahead_on": ahead,
            "goal_met": bool(ahead) and ratio <= COST_LIMIT}


def _need_chosen_knobs(default: dict, combination: dict, chosen: dict[str, dict]) -> None:
    """SystemExit unless `combination` differs from `default` in exactly the chosen knob values."""
    undecided = [k for k, entry in chosen.items() if entry["chosen"] is None]
    if undecided:
        raise SystemExit(f"{', '.join(undecided)}: not decided yet (a value of the rule has not run)")
    base, moved = flat_config(default), moved_knobs(default, combination)
    want = {k: entry["chosen"] for k, entry in chosen.items() if entry["chosen"] != entry["today"]}
    got = {k: value_label(k, v, base[k]) for k, v in moved.items()}
    if got != want:
        raise SystemExit(f"bench {combination.get('bench_id')}: moves {_show(got)}; the chosen knobs move {_show(want)}")


def _show(knobs: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(knobs.items())) or "nothing"


def markdown(choices: dict[str, dict], judged: list[dict]) -> str:
    lines = []
    for strategy, knobs in choices.items():
        lines += [f"{strategy}: validation AUC, seeds 0-2; the rule's score is the mean over MNIST and CIFAR-10; "
                  "minus today's value paired by seed (95 % t interval, bold: excludes 0)", "",
                  "| knob | value | MNIST | CIFAR-10 | mean (score) | MNIST minus today | CIFAR-10 minus today "
                  "| selection s / round (MNIST, CIFAR-10) | chosen |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---|"]
        for knob, k in knobs.items():
            for v, per in k["per_dataset"].items():
                auc = [f"{per[d] * 100:.2f}" if d in per else "not run" for d in TUNED_ON]
                score = f"{k['scores'][v] * 100:.2f}" if v in k["scores"] else "-"
                diffs = [_interval(p) if (p := k["minus_today"].get(v, {}).get(d)) else "-" for d in TUNED_ON]
                secs = ", ".join(f"{k['selection_seconds'][v][d]:.2f}" if d in k["selection_seconds"][v] else "-"
                                 for d in TUNED_ON)
                mark = "incomplete" if k["chosen"] is None else ("**yes**" if v == k["chosen"] else "")
                name = f"{v} (today)" if v == k["today"] else v
                lines.append(f"| {knob} | {name} | {' | '.join(auc)} | {score} | {' | '.join(diffs)} | {secs} | {mark} |")
        lines.append("")
    if judged:
        lines += [f"The combinations (chosen knobs, 5 seeds) minus {DEFAULT} and minus the same strategy untuned, "
                  "paired by seed (95 % t interval, bold: excludes 0)", "",
                  f"| strategy | dataset | AUC | minus {DEFAULT} | minus untuned | selection s / round (it, {DEFAULT}) |",
                  "|---|---|---:|---:|---:|---:|"]
        for j in judged:
            for d, p in j["minus_default"].items():
                before = j["minus_untuned"][d]
                secs = ", ".join(f"{x:.2f}" for x in j["selection_seconds"][d])
                lines.append(f"| {j['strategy']} | {d} | {j['auc'][d] * 100:.2f} | {_interval(p)} | "
                             f"{_interval(before) if before else '-'} | {secs} |")
        lines.append("")
    for j in judged:
        lines.append(f"{j['strategy']} (chosen knobs): ahead of {DEFAULT} on {', '.join(j['ahead_on']) or 'no dataset'}; "
                     f"selection {j['cost_ratio']:.2f}x; goal met: **{'yes' if j['goal_met'] else 'no'}**")
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("benches", nargs="*", type=Path, help="one-knob validation benches (MNIST or CIFAR-10)")
    ap.add_argument("--strategies", default="snn", help="the ALSS strategies tuned, comma-separated")
    for d in DATASETS:
        ap.add_argument(f"--today-{d}", type=Path, required=d in TUNED_ON,
                        help=f"today's validation bench of {d} (Rule 1's), the one each knob moves from")
        ap.add_argument(f"--default-{d}", type=Path,
                        help=f"the bench holding {DEFAULT} of {d} for the combination (default: --today-{d})")
    ap.add_argument("--combination", nargs=3, action="append", default=[], metavar=("STRATEGY", "DATASET", "FILE"),
                    help="the chosen knobs' bench of one strategy on one dataset (mnist, longtail, cifar), 5 seeds")
    ap.add_argument("--out", type=Path, help="write the verdict here (JSON)")
    args = ap.parse_args()
    today = {d: load(getattr(args, f"today_{d}")) for d in DATASETS if getattr(args, f"today_{d}")}
    default = dict(today)  # margin-sub's bench: today's unless --default-<dataset> names another
    default.update({d: load(getattr(args, f"default_{d}")) for d in DATASETS if getattr(args, f"default_{d}")})
    benches = [load(p) for p in args.benches]
    strategies = [s for s in args.strategies.split(",") if s]
    choices = {s: choose_knobs(today, benches, s) for s in strategies}
    combination: dict[str, dict[str, dict]] = {}
    for strategy, d, path in args.combination:
        if strategy not in choices:
            raise SystemExit(f"--combination {strategy}: not among --strategies ({args.strategies})")
        if d not in default:
            raise SystemExit(f"--combination {strategy} {d}: the dataset is one of mnist, longtail, cifar, "
                             f"with {DEFAULT}'s bench given by --default-{d} or --today-{d}")
        combination.setdefault(strategy, {})[d] = load(Path(path))
    judged = [judge_combination(default, combination[s], s, choices[s]) for s in strategies if s in combination]
    print(markdown(choices, judged))
    if args.out:
        args.out.write_text(json.dumps({"knobs": choices, "combination": judged}, indent=1) + "\n", encoding="utf-8")
