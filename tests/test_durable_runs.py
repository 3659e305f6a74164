"""Runs outlive their runner: kill -9 mid-round, resume, same result; damage gives one line."""

import json
import os
import re
import signal
import time

import pytest

from conftest import cli

TINY = ["--set", "vae.epochs=2", "--set", "vae.width=16", "--set", "task.width=16", "--set", "task.steps=80", "--set", "task.epochs=0",
        "--set", "sampling.initial=30", "--set", "sampling.per_round=20", "--set", "sampling.budget=90"]


def _events(home, run_id):
    path = home / "runs" / run_id / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# Runs that must still be alive when the test kills them: longer rounds, same shape.
LONG_ROUNDS = TINY + ["--set", "task.steps=300"]
ALIVE = TINY + ["--set", "task.steps=20000"]


def _pid(home, run_id):
    from alss_tui.store.run_folder import RunFolder
    from alss_tui.store.status import runner_pid

    return runner_pid(RunFolder(home / "runs" / run_id))


def _picks_and_labels(events):
    """Per round: the items proposed and the labels applied (last record of a round wins)."""
    picks, labels = {}, {}
    for e in events:
        if e["type"] == "CandidatesProposed":
            picks[e["round"]] = [c["item"] for c in e["candidates"]]
        elif e["type"] == "LabelsApplied":
            labels[e["round"]] = dict(zip(e["items"], e["labels"]))
    return picks, labels


def _status(home, run_id):
    """The live status, read in-process (polling through the CLI would start many interpreters)."""
    from alss_tui.store.registry import Registry
    from alss_tui.store.run_folder import RunFolder
    from alss_tui.store.status import live_status

    registry = Registry(home)
    return live_status(RunFolder(registry.runs_dir / run_id), registry.get(run_id))


def _wait_for(predicate, timeout=180.0):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_kill_minus_9_mid_round_then_resume_matches_an_uninterrupted_run(home):
    reference = cli("run", "digits-snn", "--json", *LONG_ROUNDS)
    assert reference.returncode == 0, reference.stderr
    ref_id = json.loads(reference.stdout)["run_id"]
    ref_picks, ref_labels = _picks_and_labels(_events(home, ref_id))
    ref_rows = json.loads(reference.stdout)["rounds"]

    started = cli("run", "digits-snn", "--detach", *LONG_ROUNDS)
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()

    def in_round_2_training():
        try:
            return any(e["type"] == "PhaseStarted" and e["phase"] == "task" and e["round"] == 2
                       for e in _events(home, run_id))
        except (FileNotFoundError, json.JSONDecodeError):
            return False

    assert _wait_for(in_round_2_training), "runner never reached round 2"
    pid = _pid(home, run_id)  # read in-process: the kill must land mid-run, not after a CLI round trip
    assert pid
    os.kill(pid, signal.SIGKILL)
    assert _wait_for(lambda: _status(home, run_id) == "crashed", 30)
    listed = {d["id"]: d for d in json.loads(cli("ls", "--json").stdout)}
    assert listed[run_id]["status"] == "crashed"

    resumed = cli("run", "--resume", run_id[:5], "--json")
    assert resumed.returncode == 0, resumed.stderr
    doc = json.loads(resumed.stdout)
    picks, labels = _picks_and_labels(_events(home, run_id))
    assert picks == ref_picks
    assert labels == ref_labels
    assert [(r["round"], r["labelled"], r["accuracy"]) for r in doc["rounds"]] == \
        [(r["round"], r["labelled"], r["accuracy"]) for r in ref_rows]
    assert json.loads(cli("show", run_id, "--json").stdout)["status"] == "finished"


@pytest.mark.slow
def test_resume_refuses_a_running_run_and_unknown_ids(home):
    assert "no run matches" in cli("run", "--resume", "nope").stderr
    started = cli("run", "digits-snn", "--detach", *ALIVE)
    run_id = started.stdout.strip()
    assert _wait_for(lambda: _status(home, run_id) == "running", 60)
    shown = json.loads(cli("show", run_id, "--json").stdout)
    assert shown["status"] == "running" and shown["pid"] == _pid(home, run_id)
    second = cli("run", "--resume", run_id)
    assert second.returncode == 1 and "already running" in second.stderr
    removed = cli("rm", run_id, "--yes")
    assert removed.returncode == 1 and "is running" in removed.stderr
    os.kill(_pid(home, run_id), signal.SIGKILL)
    assert _wait_for(lambda: _status(home, run_id) == "crashed", 30)
    assert cli("rm", run_id, "--yes").returncode == 0
    assert not (home / "runs" / run_id).exists()
    assert run_id not in cli("ls", "--json").stdout


@pytest.fixture(scope="module")
def _finished_run_home(tmp_path_factory):
    """One finished run for the module; tests get a copy in their own home."""
    home = tmp_path_factory.mktemp("finished-home")
    result = cli("run", "digits-random", "--json", *TINY, env={"ALSS_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    return home, json.loads(result.stdout)["run_id"]


@pytest.fixture
def finished_run(home, _finished_run_home):
    import shutil

    source, run_id = _finished_run_home
    shutil.copytree(source, home, dirs_exist_ok=True)
    return run_id


@pytest.mark.slow
def test_export_writes_labels_with_reasons_rounds_and_config(home, finished_run, tmp_path):
    out = tmp_path / "export"
    assert cli("export", finished_run, "--to", str(out)).returncode == 0
    import csv

    labels = list(csv.DictReader((out / "labels.csv").open()))
    assert len(labels) == 90 and len({r["pool_index"] for r in labels}) == 90
    assert {r["labelled_by"] for r in labels} == {"simulated"}
    assert {r["round"] for r in labels} == {"0", "1", "2", "3"}
    assert {r["strategy"] for r in labels} == {"initial", "random"}
    rounds = list(csv.DictReader((out / "rounds.csv").open()))
    assert [int(r["labelled"]) for r in rounds] == [30, 50, 70, 90]
    assert "strategy = \"random\"" in (out / "config.toml").read_text()


@pytest.mark.slow
def test_damaged_files_give_one_line_and_lose_nothing(home, finished_run):
    folder = home / "runs" / finished_run
    # a torn last line in the event log: show still works and says so
    with open(folder / "events.jsonl", "a") as fh:
        fh.write('{"type": "RoundFinished", "round": 9, "lab')
    shown = cli("show", finished_run)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    with open(folder / "events.jsonl", "a") as fh:
        fh.write('\nnot json at all\n')
    assert json.loads(cli("show", finished_run, "--json").stdout)["unreadable_event_lines"] >= 1

    # a config edited into nonsense
    cfg_text = (folder / "config.toml").read_text()
    # only the per-round strategy (not initial_strategy, which also reads "random")
    (folder / "config.toml").write_text(re.sub(r'^strategy = "random"', 'strategy = 42', cfg_text, flags=re.M))
    bad = cli("show", finished_run)
    assert bad.returncode == 1 and "sampling.strategy" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    (folder / "config.toml").write_text(cfg_text)

    # a run cut short before its end (no RunFinished; a finished run has nothing to resume):
    # its checkpoints are what a resume reads
    log = folder / "events.jsonl"
    whole = log.read_text()
    log.write_text("".join(line for line in whole.splitlines(keepends=True) if '"RunFinished"' not in line))

    # a missing checkpoint
    (folder / "checkpoints" / "latest").write_text("round-077")
    missing = cli("run", "--resume", finished_run)
    assert missing.returncode == 1 and "checkpoint round-077.pt is missing" in missing.stderr
    assert "Traceback" not in missing.stderr

    # a hostile checkpoint (not a tensor file, e.g. a pickle that would run code) is refused
    (folder / "checkpoints" / "latest").write_text("evil")
    import pickle
    (folder / "checkpoints" / "evil.pt").write_bytes(pickle.dumps({"format": 1}))
    hostile = cli("run", "--resume", finished_run)
    assert hostile.returncode == 1 and "not a readable checkpoint" in hostile.stderr
    log.write_text(whole)

    # a corrupt registry: clear error, then doctor rebuilds it from the folders
    (home / "registry.json").write_text("{garbage")
    listed = cli("ls")
    assert listed.returncode == 1 and "doctor --rebuild" in listed.stderr and "Traceback" not in listed.stderr
    assert cli("doctor", "--rebuild").returncode == 0
    docs = json.loads(cli("ls", "--json").stdout)
    assert [d["id"] for d in docs] == [finished_run]
    assert docs[0]["labelled"] == 90 and docs[0]["status"] == "finished"
    assert (folder / "events.jsonl").exists() and (folder / "config.toml").exists()


def test_unknown_run_ids_are_one_line(home):
    for command in (["show", "abc"], ["export", "abc", "--to", "x"], ["rm", "abc", "--yes"]):
        result = cli(*command)
        assert result.returncode == 1 and "no run matches 'abc'" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_detached_runner_survives_its_terminal_hanging_up(home, tmp_path):
    """A shell (the 'terminal') starts a detached run and is hung up: the run goes on."""
    import subprocess
    import sys

    from conftest import REPO

    out = tmp_path / "id.txt"
    shell = subprocess.Popen(
        ["bash", "-c", f"{sys.executable} -m alss_tui run digits-snn --detach "
                       f"{' '.join(TINY)} > {out}; sleep 120"],
        cwd=REPO, start_new_session=True,
        # A terminal's shell dies on SIGHUP; the test process may have inherited it ignored.
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
    assert _wait_for(lambda: out.exists() and out.read_text().strip(), 60)
    run_id = out.read_text().strip()
    os.killpg(shell.pid, signal.SIGHUP)  # the whole terminal session hangs up
    shell.wait(60)
    assert _wait_for(lambda: _status(home, run_id) == "finished", 240)
    assert (home / "runs" / run_id / "runner.log").exists()
