"""Each step's result as rich tables: AUC and accuracy in percent, differences in points (bold: separable)."""

from __future__ import annotations



def table(title: str, columns: list[str], left: int = 1):
    """A table whose first `left` columns (names) read left-aligned and the rest (figures) right-aligned."""
    from rich.table import Table

    out = Table(title=title, title_justify="left")
    for k, col in enumerate(columns):
        # A long name folds onto the next line rather than being cut to "samplin…".
        out.add_column(col, justify="left" if k < left else "right", overflow="fold")
    return out


def pct(x: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if x is None else fmt.format(x * 100)


def interval(stat: dict | None) -> str:
    """A paired difference, "+0.12 [-0.30, +0.54]"; bold when the interval excludes 0."""
    if not stat or stat.get("mean") is None:
        return "-"
    if stat["low"] is None:
        return f"{stat['mean'] * 100:+.2f} (no interval)"
    text = f"{stat['mean'] * 100:+.2f} [{stat['low'] * 100:+.2f}, {stat['high'] * 100:+.2f}]"
    return f"[bold]{text}[/]" if stat["separable"] else text


def yes(flag) -> str:
    return "-" if flag is None else ("[bold]yes[/]" if flag else "no")


def labels(value: float | None) -> str:
    return "never" if value is None else f"{value:.0f}"


def choose_strategy(result: dict, params: dict) -> list:
    datasets, leader = list(params["datasets"]), result["leader"]
    scores = table("AUC % by dataset and its mean (the score); selection seconds per round, summed",
                   ["strategy", *datasets, "score", "select s"])
    for c in result["candidates"]:
        scores.add_row(c, *[pct(result["auc"][c][d]) for d in datasets], pct(result["score"][c]),
                       f"{result['selection_seconds_per_round'][c]:.3f}")
    minus = table(f"AUC minus {leader}'s, paired by seed (points, 95 % t interval)",
                  ["strategy", *datasets])
    for c in result["candidates"]:
        if c != leader:
            minus.add_row(c, *[interval(result["paired_against_leader"][d][c]) for d in datasets])
    return [scores, minus, f"leader [bold]{leader}[/]; tied with it on every dataset: {', '.join(result['tied']) or 'none'}; "
                 f"winner (fewest selection seconds among them): [bold]{result['winner']}[/]"]


def best_strategy(result: dict | None, params: dict) -> list:
    if result is None:
        return [f"not every one of {', '.join(params['among'])} has seeds "
                f"{', '.join(map(str, params['seeds']))} on every dataset yet"]
    out = table(f"mean AUC % over the datasets at seeds {', '.join(map(str, result['seeds']))}", ["strategy", "AUC %"])
    for name, score in result["score"].items():
        out.add_row(name, pct(score))
    return [out, f"best: [bold]{result['best']}[/]"]


def _check_table(rows: list[dict], title: str) -> object:
    name = next(k for k in rows[0] if k not in ("dataset", "target"))
    out = table(title, ["dataset", "target", name, "fewest (strategy)", "within"])
    for r in rows:
        reached = f" ({r[name + '_reached']})" if r.get(name + "_reached") else ""
        fewest = "-" if r["fewest"] is None else f"{r['fewest']:.0f} ({r['by']})"
        out.add_row(r["dataset"], pct(float(r["target"]), "{:g}%"), labels(r[name]) + reached, fewest,
                    yes(r["within"]))
    return out


def check_labels(result: list[dict], params: dict) -> list:
    return [_check_table(result, f"labels to each target against the fewest of any strategy "
                                 f"(within {params['within_percent']:g} %)")]


def _falls_rows(out, drops: dict[str, list[float]], prefix: list[str] = ()) -> None:
    for name, runs in drops.items():
        out.add_row(*prefix, name, f"{max(runs) * 100:.2f}", f"{sum(x > 0.01 for x in runs)}/{len(runs)}")


def falls(result: dict, params: dict) -> list:
    if params["dataset"] is not None:
        out = table(f"largest fall between rounds, {params['dataset']} (points)", ["strategy", "largest", "runs > 1 pt"])
        _falls_rows(out, result)
        return [out]
    out = table("largest fall between rounds (points)", ["dataset", "strategy", "largest", "runs > 1 pt"], left=2)
    for d, drops in result.items():
        _falls_rows(out, drops, [d])
    return [out]


def compare(result: dict, params: dict) -> list:
    against = params["against"].rsplit(".", 1)[-1]
    per = {params["dataset"]: result} if params["dataset"] is not None else result
    out = table(f"AUC minus {against}'s, paired by seed (points)", ["dataset", "strategy", "minus"], left=2)
    for d, rows in per.items():
        for name, stat in rows.items():
            out.add_row(d, name, interval(stat["auc"]))
    return [out]


def setting(result, params: dict) -> list:
    return [f"{params['key']} = {result!r} ({params['dataset']})"]


def choose_value(result: dict, params: dict) -> list:
    if params["pick"] == "smallest":
        return _smallest(result, params)
    out = []
    datasets = params["datasets"]
    for strategy, knobs in result.items():
        t = table(f"{strategy}: AUC % per value, the score (mean), minus today's (points)",
                  ["knob", "value", *datasets, "score", *[f"{d} - today" for d in datasets], "chosen"], left=2)
        for knob, k in knobs.items():
            for n, (v, per) in enumerate(k["per_dataset"].items()):
                mark = "incomplete" if k["chosen"] is None else ("[bold]yes[/]" if v == k["chosen"] else "")
                t.add_row(knob if n == 0 else "", f"{v} (today)" if v == k["today"] else v,
                          *[pct(per.get(d)) if d in per else "not run" for d in datasets],
                          pct(k["scores"].get(v)), *[interval(k["minus_today"].get(v, {}).get(d)) for d in datasets],
                          mark, end_section=n == len(k["per_dataset"]) - 1)
        out.append(t)
    return out


def _smallest(result: dict, params: dict) -> list:
    key = params["check"]["key"]
    t = table(f"{params['knob']}: {params['strategy']}'s labels (fewest of the base)",
              ["value", *[f"{d} {pct(float(tg), '{:g}')}%" for d, ts in params["check"]["targets"].items() for tg in ts],
               "cost x base", key])
    for value, v in result["values"].items():
        cells = [labels(r[next(k for k in r if k not in ('dataset', 'target'))]) for r in v["rows"]]
        t.add_row(str(value), *cells, f"{v.get('cost_ratio', 1.0):.2f}", yes(v[key]))
    smallest = result["smallest_meeting"]
    lines = [t, f"smallest value meeting the check: [bold]{'none' if smallest is None else smallest}[/]"]
    if params["confirm"] is not None:
        c = result[params["confirm"]["key"]]
        lines.append(f"confirmation at seeds {', '.join(map(str, params['confirm']['seeds']))}: "
                     + ("not run" if c is None else ("holds" if c["holds"] else "fails")))
    return lines


def _recipe_table(title: str, entries: dict[str, dict], difference_key: str, verdict_key: str, datasets: list[str]):
    t = table(title, ["candidate", "runs over 1 pt", *datasets, "mean change", "qualifies"])
    for name, c in entries.items():
        counts = " / ".join(str(n) for n in c["runs_over_a_point"].values())
        t.add_row(name, f"{counts} of {c['runs']}", *[interval(c[difference_key][d]) for d in datasets],
                  f"{c['mean_change'] * 100:+.2f}", yes(c[verdict_key]))
    return t


def choose_recipe(result: dict, params: dict) -> list:
    datasets, judged = params["datasets"], params["judged"].replace("-", "_")
    base = params["base_label"] or params["from"]
    if params["candidate"] is not None:
        label = params["candidate_label"] or params["candidate"]
        key = f"{judged}_{label}_minus_{base}"
        return [_recipe_table(f"{label} against {base}: runs falling (base / candidate), {params['judged']} "
                              f"minus {base} (AUC points)", {label: result}, key, params["answer"], datasets),
                f"{params['answer']}: {yes(result[params['answer']])}"]
    t = _recipe_table(f"{params['knob']} against {base}: runs falling (base / candidate), {params['judged']} "
                      f"minus {base} (AUC points)", {f"{v:g}": c for v, c in result["values"].items()},
                      f"{judged}_minus", "qualifies", datasets)
    return [t, f"chosen {params['knob']}: [bold]{result['chosen']:g}[/]"]


def judge_combination(result: list[dict], params: dict) -> list:
    if not result:
        return ["no combination to judge yet (a knob undecided, or its benches not given)"]
    t = table(f"the chosen knobs minus {params['default']} and minus the strategy untuned (AUC points)",
              ["strategy", "dataset", "AUC %", f"- {params['default']}", "- untuned", "select s (it, default)"], left=2)
    lines = [t]
    for j in result:
        for d, stat in j["minus_default"].items():
            secs = ", ".join(f"{x:.2f}" for x in j["selection_seconds"][d])
            t.add_row(j["strategy"], d, pct(j["auc"][d]), interval(stat), interval(j["minus_untuned"][d]), secs)
        lines.append(f"{j['strategy']}: ahead on {', '.join(j['ahead_on']) or 'no dataset'}; selection "
                     f"{j['cost_ratio']:.2f}x; goal met: {yes(j['goal_met'])}")
    return lines


def choose_setup(result: dict, params: dict) -> list:
    datasets, leader = list(params["datasets"]), result["leader"]
    scores = table(f"AUC % at seeds {', '.join(map(str, result['seeds']))} by dataset and its mean (the score); "
                   "seconds a run, summed", ["setup", *datasets, "score", "s / run"])
    for c in result["candidates"]:
        scores.add_row(c, *[pct(result["auc"][c][d]) for d in datasets], pct(result["score"][c]),
                       f"{result['seconds_per_run'][c]:.0f}")
    minus = table(f"AUC minus {leader}'s, paired by seed (points, 95 % t interval)", ["setup", *datasets])
    for c, per in result["minus_leader"].items():
        minus.add_row(c, *[interval(per[d]) for d in datasets])
    return [scores, minus, f"leader [bold]{leader}[/]; tied with it on every dataset: {', '.join(result['tied']) or 'none'}; "
                 f"winner (fewest seconds a run among them): [bold]{result['winner']}[/]"]


def combine(result: dict, params: dict) -> list:
    datasets = list(params["datasets"])
    if result.get("pending"):
        moves = "; ".join(f"{d}: " + (", ".join(f"{k} = {v}" for k, v in m.items()) or "none")
                          for d, m in result["moves"].items())
        return [f"the combination: {result['strategy']} with {moves}; to judge it, run:", *result["pending"]]
    out = table(f"the combination ({result['strategy']}) minus {params['default']} of {params['from']}, "
                "paired by seed", ["dataset", "moves", "AUC %", "default AUC %", "minus default"])
    for d in datasets:
        moves = ", ".join(f"{k} = {v}" for k, v in result["moves"][d].items()) or "none"
        out.add_row(d, moves, pct(result["auc"][d]), pct(result["default_auc"][d]), interval(result["minus_default"][d]))
    lines = [out]
    if result["labels"]:
        labels = table("labels to each target at these seeds (mean; - where a seed never reached it)",
                       ["dataset", "target", "combination", "default"])
        for d, per in result["labels"].items():
            for t, row in per.items():
                labels.add_row(d, f"{float(t) * 100:g}%", *("-" if v is None else f"{v:.0f}"
                                                            for v in (row["combination"], row["default"])))
        lines.append(labels)
    lines.append(f"mean change {result['mean_change'] * 100:+.2f} points; separably lower on "
                 f"{', '.join(result['separably_lower_on']) or 'no dataset'}; adopt: [bold]{'yes' if result['adopt'] else 'no'}[/]")
    return lines
