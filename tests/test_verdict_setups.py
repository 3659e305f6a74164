"""choose-setup and combine (experiments/rules/fewer-labels.toml's kinds) on hand-made validation benches."""

from __future__ import annotations

import json

import pytest

from alss_tui.bench.verdict.engine import apply_rule, dumps
from alss_tui.bench.verdict.rule import load_rule
from alss_tui.errors import BenchError
from bench_helpers import from_curves, recorded_config, summary

POOLS = {"mnist": ("mnist", 1.0), "cifar": ("cifar10", 1.0)}
TODAY = {"task__semi": "none", "sampling__initial_strategy": "random"}
RULE = """
title = "setups"
split = "validation"
[datasets]
mnist = {dataset = "mnist", imbalance = 1}
cifar = {dataset = "cifar10"}
[recipes]
today = {task.semi = "none", sampling.initial_strategy = "random"}
self = {task.semi = "self-training", sampling.initial_strategy = "random"}
typical = {task.semi = "none", sampling.initial_strategy = "typiclust"}
[[steps]]
id = "semi"
kind = "choose-setup"
datasets = ["mnist", "cifar"]
seeds = [0, 1, 2]
candidates = ["today/margin-sub", "self/margin-sub"]
[[steps]]
id = "first"
kind = "choose-setup"
datasets = ["mnist", "cifar"]
seeds = [0, 1, 2]
candidates = ["today/margin-sub", "typical/margin-sub"]
[[steps]]
id = "per_round"
kind = "choose-setup"
datasets = ["mnist", "cifar"]
seeds = [0, 1, 2]
candidates = ["today/margin-sub", "today/margin"]
[[steps]]
id = "combination"
kind = "combine"
from = "today"
steps = ["semi", "first", "per_round"]
default = "margin-sub"
datasets = ["mnist", "cifar"]
seeds = [0, 1, 2]
also = ["snn"]
"""

LOW, HIGH = [[0.50, 0.60, 0.70]] * 3, [[0.60, 0.70, 0.80]] * 3
BELOW = [[0.45, 0.55, 0.66], [0.44, 0.56, 0.65], [0.45, 0.55, 0.65]]


def bench(dataset, strategies, **settings):
    name, imbalance = POOLS[dataset]
    return summary({s: from_curves(c) for s, c in strategies.items()},
                   config=recorded_config(name, imbalance, **{**TODAY, **settings}))


def run(tmp_path, *benches):
    path = tmp_path / "setups.toml"
    path.write_text(RULE)
    doc, _ = apply_rule(load_rule(path), [(f"b{k}", b) for k, b in enumerate(benches)])
    return json.loads(dumps(doc))["verdict"]


def test_the_best_setup_of_each_step_combined_is_found_and_judged_against_the_default(tmp_path):
    benches = []
    for d in POOLS:
        benches.append(bench(d, {"margin-sub": LOW, "margin": BELOW, "snn": LOW}))  # today
        benches.append(bench(d, {"margin-sub": HIGH, "snn": LOW}, task__semi="self-training"))  # self-training wins
        benches.append(bench(d, {"margin-sub": LOW}, sampling__initial_strategy="typiclust"))  # no gain
        # the combination: self-training with today's first round (the only step that moved)
    v = run(tmp_path, *benches)
    assert v["semi"]["winner"] == "self/margin-sub" and v["semi"]["tied"] == []
    # Identical AUCs tie (an interval of 0 contains 0); at equal cost the first listed, today's, stays.
    assert v["first"]["tied"] == ["typical/margin-sub"] and v["first"]["winner"] == "today/margin-sub"
    assert v["per_round"]["winner"] == "today/margin-sub"  # margin is separably below on both datasets
    c = v["combination"]  # self-training alone moved: its own bench is the combination
    assert c["strategy"] == "margin-sub" and c["moves"]["mnist"] == {"task.semi": "self-training"}
    assert c["adopt"] is True and c["mean_change"] == pytest.approx(0.10)


def test_a_combination_of_two_moves_needs_its_own_bench_and_says_so(tmp_path):
    benches = []
    for d in POOLS:
        benches.append(bench(d, {"margin-sub": LOW, "margin": LOW}))
        benches.append(bench(d, {"margin-sub": HIGH}, task__semi="self-training"))
        benches.append(bench(d, {"margin-sub": HIGH}, sampling__initial_strategy="typiclust"))
    pending = run(tmp_path, *benches)["combination"]
    assert pending["adopt"] is None
    assert pending["pending"][0].startswith("mnist: a bench moving sampling.initial_strategy=typiclust, task.semi=")
    for d in POOLS:  # the combination's bench: both moves
        benches.append(bench(d, {"margin-sub": [[0.7, 0.8, 0.9]] * 3, "snn": HIGH}, task__semi="self-training",
                             sampling__initial_strategy="typiclust"))
    v = run(tmp_path, *benches)
    c = v["combination"]
    assert c["also"]["snn"]["mnist"]["minus_combination"]["mean"] == pytest.approx(-0.10)
    assert c["moves"]["cifar"] == {"task.semi": "self-training", "sampling.initial_strategy": "typiclust"}
    assert c["auc"]["mnist"] == pytest.approx(0.8) and c["adopt"] is True
    assert c["largest_fall"]["mnist"]["combination"] == [0.0, 0.0, 0.0]


def test_a_candidate_that_is_not_recipe_slash_strategy_is_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(RULE.replace('"today/margin", ', '"today-margin", ').replace('["today/margin-sub", "today/margin"]',
                                                                               '["today/margin-sub", "today-margin"]'))
    with pytest.raises(BenchError, match="is not recipe/strategy"):
        load_rule(path)


def test_a_grid_in_progress_gives_the_steps_it_can_and_names_what_the_others_wait_for(tmp_path):
    benches = [bench(d, {"margin-sub": LOW, "margin": BELOW, "snn": LOW}) for d in POOLS]  # today's only
    benches.append(bench("mnist", {"margin-sub": HIGH[:2]}, task__semi="self-training"))  # two seeds of three
    path = tmp_path / "setups.toml"
    path.write_text(RULE)
    given = lambda: [(f"b{k}", b) for k, b in enumerate(benches)]  # noqa: E731
    with pytest.raises(BenchError, match="no bench given is recipe 'self' on cifar"):
        apply_rule(load_rule(path), given())  # without partial, the first missing run is the error
    doc, _ = apply_rule(load_rule(path), given(), partial=True)
    v = doc["verdict"]
    assert v["per_round"]["winner"] == "today/margin-sub"  # its benches exist: judged as usual
    assert "self-training" in v["semi"]["pending"][0] and "on cifar" in v["semi"]["pending"][0]
    assert "typical" in v["first"]["pending"][0]
    assert v["combination"] == {"pending": ["steps semi, first are pending"]}
    assert doc["pending_steps"] == ["semi", "first", "combination"]
    benches.append(bench("cifar", {"margin-sub": HIGH}, task__semi="self-training"))
    doc, _ = apply_rule(load_rule(path), given(), partial=True)
    assert "lacks one of seeds 0, 1, 2" in doc["verdict"]["semi"]["pending"][0]  # mnist's third seed
