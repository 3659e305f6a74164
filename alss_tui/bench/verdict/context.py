"""What a step sees while it runs: the benches in their parts, the results of the steps before it."""

from __future__ import annotations

from dataclasses import dataclass

from alss_tui.bench.summary import BenchSummary, StrategySummary
from alss_tui.bench.verdict.matching import Placement
from alss_tui.errors import BenchError, MissingRuns


def figure_name(strategy: str) -> str:
    """How a verdict names a strategy's figure: after the result it came from (`default.winner`:
    "winner"), else after the strategy ("margin-sub": "margin_sub")."""
    return strategy.rsplit(".", 1)[1] if "." in strategy else strategy.replace("-", "_")


@dataclass
class Context:
    placement: Placement
    results: dict[str, object]  # step id -> its result, for the steps run so far
    where: str  # "rule.toml: step 'default'", for errors

    def fail(self, message: str):
        raise BenchError(f"{self.where}: {message}")

    def pending(self, message: str):
        """Runs this step needs have not happened yet (a grid in progress): the step waits, the rest go on."""
        raise MissingRuns(f"{self.where}: {message}")

    def bench(self, recipe: str, dataset: str) -> BenchSummary:
        return self.placement.bench(recipe, dataset, self.where)

    def benches(self, recipe: str, datasets: list[str]) -> dict[str, BenchSummary]:
        return {d: self.bench(recipe, d) for d in datasets}

    def strategy(self, name_or_result: str) -> str:
        """A strategy's name, or the one an earlier step's result names (`STEP.FIELD`)."""
        if "." not in name_or_result:
            return name_or_result
        step, key = name_or_result.rsplit(".", 1)
        result = self.results.get(step)
        if isinstance(result, dict) and "pending" in result and key not in result:
            self.pending(f"{name_or_result}: step {step!r} is pending")
        value = result.get(key) if isinstance(result, dict) else None
        if not isinstance(value, str):
            self.fail(f"{name_or_result}: step {step!r} names no strategy there "
                      f"({'it has no result' if result is None else 'no such field'})")
        return value

    def runs_of(self, bench: BenchSummary, strategy: str) -> StrategySummary:
        s = bench.strategies.get(strategy)
        if s is None:
            self.pending(f"{self.placement.label(bench)} has no finished runs of {strategy} "
                      f"(it has {', '.join(bench.strategies)})")
        return s
