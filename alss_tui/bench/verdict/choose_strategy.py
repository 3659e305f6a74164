"""Choosing a strategy (Rule 1): the highest mean AUC over datasets, ties by paired interval, broken by cost.

choose-strategy: among `candidates`, the score is the AUC averaged over `datasets`
(equal weight); the highest leads. A candidate ties with the leader when, on every
dataset, the paired 95 % Student-t interval of its AUC difference with the leader
contains 0 (no interval, fewer than two paired seeds, is no tie). Among the leader
and its ties, the lowest selection seconds per round summed over the datasets wins.

best-strategy: among `among`, the highest AUC averaged over `datasets` of each
dataset's mean at exactly `seeds`; no result until every one has those seeds everywhere.
"""

from __future__ import annotations

from alss_tui.bench.paired import paired_against
from alss_tui.bench.verdict import params as p
from alss_tui.bench.verdict.context import Context


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


CHOOSE_PARAMS = {"recipe": p.Param(p.recipe), "datasets": p.Param(p.datasets),
                 "candidates": p.Param(p.strategy_names)}


def choose(ctx: Context, params: dict) -> dict:
    benches = ctx.benches(params["recipe"], params["datasets"])
    candidates = params["candidates"]
    for bench in benches.values():
        for c in candidates:
            ctx.runs_of(bench, c)
    auc = {c: {d: benches[d].strategies[c].auc.mean for d in benches} for c in candidates}
    score = {c: _mean(list(auc[c].values())) for c in candidates}
    leader = max(candidates, key=lambda c: score[c])
    against_leader = {d: paired_against(bench.strategies, leader) for d, bench in benches.items()}
    tied = [c for c in candidates if c != leader
            and all(against_leader[d][c].auc.separable is False for d in benches)]
    selection = {c: sum(benches[d].strategies[c].selection_seconds_per_round.mean or 0.0 for d in benches)
                 for c in candidates}
    winner = min([leader, *tied], key=lambda c: selection[c])
    return {"candidates": list(candidates), "auc": auc, "score": score, "leader": leader, "tied": tied,
            "selection_seconds_per_round": selection, "winner": winner,
            "paired_against_leader": {d: {c: against_leader[d][c].auc.without_n() for c in candidates if c != leader}
                                      for d in benches}}


BEST_PARAMS = {"recipe": p.Param(p.recipe), "datasets": p.Param(p.datasets), "among": p.Param(p.strategy_names),
               "seeds": p.Param(p.seeds)}


def best(ctx: Context, params: dict) -> dict | None:
    benches = ctx.benches(params["recipe"], params["datasets"])
    seeds = params["seeds"]
    score = {}
    for v in params["among"]:
        per_dataset = []
        for bench in benches.values():
            s = bench.strategies.get(v)
            aucs = s.auc_at(seeds) if s else None
            if aucs is None:
                return None
            per_dataset.append(_mean(aucs))
        score[v] = _mean(per_dataset)
    return {"seeds": list(seeds), "score": score, "best": max(score, key=score.get)}
