"""A real runner with a person as the label source: it stops at the gate (no process
waits for a person), the submit continues it, a resume while waiting proposes the
same candidates, and it runs on an unlabelled image folder."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from alss_tui.store.labels import LabelLog
from alss_tui.store.locks import is_held
from alss_tui.store.registry import Registry
from alss_tui.store.status import live_status
from alss_tui.store.run_folder import RunFolder
from conftest import REPO, cli
from review_helpers import drive_review

pytestmark = pytest.mark.slow

TINY_HUMAN = """
name = "tiny-human"
seed = 0
device = "cpu"
[data]
{data}
[vae]
epochs = 2
width = 16
[task]
width = 16
steps = 30
[sampling]
strategy = "snn"
initial = {initial}
per_round = {per_round}
budget = {budget}
[oracle]
kind = "human"
"""


def write_config(tmp_path, data='dataset = "digits"', initial=10, per_round=6, budget=22):
    path = tmp_path / "human.toml"
    path.write_text(TINY_HUMAN.format(data=data, initial=initial, per_round=per_round, budget=budget))
    return path


def start_runner(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "alss_tui", "run", *args, "--quiet"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_until(predicate, timeout=120.0, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"runner exited early ({proc.returncode}): {proc.stderr.read()}")
        time.sleep(0.2)
    raise AssertionError("timed out")


def waiting_round(home, run_id):
    doc = Registry(home).get(run_id) or {}
    return doc.get("waiting_round") if doc.get("status") == "awaiting-labels" else None


def the_run_id(home):
    runs = home / "runs"
    found = [p.name for p in runs.iterdir()] if runs.is_dir() else []
    return found[0] if len(found) == 1 else None


def stopped_at_gate(home, run_id, round_no):
    """Round `round_no` waits for labels and no process runs the run (the runner stopped)."""
    folder = RunFolder(home / "runs" / run_id)
    return waiting_round(home, run_id) == round_no and not is_held(folder.lock_path)


def run_finished(home, run_id):
    folder = RunFolder(home / "runs" / run_id)
    return (Registry(home).get(run_id) or {}).get("status") == "finished" and not is_held(folder.lock_path)


def read_events(folder_path):
    return [json.loads(x) for x in (folder_path / "events.jsonl").read_text().splitlines()]


def label_csv(tmp_path, name, rows):
    path = tmp_path / name
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([("index", "label"), *rows])
    return path


def test_review_gate_keyboard_submit_resume_and_finish(home, tmp_path):
    proc = start_runner(str(write_config(tmp_path)))
    try:
        run_id = wait_until(lambda: the_run_id(home), proc=proc)
        # The runner stops at the gate: nothing stays resident while a person labels.
        assert proc.wait(timeout=180) == 0, proc.stderr.read()
        assert f"round 0 waits for a person's labels: alss-tui review {run_id}" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    folder_path = home / "runs" / run_id
    folder = RunFolder(folder_path)
    assert stopped_at_gate(home, run_id, 0)
    assert live_status(folder, Registry(home).get(run_id)) == "awaiting-labels"  # waiting, not crashed
    listed = json.loads(cli("ls", "--json").stdout)
    assert listed[0]["status"] == "awaiting-labels"

    async def label_rounds_0_and_1(app, pilot):
        screen = app.screen
        assert screen.session.round == 0 and screen.session.total == 10
        await pilot.press("1", "2", "x", "backspace", "3")  # undo the reject, label instead
        await pilot.press(*"4567890")  # candidates 3-9
        await pilot.press("x")  # the cursor stays on the last one: re-decided as a reject
        await pilot.press("enter")
        await pilot.pause()
        assert screen.session.state.is_submitted
        # The submit started the runner again; the screen notices round 1 by itself.
        for _ in range(240):
            await pilot.pause(0.5)
            if screen.session.round == 1:
                break
        assert screen.session.round == 1 and not screen.session.read_only
        await pilot.press("a", "x")  # two decisions, then the screen is closed
        return dict(screen.session.decisions)

    kept = drive_review(home, run_id, label_rounds_0_and_1)
    state0 = LabelLog(folder_path / "labels.jsonl").round(0)
    assert sorted(v for v in state0.current().values() if v is not None) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert list(state0.current().values()).count(None) == 1
    wait_until(lambda: stopped_at_gate(home, run_id, 1))
    first = json.loads((folder_path / "review" / "r001.json").read_text())

    bad = cli("label", run_id, "--from", str(label_csv(tmp_path, "bad.csv", [(99999, "1")])))
    assert bad.returncode == 1 and "item 99999 is not a candidate of round 1" in bad.stderr
    # A resume while waiting proposes the same candidates and stops at the same gate.
    resumed = start_runner("--resume", run_id)
    try:
        assert resumed.wait(timeout=180) == 0, resumed.stderr.read()
    finally:
        if resumed.poll() is None:
            os.killpg(resumed.pid, signal.SIGKILL)
    assert stopped_at_gate(home, run_id, 1)
    again = json.loads((folder_path / "review" / "r001.json").read_text())
    assert [c["item"] for c in again["candidates"]] == [c["item"] for c in first["candidates"]]

    async def reopen(app, pilot):
        return app.screen.session.round, dict(app.screen.session.decisions)

    assert drive_review(home, run_id, reopen) == (1, kept)
    rest = [(c["item"], "5") for c in again["candidates"] if c["item"] not in kept]
    done = cli("label", run_id, "--from", str(label_csv(tmp_path, "r1.csv", rest)))
    assert done.returncode == 0, done.stderr
    assert "not running" not in done.stdout  # the submit started the runner again
    wait_until(lambda: stopped_at_gate(home, run_id, 2))
    r2 = json.loads((folder_path / "review" / "r002.json").read_text())
    done = cli("label", run_id, "--from", str(label_csv(tmp_path, "r2.csv",
                                                        [(c["item"], "7") for c in r2["candidates"]])))
    assert done.returncode == 0, done.stderr
    wait_until(lambda: run_finished(home, run_id), timeout=180)
    events = read_events(folder_path)
    applied = {e["round"]: e for e in events if e["type"] == "LabelsApplied"}
    assert applied[1]["added"] == 6 - 1 and applied[1]["rejected"] == 1  # the kept reject counts
    assert applied[2]["added"] == 6
    assert events[-1]["type"] == "RunFinished" and events[-1]["labelled"] == 9 + 5 + 6
    # One request per round: a runner started again after a submit asks for nothing.
    assert [e["round"] for e in events if e["type"] == "LabelsRequested"] == [0, 1, 1, 2]
    assert (Registry(home).get(run_id) or {})["status"] == "finished"


def test_unlabelled_folder_runs_with_a_person_as_the_only_label_source(home, tmp_path):
    from PIL import Image
    from sklearn.datasets import load_digits

    images = tmp_path / "images"
    images.mkdir()
    digits = load_digits()
    for k in range(60):
        Image.fromarray((digits.images[k] * 16).astype(np.uint8)).save(images / f"img{k:03d}.png")
    data = f'dataset = "folder"\ndata_root = {json.dumps(str(images))}\nclass_names = ["zero", "one", "two"]\nimage_size = 8'
    proc = start_runner(str(write_config(tmp_path, data=data, initial=8, per_round=6, budget=14)))
    try:
        run_id = wait_until(lambda: the_run_id(home), proc=proc)
        assert proc.wait(timeout=180) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    folder_path = home / "runs" / run_id
    for round_no in (0, 1):
        wait_until(lambda: stopped_at_gate(home, run_id, round_no))
        review = json.loads((folder_path / "review" / f"r{round_no:03d}.json").read_text())
        assert review["classes"] == ["zero", "one", "two"]
        assert all(c["path"].startswith(str(images)) for c in review["candidates"])
        rows = [(c["item"], ("zero", "one", "two", "")[k % 4]) for k, c in enumerate(review["candidates"])]
        done = cli("label", run_id, "--from", str(label_csv(tmp_path, f"f{round_no}.csv", rows)))
        assert done.returncode == 0, done.stderr
    wait_until(lambda: run_finished(home, run_id), timeout=180)
    doc = Registry(home).get(run_id)
    assert doc["status"] == "finished" and doc["accuracy"] is None  # no test split: nothing to score
    events = read_events(folder_path)
    finished = events[-1]
    assert finished["type"] == "RunFinished" and finished["accuracy"] is None
    assert finished["labelled"] == 6 + 5  # every fourth answer was a reject


def test_si_synthetic_images_are_labelled_by_a_person(home, tmp_path):
    config = write_config(tmp_path, initial=8, per_round=4, budget=12).read_text().replace('"snn"', '"si"')
    (tmp_path / "si.toml").write_text(config)
    proc = start_runner(str(tmp_path / "si.toml"))
    try:
        run_id = wait_until(lambda: the_run_id(home), proc=proc)
        assert proc.wait(timeout=180) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    folder_path = home / "runs" / run_id
    wait_until(lambda: stopped_at_gate(home, run_id, 0))
    review = json.loads((folder_path / "review" / "r000.json").read_text())
    rows = [(c["item"], str(k % 10)) for k, c in enumerate(review["candidates"])]
    assert cli("label", run_id, "--from", str(label_csv(tmp_path, "s0.csv", rows))).returncode == 0
    wait_until(lambda: stopped_at_gate(home, run_id, 1))
    review = json.loads((folder_path / "review" / "r001.json").read_text())
    assert all(c["kind"] == "synthetic" and c["item"] < 0 for c in review["candidates"])
    rows = [(c["item"], "reject" if k == 0 else "4") for k, c in enumerate(review["candidates"])]
    done = cli("label", run_id, "--from", str(label_csv(tmp_path, "s1.csv", rows)))
    assert done.returncode == 0, done.stderr
    wait_until(lambda: run_finished(home, run_id), timeout=180)
    events = read_events(folder_path)
    applied = [e for e in events if e["type"] == "LabelsApplied" and e["round"] == 1][0]
    assert applied["added"] == 3 and applied["rejected"] == 1
    assert events[-1]["type"] == "RunFinished" and events[-1]["labelled"] == 8 + 3
