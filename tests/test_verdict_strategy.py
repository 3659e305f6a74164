"""Rule 1 (choose-strategy, check-labels, falls, best-strategy) and Rule 5 (a recheck) on hand-made benches."""

from __future__ import annotations

import pytest

from alss_tui.errors import BenchError
from bench_helpers import recorded_config, strategy, summary
from verdict_helpers import verdict

CANDIDATES = ("margin-sub", "entropy-sub", "margin", "entropy", "coreset")
POOLS = {"mnist": ("mnist", 1.0), "longtail": ("mnist", 100.0), "cifar": ("cifar10", 1.0)}


def bench(dataset: str, overrides: dict, split: str = "validation", **settings):
    strategies = {c: strategy([0.50, 0.51, 0.49, 0.50, 0.50], seconds=1.0) for c in CANDIDATES}
    strategies.update(overrides)
    name, imbalance = POOLS[dataset]
    return summary(strategies, config=recorded_config(name, imbalance, split, **settings))


def three(overrides: dict) -> list:
    return [bench(d, overrides) for d in POOLS]


LEADER = strategy([0.90, 0.91, 0.89, 0.90, 0.92], seconds=2.0)
CHEAP = strategy([0.90, 0.90, 0.89, 0.91, 0.91], seconds=0.5)  # within noise of the leader


def test_a_cheaper_candidate_within_noise_of_the_leader_on_every_dataset_wins():
    choice = verdict("rule1.toml", *three({"margin": LEADER, "margin-sub": CHEAP}))["default"]
    assert (choice["leader"], choice["tied"], choice["winner"]) == ("margin", ["margin-sub"], "margin-sub")
    assert choice["selection_seconds_per_round"]["margin-sub"] == pytest.approx(1.5)  # summed over 3 datasets
    assert choice["paired_against_leader"]["mnist"]["margin-sub"]["separable"] is False


def test_a_candidate_separably_below_the_leader_on_one_dataset_is_not_tied():
    below = strategy([0.85, 0.86, 0.84, 0.85, 0.86], seconds=0.5)  # 5 points below, every seed
    benches = [bench("mnist", {"margin": LEADER, "margin-sub": CHEAP}),
               bench("longtail", {"margin": LEADER, "margin-sub": below}),
               bench("cifar", {"margin": LEADER, "margin-sub": CHEAP})]
    choice = verdict("rule1.toml", *benches)["default"]
    assert choice["leader"] == "margin" and choice["tied"] == [] and choice["winner"] == "margin"


def test_the_check_compares_the_winner_with_the_fewest_labels_of_strategies_that_reached_on_every_seed():
    winner = strategy([0.90] * 5, reach={"0.95": [440] * 5})
    fast_sometimes = strategy([0.80] * 5, reach={"0.95": [100, None, 100, 100, 100]})  # not every seed: ignored
    rival = strategy([0.80] * 5, reach={"0.95": [400] * 5})
    picks = {"margin-sub": winner, "entropy": fast_sometimes, "random": rival}
    row = next(r for r in verdict("rule1.toml", *three(picks))["check"]
               if r["dataset"] == "mnist" and r["target"] == "0.95")
    assert (row["winner"], row["winner_reached"], row["fewest"], row["by"]) == (440, "5/5", 400, "random")
    assert row["within"] is True  # 440 <= 1.1 x 400
    picks["random"] = strategy([0.80] * 5, reach={"0.95": [390] * 5})
    row = next(r for r in verdict("rule1.toml", *three(picks))["check"]
               if r["dataset"] == "mnist" and r["target"] == "0.95")
    assert row["within"] is False  # 440 > 429
    missing = next(r for r in verdict("rule1.toml", *three(picks))["check"] if r["target"] == "0.97")
    assert missing == {"dataset": "mnist", "target": "0.97", "winner": None, "fewest": None, "by": None,
                       "within": None}  # no bench recorded that target


def test_a_bench_scored_on_the_test_split_is_refused():
    benches = three({})
    benches[2] = bench("cifar", {}, split="test")
    with pytest.raises(BenchError, match="b2: scored on 'test'; rule1.toml reads validation benches"):
        verdict("rule1.toml", *benches)


def test_falls_are_each_seeds_largest_fall_between_rounds():
    s = strategy([0.5, 0.5], curve=[(100, [0.80, 0.80]), (200, [0.85, 0.78]), (300, [0.83, 0.90])])
    falls = verdict("rule1.toml", *three({"margin-sub": s}))["largest_drop_per_run"]
    assert falls["mnist"]["margin-sub"] == pytest.approx([0.02, 0.02])
    s = strategy([0.5, 0.5], curve=[(100, [0.80, 0.80]), (200, [0.85, 0.78]), (300, [0.86, 0.70])])
    falls = verdict("rule1.toml", *three({"margin-sub": s}))["largest_drop_per_run"]
    assert falls["cifar"]["margin-sub"] == pytest.approx([0.0, 0.08])


def test_the_best_alss_variant_is_chosen_on_seeds_0_to_2_only():
    rerank = strategy([0.80, 0.80, 0.80, 0.99, 0.99])  # seeds 3-4 ran because it was chosen: they must not count
    pseudo = strategy([0.82, 0.82, 0.82])
    steer = strategy([0.81, 0.81, 0.81])
    variants = {"snn-rerank": rerank, "snn-pseudo": pseudo, "snn-steer": steer}
    chosen = verdict("rule1.toml", *three(variants))["best_alss_variant"]
    assert chosen["best"] == "snn-pseudo" and chosen["seeds"] == [0, 1, 2]
    assert chosen["score"]["snn-rerank"] == pytest.approx(0.80)
    benches = three(variants)
    benches[2] = bench("cifar", {"snn-rerank": rerank, "snn-pseudo": pseudo})
    assert verdict("rule1.toml", *benches)["best_alss_variant"] is None  # not every variant has its seeds yet


def test_a_candidate_no_bench_has_or_a_missing_dataset_is_one_line():
    benches = three({})
    del benches[1].strategies["coreset"]
    with pytest.raises(BenchError, match="step 'default': b1 has no finished runs of coreset"):
        verdict("rule1.toml", *benches)
    with pytest.raises(BenchError, match="step 'default': no bench given is recipe 'bench' on cifar"):
        verdict("rule1.toml", *three({})[:2])
    with pytest.raises(BenchError, match="b3: fits none of the rule's datasets"):
        verdict("rule1.toml", *three({}), summary({"random": strategy([0.5])},
                                                  config=recorded_config("digits")))


def test_rule5_rechecks_item_7_on_a_finer_long_tail_bench():
    winner = strategy([0.90, 0.91, 0.92, 0.93, 0.94], reach={"0.90": [300] * 5, "0.95": [460] * 5})
    rival = strategy([0.80, 0.82, 0.81, 0.83, 0.84], reach={"0.90": [300] * 5, "0.95": [400] * 5})
    grid = [bench(d, {"margin-sub": CHEAP, "margin": LEADER}, sampling__per_round=150) for d in POOLS]
    finer = bench("longtail", {"margin-sub": winner, "entropy": rival}, sampling__per_round=100)
    recheck = verdict("rule5.toml", *grid, finer)["recheck_longtail"]
    assert recheck["per_round"] == 100
    by_target = {r["target"]: r for r in recheck["check"]}
    assert (by_target["0.95"]["winner"], by_target["0.95"]["fewest"], by_target["0.95"]["by"]) == (460, 400, "entropy")
    assert by_target["0.95"]["within"] is False and by_target["0.90"]["within"] is True  # 460 > 440; 300 <= 330
    assert recheck["minus_winner"]["entropy"]["auc"]["mean"] == pytest.approx(-0.10)  # -0.10 on every seed
    assert "margin-sub" not in recheck["minus_winner"]
    assert recheck["largest_drop_per_run"]["margin-sub"] == [0.0] * 5
    # The finer bench must be the long tail with only its rounds moved: another is a second grid.
    other = bench("longtail", {"margin-sub": winner}, sampling__per_round=100, task__steps=99)
    with pytest.raises(BenchError, match="b1, b3: each fits recipe 'bench' on longtail"):
        verdict("rule5.toml", *grid, other)
    with pytest.raises(BenchError, match="no bench given is recipe 'per100' on longtail"):
        verdict("rule5.toml", *grid)


def test_a_bench_differing_only_in_its_oracle_pairs_by_seed_with_the_grid():
    grid = summary({"margin-sub": strategy([0.90, 0.91, 0.92, 0.93, 0.94])},
                   config=recorded_config(oracle__kind="simulated"))
    si = summary({"si": strategy([0.80, 0.82, 0.81])},
                 config=recorded_config(oracle__kind="function", oracle__function="labeller:mnist"))
    rest = [summary({"margin-sub": strategy([0.9, 0.9])}, config=recorded_config(n, i, oracle__kind="simulated"))
            for n, i in (("mnist", 100.0), ("cifar10", 1.0))]
    rest += [summary({"si": strategy([0.8, 0.8])}, config=recorded_config(n, i, oracle__kind="function"))
             for n, i in (("mnist", 100.0), ("cifar10", 1.0))]
    minus = verdict("si.toml", grid, si, *rest)["minus_margin_sub"]
    # seeds 0-2 only: (0.80-0.90, 0.82-0.91, 0.81-0.92) = (-0.10, -0.09, -0.11)
    assert minus["mnist"]["si"]["auc"]["mean"] == pytest.approx(-0.10)
    assert minus["mnist"]["si"]["auc"]["separable"] is True
    stepped = summary(si.strategies, config=recorded_config(oracle__kind="function", task__steps=99))
    with pytest.raises(BenchError, match="b1 differs from b0 in more than the oracle \\(task.steps\\)"):
        verdict("si.toml", grid, stepped, *rest)
    twice = summary({"margin-sub": strategy([0.8, 0.8])}, config=recorded_config(oracle__kind="function"))
    with pytest.raises(BenchError, match="margin-sub is in both b0 and b1"):
        verdict("si.toml", grid, twice, *rest)


def test_si_beside_todays_grid_is_paired_by_seed():
    from alss_tui.bench.paired import paired_interval
    from alss_tui.bench.summary import BenchSummary
    from conftest import REPO

    results = REPO / "experiments" / "archive" / "results"
    grid, si = (BenchSummary.load(results / f) for f in ("today-cifar10.json", "today-si-cifar10.json"))
    others = [BenchSummary.load(results / f"today{s}-{d}.json") for s in ("", "-si") for d in ("mnist", "longtail")]
    got = verdict("si.toml", grid, si, *others)["minus_margin_sub"]["cifar"]["si"]["auc"]
    mine, ref = si.strategies["si"], grid.strategies["margin-sub"]
    want = paired_interval([a - b for a, b in zip(mine.auc.per_seed, ref.at_seeds(ref.auc.per_seed, mine.seeds))])
    assert got == want.without_n() and round(got["mean"] * 100, 2) == -10.83  # as the report quotes it


def test_a_bench_given_in_parts_is_judged_as_the_whole():
    """A strategy run later into another home (its own summary, the same bench id) joins its bench."""
    late = strategy([0.90, 0.91, 0.89], seeds=[0, 1, 2], seconds=2.0)  # only seeds 0-2, as a later part
    whole = [bench(d, {"margin": late, "margin-sub": CHEAP}) for d in POOLS]
    parts = []
    for d in POOLS:
        first = bench(d, {"margin-sub": CHEAP})
        del first.strategies["margin"]
        name, imbalance = POOLS[d]
        parts += [first, summary({"margin": late}, config=recorded_config(name, imbalance))]
    assert parts[0].bench_id == parts[1].bench_id
    assert verdict("rule1.toml", *parts)["default"] == verdict("rule1.toml", *whole)["default"]
    joined = parts[0].joined(parts[1])
    assert joined.seeds == (0, 1, 2, 3, 4) and len(joined.strategies["margin"].run_ids) == 5
    assert joined.strategies["margin"].run_ids[3:] == (None, None)  # no run at seeds 3, 4
    with pytest.raises(BenchError, match="the same bench as b0 .* not another part of it: both have margin-sub"):
        verdict("rule1.toml", parts[0], parts[0], *parts[2:])
