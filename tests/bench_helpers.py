"""Hand-made bench summaries for tests: only the figures a test names, the rest made consistent."""

from __future__ import annotations

import json

from alss_tui.bench.figures import largest_drop
from alss_tui.bench.summary import Auc, BenchSummary, CurvePoint, MeanStd, Reach, StrategySummary
from alss_tui.digest import digest


def stat(mean: float | None, std: float | None = 0.0, n: int = 3) -> MeanStd:
    return MeanStd(mean, std if mean is not None else None, n if mean is not None else 0)


def strategy(aucs: list[float], *, seeds: list[int] | None = None, curve: list[tuple[int, list[float]]] | None = None,
             seconds: float = 0.1, reach: dict[str, list[int | None]] | None = None) -> StrategySummary:
    """A strategy with these per-seed AUCs (seeds 0, 1, ... unless given), per-seed curve
    [(labelled, per seed)] (default: one point of the AUCs), selection seconds per round, and
    labels to reach {"0.95": per seed, None = never}."""
    seeds = list(range(len(aucs))) if seeds is None else seeds
    points = curve if curve is not None else [(100, aucs)]
    runs = list(zip(*(per for _, per in points)))
    reach_figures = {}
    for target, per_seed in (reach or {}).items():
        reached = [x for x in per_seed if x is not None]
        reach_figures[target] = Reach(tuple(per_seed), len(reached), len(per_seed), MeanStd.of(reached))
    auc = MeanStd.of(aucs)
    return StrategySummary(
        runs=len(seeds), run_ids=tuple(f"run{s}" for s in seeds), seeds=tuple(seeds),
        curve=tuple(CurvePoint(n, MeanStd.of(per), tuple(per)) for n, per in points),
        labels_to_reach=reach_figures, auc=Auc(auc.mean, auc.std, auc.n, tuple(aucs)),
        largest_drop=MeanStd.of([largest_drop(list(run)) for run in runs]),
        selection_seconds_per_round=stat(seconds, 0.0, len(seeds)), forward_passes_per_round=stat(0.0),
        backward_passes_per_round=stat(0.0), phase_seconds_per_round={"round": stat(1.0)},
        selection_share_of_round=stat(0.1), final_recall=None)


def from_curves(curves: list[list[float]], reach: dict[str, list[int | None]] | None = None,
                seconds: float = 0.1) -> StrategySummary:
    """A strategy from one accuracy curve per seed (100, 200, ... labels); its AUC is each curve's mean."""
    counts = [100 * (i + 1) for i in range(len(curves[0]))]
    return strategy([sum(c) / len(c) for c in curves], curve=[(n, [c[i] for c in curves]) for i, n in enumerate(counts)],
                    seconds=seconds, reach=reach)


def recorded_config(dataset: str = "mnist", imbalance: float = 1.0, split: str = "validation", **settings) -> dict:
    """A recorded config: the pool, the split, and any settings as section__key=value."""
    out = {"name": "bench", "seed": 0, "data": {"dataset": dataset, "imbalance": imbalance},
           "task": {"evaluate_on": split}, "sampling": {"strategy": "random"}}
    for key, value in settings.items():
        section, name = key.split("__")
        out.setdefault(section, {})[name] = value
    return out


def summary(strategies: dict[str, StrategySummary], *, config: dict | None = None, split: str = "validation",
            targets: tuple[float, ...] = (0.9, 0.95)) -> BenchSummary:
    """A bench of these strategies; its id is its recipe's, as a real bench's (the same recipe: the same bench)."""
    seeds = sorted({s for st in strategies.values() for s in st.seeds})
    config = config or recorded_config(split=split)
    bench_id = digest({k: v for k, v in config.items() if k not in ("name", "seed")})
    return BenchSummary(bench_id, json.loads(json.dumps(config)), tuple(seeds), targets,
                        config["task"]["evaluate_on"], None, {}, dict(strategies))
