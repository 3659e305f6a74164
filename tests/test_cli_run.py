"""`alss-tui run` as a user runs it: a subprocess, real digits data, JSON out."""

import json

import pytest

from conftest import REPO, cli

FAST = ["--set", "vae.epochs=2", "--set", "vae.width=16", "--set", "task.steps=40", "--set", "task.epochs=0", "--set", "task.width=16",
        "--set", "sampling.initial=30", "--set", "sampling.per_round=20", "--set", "sampling.budget=70"]


@pytest.mark.slow
def test_run_json_reports_every_round_and_writes_the_run_folder(home):
    result = cli("run", "digits-snn", "--json", *FAST)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["config"]["sampling"]["strategy"] == "snn" and doc["config"]["vae"]["epochs"] == 2
    assert [r["labelled"] for r in doc["rounds"]] == [30, 50, 70]
    assert [r["round"] for r in doc["rounds"]] == [0, 1, 2]
    assert all(0.0 <= r["accuracy"] <= 1.0 and r["seconds"] > 0 for r in doc["rounds"])
    folder = home / "runs" / doc["run_id"]
    assert (folder / "config.toml").is_file()
    lines = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    types = [line["type"] for line in lines]
    assert types[0] == "RunStarted" and types[-1] == "RunFinished"
    assert types.count("RoundFinished") == 3 and "CandidatesProposed" in types
    proposed = [line for line in lines if line["type"] == "CandidatesProposed" and line["round"] == 1][0]
    assert all(c["seed_index"] is not None and c["distance"] is not None for c in proposed["candidates"])


def test_run_table_output(home):
    # In this process (the fast lane's run through the progress view); the others are subprocesses.
    from typer.testing import CliRunner

    from alss_tui.cli import app

    result = CliRunner().invoke(app, ["run", "digits-random", *FAST])
    assert result.exit_code == 0, result.output[-2000:]
    assert "test accuracy" in result.stdout and "labelled" in result.stdout
    rows = [[cell.strip() for cell in line.split("│")[1:3]] for line in result.stdout.splitlines() if line.startswith("│")]
    assert rows == [["0", "30"], ["1", "50"], ["2", "70"]]  # one row per round: its labelled count
    assert "round 2: 70 labels" in result.stdout  # the progress view's line per round


@pytest.mark.parametrize("args, message", [
    (["--set", "sampling.budget=-1"], "sampling.budget"),
    (["--set", "sampling.budget=99999"], "sampling.budget: 99999 is larger than the pool"),
    (["--set", "sampling.nope=1"], "sampling.nope: unknown key"),
    (["--set", "vae.epochs=lots"], "vae.epochs: expected an integer"),
])
@pytest.mark.slow
def test_bad_config_is_one_line_and_exit_1(home, args, message):
    result = cli("run", "digits-snn", *args)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


def test_missing_config_file(home, tmp_path):
    result = cli("run", str(tmp_path / "nope.toml"))
    assert result.returncode == 1 and "no such config file" in result.stderr


@pytest.mark.slow
def test_missing_mnist_files_name_the_path(home, tmp_path):
    result = cli("run", "mnist-snn", "--set", f"data.data_root={json.dumps(str(tmp_path))}")
    assert result.returncode == 1
    assert str(tmp_path) in result.stderr and "MNIST files not found" in result.stderr
