"""experiments/archive/held_out_noise.py: round-to-round changes, flips and their standard error, on known answers."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

_SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "archive" / "held_out_noise.py"
sys.path.insert(0, str(_SCRIPT.parent))
_spec = importlib.util.spec_from_file_location("held_out_noise", _SCRIPT)
noise = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(noise)


def test_a_step_counts_images_right_under_one_model_only():
    before = np.array([True, True, False, False])
    after = np.array([True, False, True, True])
    (row,) = noise.transitions([100, 250], [before, after])
    assert row["from"] == 100 and row["to"] == 250
    assert row["change"] == pytest.approx(0.25)  # 2/4 -> 3/4
    assert row["flips"] == 3  # images 1, 2, 3 changed; image 0 right under both
    assert row["se"] == pytest.approx(math.sqrt(3) / 4)


def test_largest_fall_is_the_worst_step_down_and_zero_for_a_rising_curve():
    c = [np.array(v, dtype=bool) for v in ([1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 1, 1])]
    rows = noise.transitions([1, 2, 3, 4], c)
    assert [r["change"] for r in rows] == pytest.approx([-0.25, 0.5, -0.5])
    assert noise.largest_fall(c) == pytest.approx(0.5)
    assert noise.largest_fall(c[1:3]) == 0.0


def test_pooling_both_splits_adds_their_images():
    rerun = {"labelled": [100, 250],
             "correct": {"validation": [np.array([True, True]), np.array([False, False])],  # -1.0
                         "test": [np.array([False, False]), np.array([True, True])]}}      # +1.0
    report = noise.seed_report(1, "abcd1234", rerun)
    assert report["largest_fall"] == {"validation": pytest.approx(1.0), "test": 0.0, "pooled": 0.0}
    assert report["pooled"][0]["flips"] == 4 and report["pooled"][0]["se"] == pytest.approx(0.5)
    assert "| 100 -> 250 | -100.00 | 2 |" in noise.markdown(report)


def test_a_rerun_that_does_not_reproduce_the_bench_stops_with_one_line():
    rerun = {"labelled": [100, 250], "accuracy": [0.50, 0.61]}
    noise.check_reproduced(0, rerun, [100, 250], [0.50, 0.61])  # the same: passes
    with pytest.raises(SystemExit, match="does not reproduce the recorded run"):
        noise.check_reproduced(0, rerun, [100, 250], [0.50, 0.62])
    with pytest.raises(SystemExit, match="visited"):
        noise.check_reproduced(0, rerun, [100, 250, 400], [0.50, 0.61, 0.7])


def test_a_strategy_or_seed_the_bench_lacks_is_a_one_line_error(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"split": "test", "strategies": {"margin-sub": {
        "seeds": [0, 1], "run_ids": ["a", "b"], "curve": [{"labelled": 100, "per_seed": [0.5, 0.5]}]}}}))
    with pytest.raises(SystemExit, match="no strategy 'snn' \\(it has margin-sub\\)"):
        noise.main([str(path), "--strategy", "snn"])
    with pytest.raises(SystemExit, match=r"no run at seed\(s\) \[4\]"):
        noise.main([str(path), "--strategy", "margin-sub", "--seeds", "1,4"])
    with pytest.raises(SystemExit, match="comma-separated integers"):
        noise.main([str(path), "--strategy", "margin-sub", "--seeds", "one"])
    with pytest.raises(SystemExit, match="not a readable bench JSON"):
        noise.main([str(tmp_path / "absent.json"), "--strategy", "margin-sub"])


def test_a_run_the_home_does_not_hold_is_a_one_line_error(tmp_path, monkeypatch):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"split": "test", "strategies": {"margin-sub": {
        "seeds": [0], "run_ids": ["0a1b2c3d"], "curve": [{"labelled": 100, "per_seed": [0.5]}]}}}))
    monkeypatch.setenv("ALSS_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit, match="run 0a1b2c3d: not in .*set ALSS_HOME to the bench's home"):
        noise.main([str(path), "--strategy", "margin-sub"])


def test_threads_below_one_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit, match="--threads 0: must be at least 1"):
        noise.main([str(tmp_path / "bench.json"), "--strategy", "margin-sub", "--threads", "0"])


def test_run_ids_follow_the_bench_seeds_not_the_strategy_seeds():
    # a strategy run at seeds 3, 4 of a 5-seed bench: its run ids sit at the bench's positions
    doc = {"seeds": [0, 1, 2, 3, 4]}
    sdoc = {"seeds": [3, 4], "run_ids": [None, None, None, "run3", "run4"]}
    assert noise.run_id_of(doc, sdoc, 4) == "run4"
    # a merged summary lists them by the strategy's own seeds
    assert noise.run_id_of({"seeds": [0, 1, 2, 3, 4]}, {"seeds": [0, 1], "run_ids": ["r0", "r1"]}, 1) == "r1"
    with pytest.raises(SystemExit, match="no run id"):
        noise.run_id_of(doc, {"seeds": [3], "run_ids": [None] * 5}, 3)
