"""Rule 2 (experiments/apply_knob_rule.py) on hand-made validation benches with known verdicts."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "apply_knob_rule.py"
sys.path.insert(0, str(_SCRIPT.parent))  # as when run as a script: it imports bench_doc beside it
_spec = importlib.util.spec_from_file_location("apply_knob_rule", _SCRIPT)
rule = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rule)

CONFIGS = {
    "mnist": {"name": "bench", "seed": 0, "data": {"dataset": "mnist", "imbalance": 1.0}, "task": {"steps": 300},
              "vae": {"epochs": 4, "latent_dim": 16},
              "sampling": {"strategy": "snn", "ascent_steps": 10, "ascent_step_size": 0.2, "ascent_normalize": True,
                           "seed_choice": "random"}},
}
CONFIGS["cifar"] = copy.deepcopy(CONFIGS["mnist"])
CONFIGS["cifar"]["data"]["dataset"] = "cifar10"
CONFIGS["cifar"]["vae"] = {"epochs": 20, "latent_dim": 32}


def bench(dataset: str, aucs: dict[str, list[float]], seconds: float = 0.5, **moved) -> dict:
    config = copy.deepcopy(CONFIGS[dataset])
    for key, value in moved.items():
        section, name = key.split("__")
        config[section][name] = value
    return {"split": "validation", "bench_id": f"{dataset}-{moved}", "config": config,
            "strategies": {s: {"seeds": list(range(len(a))), "auc": {"per_seed": a},
                               "selection_seconds_per_round": {"mean": seconds}} for s, a in aucs.items()}}


TODAY = {d: bench(d, {"snn": [0.80, 0.80, 0.80], "margin-sub": [0.85] * 5}) for d in ("mnist", "cifar")}


def test_a_value_is_chosen_only_when_it_beats_today_by_more_than_a_fifth_of_a_point():
    benches = [bench("mnist", {"snn": [0.81] * 3}, sampling__ascent_steps=30),   # +1 point on MNIST ...
               bench("cifar", {"snn": [0.80] * 3}, sampling__ascent_steps=30),   # ... 0 on CIFAR: +0.5 mean
               bench("mnist", {"snn": [0.803] * 3}, sampling__ascent_steps=3),
               bench("cifar", {"snn": [0.80] * 3}, sampling__ascent_steps=3),    # +0.15 mean: not enough
               bench("mnist", {"snn": [0.802] * 3}, vae__epochs=8),
               bench("cifar", {"snn": [0.80] * 3}, vae__epochs=40),              # x2 on both: +0.1 mean
               bench("mnist", {"snn": [0.79] * 3}, vae__epochs=2),
               bench("cifar", {"snn": [0.79] * 3}, vae__epochs=10)]              # x0.5 on both: -1 point
    chosen = rule.choose_knobs(TODAY, benches, "snn")
    assert chosen["sampling.ascent_steps"]["chosen"] == "30"
    assert chosen["sampling.ascent_steps"]["scores"]["30"] == pytest.approx(0.805)
    assert chosen["vae.epochs"]["scores"].keys() == {"x0.5", "x1", "x2"} and chosen["vae.epochs"]["chosen"] == "x1"
    assert chosen["sampling.seed_choice"]["chosen"] is None  # no other value run yet
    del benches[1]  # a value run on MNIST only is not scored, and the knob waits for it
    steps = rule.choose_knobs(TODAY, benches, "snn")["sampling.ascent_steps"]
    assert steps["scores"].keys() == {"10", "3"} and steps["chosen"] is None
    del benches[-2:]  # x0.5 not run: vae.epochs is not decided on x1 and x2 alone
    assert rule.choose_knobs(TODAY, benches, "snn")["vae.epochs"]["chosen"] is None


def test_a_bench_that_moves_anything_but_a_knob_is_refused():
    with pytest.raises(SystemExit, match="task.steps, which Rule 2 does not tune"):
        rule.choose_knobs(TODAY, [bench("mnist", {"snn": [0.9] * 3}, task__steps=600)], "snn")
    with pytest.raises(SystemExit, match="validation only"):
        rule.choose_knobs(TODAY, [dict(bench("mnist", {"snn": [0.9] * 3}, sampling__ascent_steps=3), split="test")], "snn")


def test_the_combination_meets_the_goal_only_ahead_somewhere_and_within_three_times_the_cost():
    ahead = {"mnist": bench("mnist", {"snn": [0.86, 0.87, 0.86, 0.87, 0.86]}, seconds=1.0, sampling__ascent_steps=30),
             "cifar": bench("cifar", {"snn": [0.85] * 5}, seconds=1.0, sampling__ascent_steps=30)}
    judged = rule.judge_combination(TODAY, ahead, "snn")
    assert judged["ahead_on"] == ["mnist"] and judged["cost_ratio"] == pytest.approx(2.0) and judged["goal_met"]
    assert judged["minus_untuned"] == {"mnist": None, "cifar": None}  # today's snn has 3 seeds, not 5
    five = {d: bench(d, {"snn": [0.84] * 5, "margin-sub": [0.85] * 5}) for d in ("mnist", "cifar")}
    against_five = rule.judge_combination(five, ahead, "snn")
    assert against_five["minus_untuned"]["mnist"]["mean"] == pytest.approx(0.024)
    assert against_five["minus_untuned"]["cifar"]["mean"] == pytest.approx(0.01)
    assert against_five["auc"]["cifar"] == pytest.approx(0.85)
    assert "| snn | mnist | 86.40 |" in rule.markdown({}, [against_five])
    costly = {d: dict(doc, strategies={"snn": dict(doc["strategies"]["snn"], selection_seconds_per_round={"mean": 2.0})})
              for d, doc in ahead.items()}
    assert rule.judge_combination(TODAY, costly, "snn")["goal_met"] is False  # 4x the default's seconds
    short = {"mnist": bench("mnist", {"snn": [0.9] * 3})}
    with pytest.raises(SystemExit, match="need seeds 0, 1, 2, 3, 4"):
        rule.judge_combination(TODAY, short, "snn")


def test_each_value_keeps_its_datasets_aucs_its_paired_difference_from_today_and_its_seconds():
    benches = [bench("mnist", {"snn": [0.82, 0.825, 0.815]}, seconds=1.5, sampling__ascent_steps=30),
               bench("cifar", {"snn": [0.79, 0.80, 0.81]}, seconds=2.5, sampling__ascent_steps=30),
               bench("mnist", {"snn": [0.70] * 3}, sampling__seed_choice="hardest")]  # CIFAR-10 not run yet
    knobs = rule.choose_knobs(TODAY, benches, "snn")
    steps = knobs["sampling.ascent_steps"]
    assert steps["per_dataset"]["30"] == pytest.approx({"mnist": 0.82, "cifar": 0.80})
    mnist = steps["minus_today"]["30"]["mnist"]
    assert mnist["mean"] == pytest.approx(0.02)
    assert mnist["separable"] is True                                            # +2, +2.5, +1.5 points
    assert steps["minus_today"]["30"]["cifar"]["separable"] is False             # -1, 0, +1
    assert steps["selection_seconds"]["30"] == {"mnist": 1.5, "cifar": 2.5}
    assert "10" not in steps["minus_today"]                                      # today is not paired with itself
    table = rule.markdown({"snn": knobs}, [])
    assert "| sampling.ascent_steps | 30 | 82.00 | 80.00 | 81.00 | **+2.00 [" in table
    assert '| sampling.seed_choice | "hardest" | 70.00 | not run | - |' in table


def test_a_key_recorded_only_by_newer_benches_counts_as_moved_only_away_from_how_older_ones_ran():
    newer = bench("mnist", {"snn": [0.81] * 3}, sampling__ascent_steps=30, task__class_balance=0.0)
    assert rule.moved_knobs(TODAY["mnist"], newer) == {"sampling.ascent_steps": 30}  # TODAY has no class_balance
    leaning = bench("mnist", {"snn": [0.81] * 3}, sampling__ascent_steps=30, task__class_balance=0.5)
    with pytest.raises(SystemExit, match="task.class_balance, which Rule 2 does not tune"):
        rule.moved_knobs(TODAY["mnist"], leaning)


def test_the_combination_must_move_exactly_the_chosen_knobs_from_the_defaults_bench():
    benches = [bench("mnist", {"snn": [0.81] * 3}, sampling__ascent_steps=30),
               bench("cifar", {"snn": [0.81] * 3}, sampling__ascent_steps=30),
               bench("mnist", {"snn": [0.79] * 3}, sampling__ascent_steps=3),
               bench("cifar", {"snn": [0.79] * 3}, sampling__ascent_steps=3)]
    chosen = rule.choose_knobs(TODAY, benches, "snn")
    steps_only = {"sampling.ascent_steps": chosen["sampling.ascent_steps"]}
    assert steps_only["sampling.ascent_steps"]["chosen"] == "30"
    five = [0.86] * 5
    right = {d: bench(d, {"snn": five}, sampling__ascent_steps=30) for d in ("mnist", "cifar")}
    assert rule.judge_combination(TODAY, right, "snn", steps_only)["ahead_on"] == ["mnist", "cifar"]
    today_steps = {d: bench(d, {"snn": five}) for d in ("mnist", "cifar")}
    with pytest.raises(SystemExit, match="moves nothing; the chosen knobs move sampling.ascent_steps=30"):
        rule.judge_combination(TODAY, today_steps, "snn", steps_only)
    extra = {d: bench(d, {"snn": five}, sampling__ascent_steps=30, vae__epochs=8) for d in ("mnist", "cifar")}
    with pytest.raises(SystemExit, match="moves sampling.ascent_steps=30, vae.epochs=x2"):
        rule.judge_combination(TODAY, extra, "snn", steps_only)
    with pytest.raises(SystemExit, match="sampling.seed_choice, vae.epochs, vae.latent_dim: not decided yet"):
        rule.judge_combination(TODAY, right, "snn", chosen)  # every knob but ascent_steps is still waiting
