"""Labels to a target: a strategy's mean, and the fewest any strategy of a bench needs."""

from __future__ import annotations

from alss_tui.bench.summary import BenchSummary, StrategySummary


def mean_labels(s: StrategySummary | None, target: str, seeds) -> float | None:
    """Mean labels to `target` over `seeds`; None unless every one of them reached it."""
    r = s.labels_to_reach.get(target) if s else None
    per = s.at_seeds(r.per_seed, seeds) if r else None
    if not per or any(x is None for x in per):
        return None
    return sum(per) / len(per)


def fewest(bench: BenchSummary, target: str, seeds=None) -> tuple[float, str] | None:
    """(labels, strategy) needing the fewest labels among those reaching on every seed (`seeds`, or all each has)."""
    reached = {n: v for n, s in bench.strategies.items()
               if (v := mean_labels(s, target, seeds if seeds is not None else s.seeds)) is not None}
    if not reached:
        return None
    best = min(reached, key=reached.get)
    return reached[best], best


def check_rows(benches: dict[str, BenchSummary], targets: dict[str, tuple[str, ...]], strategy: str, name: str,
               within: float, seeds=None, fewest_in: dict[str, BenchSummary] | None = None) -> list[dict]:
    """A strategy's labels to each target against the fewest of any strategy, within `within` x of it.

    Without `seeds`: the strategy's recorded mean over the seeds that reached the target
    (`<name>_reached` says how many) and the fewest among strategies that reached on every seed
    they ran; it is within only if every seed reached. With `seeds`: means at exactly those seeds
    (none unless all reached), the fewest from `fewest_in` (default: the same benches).
    """
    rows = []
    for d, ts in targets.items():
        for t in ts:
            if seeds is None:
                rows.append(_recorded_row(benches[d], d, t, strategy, name, within))
                continue
            mine = mean_labels(benches[d].strategies.get(strategy), t, seeds)
            best = fewest((fewest_in or benches)[d], t, seeds)
            ok = mine is not None and best is not None and mine <= within * best[0]
            rows.append({"dataset": d, "target": t, name: mine, "fewest": best and best[0], "by": best and best[1],
                         "within": ok})
    return rows


def _recorded_row(bench: BenchSummary, dataset: str, target: str, strategy: str, name: str, within: float) -> dict:
    best = fewest(bench, target)
    mine = bench.strategies[strategy].labels_to_reach.get(target)
    if best is None or mine is None:
        return {"dataset": dataset, "target": target, name: None, "fewest": None, "by": None, "within": None}
    ok = mine.reached == mine.of and mine.labels.mean <= within * best[0]
    return {"dataset": dataset, "target": target, name: mine.labels.mean, f"{name}_reached": f"{mine.reached}/{mine.of}",
            "fewest": best[0], "by": best[1], "within": bool(ok)}
