"""Rules 3 and 4 (experiments/apply_recipe_rule.py) on hand-made validation benches with known verdicts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "apply_recipe_rule.py"
sys.path.insert(0, str(_SCRIPT.parent))  # as when run as a script: it imports bench_doc beside it
_spec = importlib.util.spec_from_file_location("apply_recipe_rule", _SCRIPT)
rule = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rule)


def strategy(curves: list[list[float]], reach: dict[str, list[int | None]] | None = None,
             seconds: float = 0.1) -> dict:
    """`curves`: one accuracy curve per seed (seeds 0, 1, ...); AUC is the curve's mean."""
    seeds = list(range(len(curves)))
    return {"seeds": seeds, "auc": {"per_seed": [sum(c) / len(c) for c in curves]},
            "curve": [{"labelled": 100 * (i + 1), "per_seed": [c[i] for c in curves]} for i in range(len(curves[0]))],
            "selection_seconds_per_round": {"mean": seconds},
            "labels_to_reach": {t: {"per_seed": v} for t, v in (reach or {}).items()}}


RISING = [[0.50, 0.60, 0.70]] * 3
FALLING = [[0.50, 0.62, 0.60]] * 3  # falls by 2 points in its last round


def bench(**strategies: dict) -> dict:
    return {"split": "validation", "strategies": strategies}


def docs(curves_by_strategy: dict[str, list[list[float]]]) -> dict[str, dict]:
    return {d: bench(**{s: strategy(c) for s, c in curves_by_strategy.items()}) for d in rule.DATASETS}


def test_warm_start_is_adopted_when_fewer_runs_fall_and_margin_sub_loses_nothing():
    restart = docs({"margin-sub": FALLING, "margin": RISING, "random": FALLING})
    warm = docs({"margin-sub": [[0.50, 0.61, 0.62]] * 3, "margin": RISING, "random": RISING})
    verdict = rule.rule_3a(restart, warm)
    assert verdict["runs_over_a_point"] == {"restart": 18, "warm": 0}
    assert verdict["adopt_warm_start"] is True  # margin-sub's AUC rose by 0.33 point


def test_warm_start_is_refused_when_margin_sub_is_separably_lower_on_one_dataset():
    restart = docs({"margin-sub": FALLING, "margin": RISING, "random": FALLING})
    warm = docs({"margin-sub": [[0.50, 0.61, 0.62]] * 3, "margin": RISING, "random": RISING})
    warm["cifar"]["strategies"]["margin-sub"] = strategy([[0.40, 0.50, 0.51], [0.41, 0.50, 0.51], [0.40, 0.51, 0.51]])
    verdict = rule.rule_3a(restart, warm)
    assert verdict["separably_lower_on"] == ["cifar"] and verdict["adopt_warm_start"] is False


def test_warm_start_is_refused_when_no_fewer_runs_fall():
    same = docs({"margin-sub": RISING, "margin": RISING, "random": FALLING})
    verdict = rule.rule_3a(same, same)
    assert verdict["runs_over_a_point"] == {"restart": 9, "warm": 9} and verdict["adopt_warm_start"] is False


def test_a_missing_seed_or_a_test_bench_is_refused():
    restart = docs({"margin-sub": RISING, "margin": RISING, "random": RISING})
    short = docs({"margin-sub": RISING[:2], "margin": RISING, "random": RISING})
    with pytest.raises(SystemExit, match="lacks one of seeds 0, 1, 2"):
        rule.rule_3a(restart, short)
    restart["mnist"]["split"] = "test"
    with pytest.raises(SystemExit, match="validation"):
        rule.rule_3a(restart, docs({"margin-sub": RISING, "margin": RISING, "random": RISING}))


def _reach_docs(margin_sub: dict[str, list], rival: dict[str, list] | None = None,
                seconds: float = 0.1) -> dict[str, dict]:
    """MNIST and long-tail benches of margin-sub (and a rival), seeds as many as the lists are long."""
    def runs(reach):
        return strategy([RISING[0]] * len(next(iter(reach.values()))), reach, seconds)
    mine = {"margin-sub": runs(margin_sub)}
    return {d: bench(**mine, **({"margin": runs(rival)} if rival else {})) for d in ("mnist", "longtail")}


ALL_TARGETS = ("0.95", "0.97", "0.98", "0.90")


def test_the_smallest_value_within_ten_percent_of_the_fewest_labels_is_chosen_and_confirmed_at_five_seeds():
    # Rule 1 at 5 seeds: the rival needs 200 on seeds 0-2, 400 on seeds 3-4 (5-seed mean 280).
    rule1 = _reach_docs({t: [300] * 5 for t in ALL_TARGETS}, {t: [200, 200, 200, 400, 400] for t in ALL_TARGETS})
    cpp = {30: _reach_docs({t: [300, 300, 200] for t in ALL_TARGETS}),  # 267 > 1.1 x 200: no
           100: _reach_docs({t: [200, 200, 200, 300, 300] for t in ALL_TARGETS}, seconds=0.2),
           300: _reach_docs({t: [200, 200, 200] for t in ALL_TARGETS})}
    verdict = rule.rule_3b(rule1, cpp)
    assert [verdict["values"][v]["meets_item_7"] for v in (10, 30, 100, 300)] == [False, False, True, True]
    assert verdict["smallest_meeting"] == 100
    assert verdict["values"][100]["cost_ratio"] == pytest.approx(2.0)
    # At 5 seeds: 240 against the fewest, the rival's 280.
    assert verdict["five_seed_confirmation"]["holds"] is True
    cpp[100] = _reach_docs({t: [200, 200, 200, 500, 500] for t in ALL_TARGETS}, seconds=0.2)
    assert rule.rule_3b(rule1, cpp)["five_seed_confirmation"]["holds"] is False  # 320 > 1.1 x 280
    cpp[100] = _reach_docs({t: [200, 200, 200] for t in ALL_TARGETS}, seconds=0.2)
    assert rule.rule_3b(rule1, cpp)["five_seed_confirmation"] is None  # seeds 3-4 not run yet


def test_fewest_counts_only_strategies_that_reached_on_every_seed():
    doc = bench(**{"a": strategy(RISING, {"0.95": [100, None, 100]}), "b": strategy(RISING, {"0.95": [300, 300, 300]})})
    assert rule.fewest(doc, "0.95", (0, 1, 2)) == (300, "b")
    assert rule.mean_labels(doc["strategies"]["a"], "0.95", (0, 2)) == 100


def test_rule_4_chooses_the_qualifying_balance_with_the_larger_gain_and_keeps_0_when_none_qualifies():
    today = docs({"margin-sub": RISING, "margin": RISING, "random": FALLING})            # 9 runs fall
    half = docs({"margin-sub": [[0.50, 0.61, 0.71]] * 3, "margin": RISING, "random": RISING})  # +0.67 point
    full = docs({"margin-sub": [[0.50, 0.62, 0.72]] * 3, "margin": RISING, "random": RISING})  # +1.33 points
    verdict = rule.rule_4(today, {0.5: half, 1.0: full})
    assert verdict["values"][0.5]["runs_over_a_point"] == {"today": 9, "balanced": 0}
    assert verdict["values"][0.5]["qualifies"] and verdict["values"][1.0]["qualifies"]
    assert verdict["chosen"] == 1.0
    worse = docs({"margin-sub": [[0.50, 0.59, 0.69]] * 3, "margin": RISING, "random": RISING})  # -0.67 point
    still = docs({"margin-sub": RISING, "margin": RISING, "random": FALLING})                  # 9 runs fall again
    verdict = rule.rule_4(today, {0.5: worse, 1.0: still})
    assert not verdict["values"][0.5]["qualifies"] and not verdict["values"][1.0]["qualifies"]
    assert verdict["chosen"] == 0.0
    with pytest.raises(SystemExit, match="no cifar bench"):
        rule.rule_4(today, {0.5: {d: half[d] for d in ("mnist", "longtail")}})


def test_rule_4_gives_item_7_s_labels_under_the_same_balance_beside_the_verdict():
    reach = {"0.95": [200, 200, 200], "0.97": [300, 300, 300], "0.98": [500, 500, 500], "0.90": [300, 300, 300]}
    slow = dict(reach, **{"0.95": [300, 300, 300]})
    balanced = {d: bench(**{"margin-sub": strategy(RISING, slow), "margin": strategy(RISING, reach),
                            "random": strategy(RISING, {})}) for d in rule.DATASETS}
    today = docs({"margin-sub": RISING, "margin": RISING, "random": RISING})
    rows = rule.rule_4(today, {1.0: balanced})["values"][1.0]["labels"]
    row = next(r for r in rows if r["dataset"] == "mnist" and r["target"] == "0.95")
    assert (row["margin_sub"], row["fewest"], row["by"], row["within"]) == (300, 200, "margin", False)
    assert next(r for r in rows if r["dataset"] == "longtail" and r["target"] == "0.90")["within"] is True
