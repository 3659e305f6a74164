"""Checks that decide nothing: labels within x % of the fewest, each run's largest fall, each strategy
minus another, a recorded setting. Reported beside the choices.

A step given `dataset` (one) reports that dataset's figures as they are; given
`datasets`, it keys them by dataset.
"""

from __future__ import annotations

from alss_tui.bench.figures import largest_drop
from alss_tui.bench.paired import paired_against
from alss_tui.bench.summary import BenchSummary
from alss_tui.bench.verdict import params as p
from alss_tui.bench.verdict.context import Context, figure_name
from alss_tui.bench.verdict.labels import check_rows
from alss_tui.bench.verdict.matching import moved


def within(percent: float) -> float:
    """'within 10 %' as the factor a strategy's labels may be of the fewest."""
    return 1 + percent / 100


CHECK_LABELS_PARAMS = {"recipe": p.Param(p.recipe), "strategy": p.Param(p.strategy_or_result),
                       "targets": p.Param(p.targets), "within_percent": p.Param(p.number),
                       "seeds": p.Param(p.seeds, None)}


def check_labels(ctx: Context, params: dict) -> list[dict]:
    benches = ctx.benches(params["recipe"], list(params["targets"]))
    strategy = ctx.strategy(params["strategy"])
    for bench in benches.values():
        ctx.runs_of(bench, strategy)
    return check_rows(benches, params["targets"], strategy, figure_name(params["strategy"]),
                      within(params["within_percent"]), params["seeds"])


def _one_or_many(ctx: Context, params: dict, figures) -> object:
    """`figures(bench)` for the step's one dataset, or {dataset: figures} for its several."""
    if (params["dataset"] is None) == (params["datasets"] is None):
        ctx.fail("give `dataset` (one) or `datasets` (several)")
    if params["dataset"] is not None:
        return figures(ctx.bench(params["recipe"], params["dataset"]))
    return {d: figures(bench) for d, bench in ctx.benches(params["recipe"], params["datasets"]).items()}


ONE_OR_MANY = {"recipe": p.Param(p.recipe), "dataset": p.Param(p.dataset, None), "datasets": p.Param(p.datasets, None)}


def run_falls(bench: BenchSummary, strategies=None) -> dict[str, list[float]]:
    """Each run's largest fall between two rounds, {strategy: [per seed]}."""
    return {name: [largest_drop(run) for run in s.per_seed_curves()] for name, s in bench.strategies.items()
            if strategies is None or name in strategies}


FALLS_PARAMS = dict(ONE_OR_MANY)


def falls(ctx: Context, params: dict) -> object:
    return _one_or_many(ctx, params, run_falls)


COMPARE_PARAMS = {**ONE_OR_MANY, "against": p.Param(p.strategy_or_result), "also": p.Param(p.recipe, None)}


def _joined(ctx: Context, bench: BenchSummary, recipe: str) -> dict:
    """The bench's strategies and those of `recipe`'s bench of the same dataset, which may differ from it
    in the oracle alone (SI runs in its own bench because its labelling function is part of the recipe):
    the same pool, split, VAE and seeds, so seed k of one pairs with seed k of the other."""
    other = ctx.bench(recipe, ctx.placement.parts[id(bench)][0])
    differ = [k for k in moved(bench, other) if not k.startswith("oracle.")]
    if differ:
        ctx.fail(f"{ctx.placement.label(other)} differs from {ctx.placement.label(bench)} in more than the oracle "
                 f"({', '.join(differ)}): cannot pair them")
    both = set(bench.strategies) & set(other.strategies)
    if both:
        ctx.fail(f"{', '.join(sorted(both))} is in both {ctx.placement.label(bench)} and {ctx.placement.label(other)}")
    return {**bench.strategies, **other.strategies}


def compare(ctx: Context, params: dict) -> object:
    """Each strategy's AUC minus `against`'s, paired by seed: {strategy: {"auc": interval}}; with `also`,
    the strategies of that recipe's bench of the same dataset join in."""
    against = ctx.strategy(params["against"])

    def minus(bench: BenchSummary) -> dict:
        ctx.runs_of(bench, against)
        strategies = _joined(ctx, bench, params["also"]) if params["also"] else bench.strategies
        paired = paired_against(strategies, against)
        return {n: {"auc": stat.auc.without_n()} for n, stat in paired.items() if n != against and stat}

    return _one_or_many(ctx, params, minus)


SETTING_PARAMS = {"recipe": p.Param(p.recipe), "dataset": p.Param(p.dataset), "key": p.Param(p.setting)}


def setting(ctx: Context, params: dict) -> object:
    """A setting as the bench recorded it (e.g. sampling.per_round), to read beside the checks."""
    return ctx.bench(params["recipe"], params["dataset"]).settings()[params["key"]]
