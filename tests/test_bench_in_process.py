"""The bench driven in this process (no interpreter start-up per command), so the fast lane
(`-m "not slow"`) runs the grid, both local executors, the cell sink and the export of a cell's
model. The subprocess tests of test_bench.py and test_bench_parallel.py pin the rest."""

from __future__ import annotations

import json

import torch
from typer.testing import CliRunner

from alss_tui.bench.summary import without_timings
from alss_tui.cli import app

# Two rounds a cell (30 -> 60 labels) on the digits.
TINY = ["--set", "vae.epochs=1", "--set", "vae.width=8", "--set", "task.width=8", "--set", "task.steps=20",
        "--set", "task.epochs=0", "--set", "sampling.initial=30", "--set", "sampling.per_round=30",
        "--set", "sampling.budget=60"]
GRID = ["bench", "--strategies", "random,margin-sub", "--seeds", "1", "--json", *TINY]


def _bench(home, *extra: str) -> dict:
    result = CliRunner().invoke(app, [*GRID, *extra], env={"ALSS_HOME": str(home)})
    assert result.exit_code == 0, result.output[-2000:]
    return json.loads(result.stdout[result.stdout.index("{"):])


def test_one_process_and_two_jobs_write_the_same_table_and_a_cell_exports_its_model(tmp_path):
    one = _bench(tmp_path / "one", "--cpus-per-run", "1")  # as each parallel cell gets: the same arithmetic
    two = _bench(tmp_path / "two", "--jobs", "2")
    assert without_timings(two) == without_timings(one)
    # Rerunning a finished bench starts nothing and reports the same.
    assert without_timings(_bench(tmp_path / "one", "--cpus-per-run", "1")) == without_timings(one)

    registry = json.loads((tmp_path / "one" / "registry.json").read_text())["runs"]
    assert sorted(doc["status"] for doc in registry.values()) == ["finished", "finished"]
    run_id = next(iter(registry.values()))["id"]
    out = tmp_path / "export"
    result = CliRunner().invoke(app, ["export", run_id, "--to", str(out)], env={"ALSS_HOME": str(tmp_path / "one")})
    assert result.exit_code == 0, result.output[-2000:]
    model = torch.jit.load(str(out / "model.pt"))
    meta = json.loads((out / "model.json").read_text())
    shape = meta["input"]["channels"], meta["input"]["height"], meta["input"]["width"]
    probs = model(torch.zeros(2, *shape, dtype=torch.uint8))
    assert probs.shape == (2, len(meta["classes"])) and torch.allclose(probs.sum(1), torch.ones(2))
