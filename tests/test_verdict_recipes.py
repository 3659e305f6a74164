"""Rules 3 and 4 (choose-recipe, choose-value by the smallest meeting a check) on hand-made validation benches."""

from __future__ import annotations

import pytest

from alss_tui.errors import BenchError
from bench_helpers import from_curves, recorded_config, summary
from verdict_helpers import verdict

POOLS = {"mnist": ("mnist", 1.0), "longtail": ("mnist", 100.0), "cifar": ("cifar10", 1.0)}
RISING = [[0.50, 0.60, 0.70]] * 3
FALLING = [[0.50, 0.62, 0.60]] * 3  # falls by 2 points in its last round
RESTART = {"task__restart_each_round": True, "task__class_balance": 0.0, "sampling__candidates_per_pick": 10}


def bench(dataset: str, strategies: dict, **settings):
    name, imbalance = POOLS[dataset]
    return summary(strategies, config=recorded_config(name, imbalance, **{**RESTART, **settings}))


def grid(curves: dict[str, list[list[float]]], **settings) -> list:
    """The three datasets' benches of one recipe, each strategy with these per-seed curves."""
    return [bench(d, {s: from_curves(c) for s, c in curves.items()}, **settings) for d in POOLS]


WARM = {"task__restart_each_round": False}


def cpp(value: int, strategies: dict | None = None) -> list:
    """Rule 3b's benches of one candidates_per_pick (MNIST and the long tail)."""
    strategies = strategies or {"margin-sub": from_curves(RISING)}
    return [bench(d, strategies, sampling__candidates_per_pick=value) for d in ("mnist", "longtail")]


def rule3(restart: list, warm: list) -> dict:
    """Rule 3's verdict on these 3a benches (3b on benches of no consequence here)."""
    return verdict("rule3.toml", *restart, *warm, *cpp(30), *cpp(100))


def test_warm_start_is_adopted_when_fewer_runs_fall_and_margin_sub_loses_nothing():
    restart = grid({"margin-sub": FALLING, "margin": RISING, "random": FALLING})
    warm = grid({"margin-sub": [[0.50, 0.61, 0.62]] * 3, "margin": RISING, "random": RISING}, **WARM)
    result = rule3(restart, warm)["3a"]
    assert result["runs"] == 27 and result["runs_over_a_point"] == {"restart": 18, "warm": 0}
    assert result["margin_sub_warm_minus_restart"]["mnist"]["mean"] == pytest.approx(0.01 / 3)
    assert result["adopt_warm_start"] is True  # margin-sub's AUC rose by 0.33 point
    assert result["largest_drops"]["restart"]["cifar"]["random"] == pytest.approx([0.02] * 3)


def test_warm_start_is_refused_when_margin_sub_is_separably_lower_on_one_dataset():
    restart = grid({"margin-sub": FALLING, "margin": RISING, "random": FALLING})
    warm = grid({"margin-sub": [[0.50, 0.61, 0.62]] * 3, "margin": RISING, "random": RISING}, **WARM)
    warm[2] = bench("cifar", {"margin-sub": from_curves([[0.40, 0.50, 0.51], [0.41, 0.50, 0.51], [0.40, 0.51, 0.51]]),
                              "margin": from_curves(RISING), "random": from_curves(RISING)}, **WARM)
    result = rule3(restart, warm)["3a"]
    assert result["separably_lower_on"] == ["cifar"] and result["adopt_warm_start"] is False


def test_warm_start_is_refused_when_no_fewer_runs_fall():
    curves = {"margin-sub": RISING, "margin": RISING, "random": FALLING}
    result = rule3(grid(curves), grid(curves, **WARM))["3a"]
    assert result["runs_over_a_point"] == {"restart": 9, "warm": 9} and result["adopt_warm_start"] is False


def test_a_missing_seed_or_a_test_bench_is_refused():
    short = grid({"margin-sub": RISING[:2], "margin": RISING, "random": RISING}, **WARM)
    with pytest.raises(BenchError, match="step '3a': b3: margin-sub lacks one of seeds 0, 1, 2"):
        rule3(grid({"margin-sub": RISING, "margin": RISING, "random": RISING}), short)
    test_bench = summary({"margin-sub": from_curves(RISING)}, config=recorded_config(split="test", **RESTART))
    with pytest.raises(BenchError, match="b0: scored on 'test'; rule3.toml reads validation benches"):
        verdict("rule3.toml", test_bench)


ALL_TARGETS = ("0.95", "0.97", "0.98", "0.90")


def reach_pair(margin_sub: dict[str, list], rival: dict[str, list] | None = None, seconds: float = 0.1,
               **settings) -> list:
    """MNIST and long-tail benches of margin-sub (and a rival), seeds as many as the lists are long."""
    def runs(reach):
        return from_curves([RISING[0]] * len(next(iter(reach.values()))), reach, seconds)
    strategies = {"margin-sub": runs(margin_sub), **({"margin": runs(rival)} if rival else {})}
    return [bench(d, strategies, **settings) for d in ("mnist", "longtail")]


def smallest(rule1: list, cpp: dict[int, list]) -> dict:
    warm = grid({"margin-sub": RISING, "margin": RISING, "random": RISING}, **WARM)
    restart_cifar = bench("cifar", {s: from_curves(RISING) for s in ("margin-sub", "margin", "random")})
    return verdict("rule3.toml", *rule1, restart_cifar, *warm, *[b for benches in cpp.values() for b in benches])["3b"]


def test_the_smallest_value_within_ten_percent_of_the_fewest_labels_is_chosen_and_confirmed_at_five_seeds():
    # Rule 1 at 5 seeds: the rival needs 200 on seeds 0-2, 400 on seeds 3-4 (5-seed mean 280).
    rule1 = reach_pair({t: [300] * 5 for t in ALL_TARGETS}, {t: [200, 200, 200, 400, 400] for t in ALL_TARGETS})
    rule1 = [summary({**b.strategies, "random": from_curves([RISING[0]] * 5)}, config=b.config) for b in rule1]
    by_value = {30: reach_pair({t: [300, 300, 200] for t in ALL_TARGETS}, sampling__candidates_per_pick=30),  # 267 > 220
                100: reach_pair({t: [200, 200, 200, 300, 300] for t in ALL_TARGETS}, seconds=0.2,
                                sampling__candidates_per_pick=100)}
    result = smallest(rule1, by_value)
    assert [result["values"][v]["meets_item_7"] for v in ("10", "30", "100")] == [False, False, True]
    assert result["smallest_meeting"] == 100
    assert result["values"]["100"]["cost_ratio"] == pytest.approx(2.0)
    assert result["selection_seconds_per_round_today"] == {"mnist": 0.1, "longtail": 0.1}
    row = result["values"]["30"]["rows"][0]
    assert (row["dataset"], row["target"], row["margin_sub"], row["fewest"], row["by"]) == \
        ("mnist", "0.95", pytest.approx(800 / 3), 200, "margin")
    assert result["five_seed_confirmation"]["holds"] is True  # 240 against the rival's 5-seed 280
    by_value[100] = reach_pair({t: [200, 200, 200, 500, 500] for t in ALL_TARGETS}, seconds=0.2,
                               sampling__candidates_per_pick=100)
    assert smallest(rule1, by_value)["five_seed_confirmation"]["holds"] is False  # 320 > 1.1 x 280
    by_value[100] = reach_pair({t: [200, 200, 200] for t in ALL_TARGETS}, seconds=0.2,
                               sampling__candidates_per_pick=100)
    assert smallest(rule1, by_value)["five_seed_confirmation"] is None  # seeds 3-4 not run yet
    with pytest.raises(BenchError, match="no bench given is recipe 'restart \\+ sampling.candidates_per_pick=30' "
                                         "on longtail"):
        smallest(rule1, {30: by_value[30][:1], 100: by_value[100]})


BALANCE = {"task__restart_each_round": False}


def test_rule_4_chooses_the_qualifying_balance_with_the_larger_gain_and_keeps_0_when_none_qualifies():
    restart = grid({"margin-sub": RISING, "margin": RISING, "random": RISING})
    today = grid({"margin-sub": RISING, "margin": RISING, "random": FALLING}, **WARM)  # 9 runs fall
    half = grid({"margin-sub": [[0.50, 0.61, 0.71]] * 3, "margin": RISING, "random": RISING}, **BALANCE,
                task__class_balance=0.5)  # +0.67 point
    full = grid({"margin-sub": [[0.50, 0.62, 0.72]] * 3, "margin": RISING, "random": RISING}, **BALANCE,
                task__class_balance=1.0)  # +1.33 points
    result = verdict("rule4.toml", *restart, *today, *half, *full)
    assert set(result) == {"3a", "4"}  # Rule 3a comes with it
    four = result["4"]
    assert four["values"]["0.5"]["runs_over_a_point"] == {"today": 9, "balanced": 0}
    assert four["values"]["0.5"]["qualifies"] and four["values"]["1.0"]["qualifies"]
    assert four["chosen"] == 1.0
    by_strategy = four["values"]["1.0"]["minus_today_by_strategy"]["mnist"]
    assert by_strategy["margin"]["mean"] == pytest.approx(0.0)
    assert by_strategy["random"]["mean"] == pytest.approx(0.6 - (0.50 + 0.62 + 0.60) / 3)  # it stopped falling
    worse = grid({"margin-sub": [[0.50, 0.59, 0.69]] * 3, "margin": RISING, "random": RISING}, **BALANCE,
                 task__class_balance=0.5)  # -0.67 point
    still = grid({"margin-sub": RISING, "margin": RISING, "random": FALLING}, **BALANCE,
                 task__class_balance=1.0)  # 9 runs fall again
    four = verdict("rule4.toml", *restart, *today, *worse, *still)["4"]
    assert not four["values"]["0.5"]["qualifies"] and not four["values"]["1.0"]["qualifies"]
    assert four["chosen"] == 0.0
    with pytest.raises(BenchError, match="no bench given is recipe 'warm \\+ task.class_balance=1' on cifar"):
        verdict("rule4.toml", *restart, *today, *half, *full[:2])


def test_rule_4_gives_item_7_s_labels_under_the_same_balance_beside_the_verdict():
    reach = {"0.95": [200, 200, 200], "0.97": [300, 300, 300], "0.98": [500, 500, 500], "0.90": [300, 300, 300]}
    slow = dict(reach, **{"0.95": [300, 300, 300]})
    balanced = [bench(d, {"margin-sub": from_curves(RISING, slow), "margin": from_curves(RISING, reach),
                          "random": from_curves(RISING)}, **BALANCE, task__class_balance=1.0) for d in POOLS]
    restart = grid({"margin-sub": RISING, "margin": RISING, "random": RISING})
    today = grid({"margin-sub": RISING, "margin": RISING, "random": RISING}, **WARM)
    half = grid({"margin-sub": RISING, "margin": RISING, "random": RISING}, **BALANCE, task__class_balance=0.5)
    rows = verdict("rule4.toml", *restart, *today, *half, *balanced)["4"]["values"]["1.0"]["labels"]
    row = next(r for r in rows if r["dataset"] == "mnist" and r["target"] == "0.95")
    assert (row["margin_sub"], row["fewest"], row["by"], row["within"]) == (300, 200, "margin", False)
    assert next(r for r in rows if r["dataset"] == "longtail" and r["target"] == "0.90")["within"] is True
