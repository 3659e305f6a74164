"""Rule 2 (choose-value by margin, judge-combination) on hand-made validation benches with known verdicts."""

from __future__ import annotations

import pytest

from alss_tui.errors import BenchError
from bench_helpers import recorded_config, strategy, summary
from verdict_helpers import verdict

POOLS = {"mnist": ("mnist", 1.0), "longtail": ("mnist", 100.0), "cifar": ("cifar10", 1.0)}
KNOBS_TODAY = {"sampling__ascent_steps": 10, "sampling__ascent_step_size": 0.2, "sampling__ascent_normalize": True,
               "sampling__seed_choice": "random"}
VAE = {"mnist": {"vae__epochs": 4, "vae__latent_dim": 16}, "longtail": {"vae__epochs": 4, "vae__latent_dim": 16},
       "cifar": {"vae__epochs": 20, "vae__latent_dim": 32}}
RECIPES = {"rule1": {"task__restart_each_round": True, "task__class_balance": 0.0},  # knobs move from it
           "today": {"task__restart_each_round": False, "task__class_balance": 1.0}}  # the default's grids
# Every other value the rule tries, with the setting that gives it (x0.5 / x2 of today's VAE).
OTHER_VALUES = [("sampling__ascent_steps", 3), ("sampling__ascent_steps", 30), ("sampling__ascent_step_size", 0.05),
                ("sampling__ascent_step_size", 0.5), ("sampling__ascent_normalize", False),
                ("sampling__seed_choice", "hardest"), ("sampling__seed_choice", "uncertain"),
                ("vae__epochs", 0.5), ("vae__epochs", 2), ("vae__latent_dim", 0.5), ("vae__latent_dim", 2)]


def bench(dataset: str, aucs: dict[str, list[float]], seconds: float = 0.5, recipe: str = "rule1", **moved):
    settings = {**RECIPES[recipe], **KNOBS_TODAY, **VAE[dataset], **moved}
    name, imbalance = POOLS[dataset]
    return summary({s: strategy(a, seconds=seconds) for s, a in aucs.items()},
                   config=recorded_config(name, imbalance, **settings))


def moved_to(dataset: str, key: str, value) -> dict:
    """The setting of one of OTHER_VALUES on `dataset` (VAE values relative to today's)."""
    return {key: int(VAE[dataset][key] * value) if key.startswith("vae") else value}


TODAY = [bench(d, {"snn": [0.80, 0.80, 0.80], "margin-sub": [0.85] * 5}) for d in ("mnist", "cifar")]


def every_value(snn: float = 0.80, **better) -> list:
    """A one-knob bench of every other value on both datasets, snn at `snn` unless `better` says."""
    out = []
    for key, value in OTHER_VALUES:
        for d in ("mnist", "cifar"):
            auc = better.get(f"{key}={value}", {}).get(d, snn)
            out.append(bench(d, {"snn": [auc] * 3}, **moved_to(d, key, value)))
    return out


def knobs(*benches) -> dict:
    return verdict("rule2.toml", *TODAY, *benches)["knobs"]["snn"]


def test_a_value_is_chosen_only_when_it_beats_today_by_more_than_a_fifth_of_a_point():
    benches = [bench("mnist", {"snn": [0.81] * 3}, sampling__ascent_steps=30),   # +1 point on MNIST ...
               bench("cifar", {"snn": [0.80] * 3}, sampling__ascent_steps=30),   # ... 0 on CIFAR: +0.5 mean
               bench("mnist", {"snn": [0.803] * 3}, sampling__ascent_steps=3),
               bench("cifar", {"snn": [0.80] * 3}, sampling__ascent_steps=3),    # +0.15 mean: not enough
               bench("mnist", {"snn": [0.802] * 3}, vae__epochs=8),
               bench("cifar", {"snn": [0.80] * 3}, vae__epochs=40),              # x2 on both: +0.1 mean
               bench("mnist", {"snn": [0.79] * 3}, vae__epochs=2),
               bench("cifar", {"snn": [0.79] * 3}, vae__epochs=10)]              # x0.5 on both: -1 point
    chosen = knobs(*benches)
    assert chosen["sampling.ascent_steps"]["chosen"] == "30"
    assert chosen["sampling.ascent_steps"]["scores"]["30"] == pytest.approx(0.805)
    assert chosen["vae.epochs"]["scores"].keys() == {"x0.5", "x1", "x2"} and chosen["vae.epochs"]["chosen"] == "x1"
    assert chosen["sampling.seed_choice"]["chosen"] is None  # no other value run yet
    del benches[1]  # a value run on MNIST only is not scored, and the knob waits for it
    steps = knobs(*benches)["sampling.ascent_steps"]
    assert steps["scores"].keys() == {"10", "3"} and steps["chosen"] is None
    del benches[-2:]  # x0.5 not run: vae.epochs is not decided on x1 and x2 alone
    assert knobs(*benches)["vae.epochs"]["chosen"] is None


def test_each_value_keeps_its_datasets_aucs_its_paired_difference_from_today_and_its_seconds():
    benches = [bench("mnist", {"snn": [0.82, 0.825, 0.815]}, seconds=1.5, sampling__ascent_steps=30),
               bench("cifar", {"snn": [0.79, 0.80, 0.81]}, seconds=2.5, sampling__ascent_steps=30),
               bench("mnist", {"snn": [0.70] * 3}, sampling__seed_choice="hardest")]  # CIFAR-10 not run yet
    chosen = knobs(*benches)
    steps = chosen["sampling.ascent_steps"]
    assert steps["today"] == "10"
    assert steps["per_dataset"]["30"] == pytest.approx({"mnist": 0.82, "cifar": 0.80})
    assert steps["minus_today"]["30"]["mnist"]["mean"] == pytest.approx(0.02)
    assert steps["minus_today"]["30"]["mnist"]["separable"] is True  # +2, +2.5, +1.5 points
    assert steps["minus_today"]["30"]["cifar"]["separable"] is False  # -1, 0, +1
    assert steps["selection_seconds"]["30"] == {"mnist": 1.5, "cifar": 2.5}
    assert "10" not in steps["minus_today"]  # today is not paired with itself
    assert chosen["sampling.seed_choice"]["per_dataset"]['"hardest"'] == pytest.approx({"mnist": 0.70})


def test_a_bench_that_moves_anything_but_a_knob_or_more_than_one_is_refused():
    with pytest.raises(BenchError, match="b0, b2: each fits recipe 'rule1' on mnist \\(b2 moves task.steps = 600 "
                                         "from b0\\)"):
        knobs(bench("mnist", {"snn": [0.9] * 3}, task__steps=600))
    with pytest.raises(BenchError, match="b2: fits no recipe of the rule on mnist: it moves sampling.ascent_steps = 3, "
                                         "task.restart_each_round = False from recipe rule1's bench \\(b0\\)"):
        knobs(bench("mnist", {"snn": [0.9] * 3}, sampling__ascent_steps=3, task__restart_each_round=False))
    with pytest.raises(BenchError, match="it moves sampling.ascent_steps = 30, vae.epochs = 8 from recipe rule1"):
        knobs(bench("mnist", {"snn": [0.9] * 3}, sampling__ascent_steps=30, vae__epochs=8))
    test_bench = summary({"snn": strategy([0.9] * 3)}, config=recorded_config(split="test", sampling__ascent_steps=3))
    with pytest.raises(BenchError, match="b2: scored on 'test'"):
        knobs(test_bench)


def test_a_key_recorded_only_by_newer_benches_counts_as_moved_only_away_from_how_older_ones_ran():
    older = [summary(b.strategies, config={k: v for k, v in b.config.items()}) for b in TODAY]
    for b in older:
        del b.config["task"]["class_balance"]  # recorded before the key existed: it ran with 0
    newer = bench("mnist", {"snn": [0.81] * 3}, sampling__ascent_steps=30)  # records class_balance = 0
    got = verdict("rule2.toml", *older, newer)["knobs"]["snn"]["sampling.ascent_steps"]
    assert got["per_dataset"]["30"] == pytest.approx({"mnist": 0.81})
    leaning = bench("mnist", {"snn": [0.81] * 3}, sampling__ascent_steps=30, task__class_balance=0.5)
    with pytest.raises(BenchError, match="task.class_balance = 0.5"):
        verdict("rule2.toml", *older, leaning)


DEFAULTS = [bench(d, {"snn": [0.84] * 5, "margin-sub": [0.85] * 5}, recipe="today") for d in POOLS]


def combination(aucs: dict[str, list[float]], seconds: float = 1.0, **moved) -> list:
    return [bench(d, {"snn": aucs[d]}, seconds=seconds, recipe="today", **moved) for d in POOLS]


STEPS_30 = every_value(**{"sampling__ascent_steps=30": {"mnist": 0.83, "cifar": 0.83}})  # chosen: 30, the rest today's
AHEAD = {"mnist": [0.86, 0.87, 0.86, 0.87, 0.86], "longtail": [0.85] * 5, "cifar": [0.85] * 5}


def test_the_combination_meets_the_goal_only_ahead_somewhere_and_within_three_times_the_cost():
    result = verdict("rule2.toml", *TODAY, *STEPS_30, *DEFAULTS, *combination(AHEAD, sampling__ascent_steps=30))
    assert result["knobs"]["snn"]["sampling.ascent_steps"]["chosen"] == "30"
    (judged,) = result["combination"]  # snn-steer has no runs, so nothing is decided for it
    assert judged["strategy"] == "snn" and judged["ahead_on"] == ["mnist"]
    assert judged["cost_ratio"] == pytest.approx(2.0) and judged["goal_met"] is True
    assert judged["minus_untuned"]["mnist"]["mean"] == pytest.approx(0.024)
    assert judged["auc"]["cifar"] == pytest.approx(0.85)
    assert judged["selection_seconds"]["mnist"] == [1.0, 0.5]
    costly = verdict("rule2.toml", *TODAY, *STEPS_30, *DEFAULTS,
                     *combination(AHEAD, seconds=2.0, sampling__ascent_steps=30))["combination"][0]
    assert costly["cost_ratio"] == pytest.approx(4.0) and costly["goal_met"] is False  # 4x the default's seconds


def test_the_combination_must_move_exactly_the_chosen_knobs_on_every_dataset():
    with pytest.raises(BenchError, match="b[0-9]+ moves sampling.ascent_steps=30, vae.epochs=x2; no strategy's "
                                         "chosen knobs move exactly that"):
        verdict("rule2.toml", *TODAY, *STEPS_30, *DEFAULTS,
                *combination(AHEAD, sampling__ascent_steps=30, vae__epochs=8)[:1])
    partial = combination(AHEAD, sampling__ascent_steps=30)[:2]
    with pytest.raises(BenchError, match="snn's combination \\(sampling.ascent_steps=30\\) has no bench on cifar"):
        verdict("rule2.toml", *TODAY, *STEPS_30, *DEFAULTS, *partial)
    short = [bench(d, {"snn": [0.9] * 3}, recipe="today", sampling__ascent_steps=30) for d in POOLS]
    with pytest.raises(BenchError, match="snn and margin-sub need seeds 0, 1, 2, 3, 4"):
        verdict("rule2.toml", *TODAY, *STEPS_30, *DEFAULTS, *short)
    undecided = [b for b in STEPS_30 if "hardest" not in str(b.config)]
    with pytest.raises(BenchError, match="snn has not decided sampling.seed_choice yet"):
        verdict("rule2.toml", *TODAY, *undecided, *DEFAULTS, *combination(AHEAD, sampling__ascent_steps=30))
