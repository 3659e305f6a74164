"""The default-strategy rule (experiments/apply_default_rule.py) on hand-made benches with known verdicts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "apply_default_rule.py"
sys.path.insert(0, str(_SCRIPT.parent))  # as when run as a script: it imports summary_to_markdown beside it
_spec = importlib.util.spec_from_file_location("apply_default_rule", _SCRIPT)
rule = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rule)

SEEDS = [0, 1, 2, 3, 4]


def strategy(aucs: list[float], seconds: float, reach: dict[str, list[int | None]] | None = None) -> dict:
    reach = reach or {}
    return {
        "runs": len(aucs), "seeds": SEEDS[: len(aucs)],
        "auc": {"mean": sum(aucs) / len(aucs), "std": 0.0, "per_seed": aucs},
        "curve": [{"labelled": 100, "per_seed": aucs}],
        "selection_seconds_per_round": {"mean": seconds, "std": 0.0, "n": len(aucs)},
        "labels_to_reach": {t: {"per_seed": v, "reached": sum(x is not None for x in v), "of": len(v),
                                "mean": (sum(x for x in v if x is not None) / max(1, sum(x is not None for x in v)))}
                            for t, v in reach.items()},
    }


def bench(overrides: dict[str, dict], split: str = "validation") -> dict:
    base = {c: strategy([0.50, 0.51, 0.49, 0.50, 0.50], 1.0) for c in rule.CANDIDATES}
    base.update(overrides)
    return {"split": split, "strategies": base}


def test_a_cheaper_candidate_within_noise_of_the_leader_on_every_dataset_wins():
    leader = strategy([0.90, 0.91, 0.89, 0.90, 0.92], seconds=2.0)
    cheap = strategy([0.90, 0.90, 0.89, 0.91, 0.91], seconds=0.5)  # within noise of the leader
    docs = {d: bench({"margin": leader, "margin-sub": cheap}) for d in rule.DATASETS}
    verdict = rule.decide(docs)
    assert verdict["leader"] == "margin"
    assert verdict["tied"] == ["margin-sub"]
    assert verdict["winner"] == "margin-sub"


def test_a_candidate_separably_below_the_leader_on_one_dataset_is_not_tied():
    leader = strategy([0.90, 0.91, 0.89, 0.90, 0.92], seconds=2.0)
    cheap = strategy([0.90, 0.90, 0.89, 0.91, 0.91], seconds=0.5)
    below = strategy([0.85, 0.86, 0.84, 0.85, 0.86], seconds=0.5)  # 5 points below, every seed
    docs = {"mnist": bench({"margin": leader, "margin-sub": cheap}),
            "longtail": bench({"margin": leader, "margin-sub": below}),
            "cifar": bench({"margin": leader, "margin-sub": cheap})}
    verdict = rule.decide(docs)
    assert verdict["leader"] == "margin" and verdict["tied"] == [] and verdict["winner"] == "margin"


def test_the_check_compares_the_winner_with_the_fewest_labels_of_strategies_that_reached_on_every_seed():
    winner = strategy([0.90] * 5, 0.1, {"0.95": [440] * 5})
    fast_sometimes = strategy([0.80] * 5, 0.1, {"0.95": [100, None, 100, 100, 100]})  # not every seed: ignored
    rival = strategy([0.80] * 5, 0.1, {"0.95": [400] * 5})
    docs = {d: bench({"margin-sub": winner, "entropy": fast_sometimes, "random": rival}) for d in rule.DATASETS}
    row = next(r for r in rule.decide(docs)["check"] if r["dataset"] == "mnist" and r["target"] == "0.95")
    assert (row["winner"], row["fewest"], row["by"]) == (440, 400, "random")
    assert row["within"] is True  # 440 <= 1.1 x 400
    docs["mnist"]["strategies"]["random"] = strategy([0.80] * 5, 0.1, {"0.95": [390] * 5})
    row = next(r for r in rule.decide(docs)["check"] if r["dataset"] == "mnist" and r["target"] == "0.95")
    assert row["within"] is False  # 440 > 429


def test_a_bench_scored_on_the_test_split_is_refused():
    docs = {d: bench({}) for d in rule.DATASETS}
    docs["cifar"] = bench({}, split="test")
    with pytest.raises(SystemExit, match="validation"):
        rule.decide(docs)


def test_run_drops_are_each_seeds_largest_fall_between_rounds():
    s = strategy([0.5, 0.5], 0.1)
    s["curve"] = [{"labelled": 100, "per_seed": [0.80, 0.80]}, {"labelled": 200, "per_seed": [0.85, 0.78]},
                  {"labelled": 300, "per_seed": [0.83, 0.90]}]
    drops = rule.run_drops({"mnist": {"strategies": {"margin-sub": s}}})
    assert drops["mnist"]["margin-sub"] == pytest.approx([0.02, 0.02])
    s["curve"][2]["per_seed"] = [0.86, 0.70]
    assert rule.run_drops({"mnist": {"strategies": {"margin-sub": s}}})["mnist"]["margin-sub"] == pytest.approx([0.0, 0.08])


def test_the_best_alss_variant_is_chosen_on_seeds_0_to_2_only():
    rerank = strategy([0.80, 0.80, 0.80, 0.99, 0.99], 0.1)  # seeds 3-4 ran because it was chosen: they must not count
    pseudo = strategy([0.82, 0.82, 0.82], 0.1)
    steer = strategy([0.81, 0.81, 0.81], 0.1)
    docs = {d: bench({"snn-rerank": rerank, "snn-pseudo": pseudo, "snn-steer": steer}) for d in rule.DATASETS}
    chosen = rule.decide(docs)["best_alss_variant"]
    assert chosen["best"] == "snn-pseudo"
    assert chosen["score"]["snn-rerank"] == pytest.approx(0.80)
    del docs["cifar"]["strategies"]["snn-steer"]
    assert rule.decide(docs)["best_alss_variant"] is None  # not every variant has its seeds yet


def test_the_test_table_reads_test_benches_and_pairs_with_the_winner():
    winner = strategy([0.90, 0.91, 0.89], 0.1, {"0.95": [300, 300, None], "0.90": [200, 200, 200]})
    other = strategy([0.80, 0.81, 0.79], 0.1, {"0.95": [None, None, None], "0.90": [400, 400, 400]})
    doc = {"split": "test", "targets": [0.9, 0.95], "strategies": {"margin-sub": winner, "random": other}}
    table = rule.test_markdown({"mnist": doc}, "margin-sub")
    assert "| random | 80.00 ± 0.00 (3) | **-10.00 [-10.00, -10.00]** |" in table  # bold: the interval excludes 0
    assert "| margin-sub | 90.00 ± 0.00 (3) | - |" in table
    assert "| mnist | 95% | 300 (2/3) | never (0/3) |" in table
    assert "| mnist | 90% | 200 (3/3) | 400 (3/3) |" in table  # the bench keys targets as "0.90"
    with pytest.raises(SystemExit, match="test benches"):
        rule.test_markdown({"mnist": dict(doc, split="validation")}, "margin-sub")


def test_rule5_rechecks_item_7_on_a_finer_long_tail_bench_and_refuses_other_benches():
    winner = strategy([0.90, 0.91, 0.92, 0.93, 0.94], 0.1, {"0.90": [300] * 5, "0.95": [460] * 5})
    rival = strategy([0.80, 0.82, 0.81, 0.83, 0.84], 0.1, {"0.90": [300] * 5, "0.95": [400] * 5})
    finer = {**bench({"margin-sub": winner, "entropy": rival}),
             "config": {"data": {"imbalance": 100}, "sampling": {"per_round": 100}}}
    recheck = rule.recheck_longtail(finer, "margin-sub")
    by_target = {r["target"]: r for r in recheck["check"]}
    assert (by_target["0.95"]["winner"], by_target["0.95"]["fewest"], by_target["0.95"]["by"]) == (460, 400, "entropy")
    assert by_target["0.95"]["within"] is False and by_target["0.90"]["within"] is True  # 460 > 440; 300 <= 330
    # entropy minus margin-sub: -0.10 on every seed
    assert recheck["minus_winner"]["entropy"]["auc"]["mean"] == pytest.approx(-0.10)
    assert "| 95% | 460 (5/5) | 400 (entropy) | no |" in rule.recheck_markdown(finer, recheck, "margin-sub")
    with pytest.raises(SystemExit, match="not a long-tailed pool"):
        rule.recheck_longtail({**finer, "config": {"data": {"imbalance": 1}, "sampling": {"per_round": 100}}},
                              "margin-sub")
    with pytest.raises(SystemExit, match="Rule 5 reads a validation bench"):
        rule.recheck_longtail({**finer, "split": "test"}, "margin-sub")
