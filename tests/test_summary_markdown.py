"""experiments/summary_to_markdown.py: a bench that differs only in its oracle (SI's) pairs with another by seed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "summary_to_markdown.py"
sys.path.insert(0, str(_SCRIPT.parent))
_spec = importlib.util.spec_from_file_location("summary_to_markdown", _SCRIPT)
tables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tables)


def strategy(seeds: list[int], aucs: list[float]) -> dict:
    return {"runs": len(seeds), "seeds": seeds, "auc": {"mean": sum(aucs) / len(aucs), "std": 0.0, "per_seed": aucs},
            "curve": [{"labelled": 100, "per_seed": aucs}]}


def bench(strategies: dict, oracle: str = "simulated", imbalance: int = 1, first: str = "snn") -> dict:
    # as `alss-tui bench` records it: the run name, seed and strategy of its base config are not its recipe
    config = {"name": f"mnist-{first}", "seed": 0, "data": {"imbalance": imbalance},
              "sampling": {"strategy": first}, "oracle": {"kind": oracle}}
    return {"config": config, "split": "validation", "seeds": [0, 1, 2, 3, 4], "against": "random",
            "strategies": strategies}


def test_si_from_its_own_bench_pairs_by_seed_with_the_grids_strategies():
    grid = bench({"margin-sub": strategy([0, 1, 2, 3, 4], [0.90, 0.91, 0.92, 0.93, 0.94])})
    si = bench({"si": strategy([0, 1, 2], [0.80, 0.82, 0.81])}, oracle="function", first="si")
    paired = tables.paired(tables.merged(grid, si), "margin-sub")
    # seeds 0-2 only: (0.80-0.90, 0.82-0.91, 0.81-0.92) = (-0.10, -0.09, -0.11)
    assert paired["si"]["n_seeds"] == 3
    assert paired["si"]["auc"]["mean"] == pytest.approx(-0.10)
    assert paired["si"]["auc"]["separable"] is True
    assert "| si | 3 | **-10.00 [" in tables.paired_table(tables.merged(grid, si), "margin-sub")


def test_a_bench_of_another_pool_is_refused():
    grid = bench({"margin-sub": strategy([0, 1], [0.9, 0.9])})
    skewed = bench({"si": strategy([0, 1], [0.8, 0.8])}, oracle="function", imbalance=100)
    with pytest.raises(SystemExit, match="differ in more than the oracle \\(data.imbalance\\)"):
        tables.merged(grid, skewed)


def test_a_strategy_in_both_benches_is_refused():
    grid = bench({"si": strategy([0, 1], [0.9, 0.9])})
    with pytest.raises(SystemExit, match="si is in both benches"):
        tables.merged(grid, bench({"si": strategy([0, 1], [0.8, 0.8])}, oracle="function"))


def test_a_missing_or_broken_bench_file_is_one_line_not_a_traceback(tmp_path):
    broken = tmp_path / "bench.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(SystemExit, match="bench.json: not a readable bench JSON"):
        tables.load(broken)
    with pytest.raises(SystemExit, match="absent.json: not a readable bench JSON"):
        tables.load(tmp_path / "absent.json")
