"""The first cards at once: the random first round is proposed before anything trains, a person
labels it while the VAE trains, and neither a submit during training nor a kill -9 of the
runner then loses a decision."""

import json
import math
import os
import signal

import numpy as np
import pytest

from alss_tui.store.labels import LabelLog
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.status import runner_pid
from conftest import cli, tiny_config
from test_human_loop import label_csv, read_events, start_runner, stopped_at_gate, the_run_id, wait_until


def _execute(home, cfg):
    from alss_tui.runner.execute import execute
    from alss_tui.store.run_ops import create_run

    folder = create_run(home, cfg)
    return folder, execute(folder, registry=Registry(home))


def test_a_person_s_first_round_is_asked_for_before_the_vae_s_last_epoch(home):
    from dataclasses import replace

    from alss_tui.config import OracleConfig
    from alss_tui.runner.human import AwaitingLabels

    cfg = replace(tiny_config(), oracle=OracleConfig(kind="human"))
    with pytest.raises(AwaitingLabels):
        _execute(home, cfg)
    folder = RunFolder(next((home / "runs").iterdir()))
    events = read_events(folder.path)
    kinds = [(e["type"], e.get("phase"), e.get("round")) for e in events]
    asked = kinds.index(("LabelsRequested", None, 0))
    vae_epochs = [k for k, e in enumerate(events) if e["type"] == "EpochEnded" and e["phase"] == "vae"]
    assert asked < kinds.index(("PhaseStarted", "vae", 0)) < vae_epochs[-1]
    # It stops at the gate only once the VAE is trained and checkpointed: the submit continues from there.
    assert folder.latest_checkpoint().name == "vae.pt"
    assert kinds.count(("LabelsRequested", None, 0)) == 1
    with np.load(folder.review_paths(0)[1]) as npz:  # no map positions before the VAE: NaN
        assert npz["item_xy"].shape == (40, 2) and np.isnan(npz["item_xy"]).all()
    assert folder.latent_map_path.is_file()

    from alss_tui.tui.state.latent_view import LatentView

    view = LatentView(folder)
    assert view.poll()
    picture = view.picture()  # the map places the round from the pool's codes
    assert picture.current.round == 0 and not np.isnan(picture.current.item_xy).any()


@pytest.mark.slow
def test_proposing_the_first_round_early_changes_no_pick_and_no_accuracy(home):
    """The loop against the engine driven in the old order (VAE, then round 0)."""
    from alss_tui.core.engine import Engine
    from alss_tui.data.loaders import load_dataset

    cfg = tiny_config()
    _, engine = _execute(home, cfg)
    folder = RunFolder(next((home / "runs").iterdir()))
    events = read_events(folder.path)
    looped = [[c["item"] for c in e["candidates"]] for e in events if e["type"] == "CandidatesProposed"]
    looped_acc = [e["accuracy"] for e in events if e["type"] == "RoundFinished"]
    kinds = [e["type"] for e in events]
    assert kinds.index("CandidatesProposed") < kinds.index("EpochEnded")  # round 0 came first

    old = Engine(cfg, load_dataset(cfg.data))
    list(old.prepare_representation())
    list(old.fit_vae())
    picks, accuracies = [], []
    for r in range(len(looped)):
        picks.append([c.item for c in next(e for e in old.propose(r) if hasattr(e, "candidates")).candidates])
        list(old.apply_labels(r, {i: int(old.pool.truth[i]) for i in picks[-1]}))
        list(old.train_task(r))
        list(old.evaluate(r))
        list(old.finish_round(r, 0.0, {}))
        accuracies.append(old.last_accuracy)
    assert picks == looped
    assert all(math.isclose(a, b) for a, b in zip(accuracies, looped_acc))


SLOW_VAE = """
name = "first-cards"
seed = 0
device = "cpu"
[vae]
epochs = {epochs}
width = 16
[task]
width = 16
steps = 30
epochs = 0
[sampling]
initial = 10
per_round = 6
budget = 22
[oracle]
kind = "human"
"""


def _detached(tmp_path, epochs):
    path = tmp_path / "slow.toml"
    path.write_text(SLOW_VAE.format(epochs=epochs))
    proc = start_runner(str(path))
    return proc


def _training_vae(folder):
    events = read_events(folder.path) if folder.events_path.exists() else []
    return any(e["type"] == "EpochEnded" and e["phase"] == "vae" for e in events)


@pytest.mark.slow
def test_a_submit_during_training_is_taken_at_the_gate_without_a_restart(home, tmp_path):
    proc = _detached(tmp_path, epochs=80)
    try:
        run_id = wait_until(lambda: the_run_id(home), proc=proc)
        folder = RunFolder(home / "runs" / run_id)
        wait_until(lambda: folder.review_paths(0)[0].exists(), proc=proc)
        review = json.loads(folder.review_paths(0)[0].read_text())
        rows = [(c["item"], str(k % 10)) for k, c in enumerate(review["candidates"])]
        done = cli("label", run_id, "--from", str(label_csv(tmp_path, "r0.csv", rows)))
        assert done.returncode == 0, done.stderr
        training = not any(e["type"] == "LabelsApplied" for e in read_events(folder.path))
        assert proc.wait(timeout=300) == 0, proc.stderr.read()  # the same runner went on, to round 1's gate
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert training  # the submit landed while the VAE trained
    assert stopped_at_gate(home, run_id, 1)
    events = read_events(folder.path)
    assert [e["type"] for e in events].count("RunStarted") == 1
    applied = next(e for e in events if e["type"] == "LabelsApplied" and e["round"] == 0)
    assert applied["added"] == 10


@pytest.mark.slow
def test_kill_minus_9_while_the_person_labels_loses_no_decision_and_training_resumes(home, tmp_path):
    proc = _detached(tmp_path, epochs=100)
    try:
        run_id = wait_until(lambda: the_run_id(home), proc=proc)
        folder = RunFolder(home / "runs" / run_id)
        wait_until(lambda: folder.review_paths(0)[0].exists() and _training_vae(folder), proc=proc)
        review = json.loads(folder.review_paths(0)[0].read_text())
        items = [c["item"] for c in review["candidates"]]
        with LabelLog(folder.labels_path) as log:  # the person labels half the round on the screen
            for k, item in enumerate(items[:5]):
                log.decide(0, item, k, "keyboard")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert folder.latest_checkpoint() is None  # killed before any checkpoint
    assert LabelLog(folder.labels_path).round(0).current() == {item: k for k, item in enumerate(items[:5])}
    rest = [(item, "7") for item in items[5:]]
    done = cli("label", run_id, "--from", str(label_csv(tmp_path, "rest.csv", rest)))
    assert done.returncode == 0, done.stderr
    assert "not running" not in done.stdout  # the submit started a runner again
    # The new runner trains the VAE again (a shorter one would do; the config is the run's) and goes on.
    wait_until(lambda: stopped_at_gate(home, run_id, 1), timeout=600)
    events = read_events(folder.path)
    applied = next(e for e in events if e["type"] == "LabelsApplied" and e["round"] == 0)
    assert dict(zip(applied["items"], applied["labels"])) == {**{item: k for k, item in enumerate(items[:5])},
                                                              **{item: 7 for item in items[5:]}}
    proposals = [[c["item"] for c in e["candidates"]] for e in events if e["type"] == "CandidatesProposed"
                 and e["round"] == 0]
    assert len(proposals) == 2 and proposals[0] == proposals[1] == items  # the same round, proposed again
    assert runner_pid(folder) is None


@pytest.mark.slow
def test_a_reviewer_who_submitted_early_sees_what_the_run_is_doing(home):
    from alss_tui.core.events import PhaseStarted, Progress
    from review_helpers import drive_review, make_waiting_run

    folder = make_waiting_run(home, n=4, round=0)
    with LabelLog(folder.labels_path) as log:
        log.submit(0, "keyboard", decisions={100: 1})
    folder.events_path.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in
                                          (PhaseStarted("vae", 0, 20), Progress("vae", 0, 5, 20))))

    async def scenario(app, pilot):
        await pilot.pause(1.5)  # one poll
        return app.screen.query_one("#review-hint").text

    hint = drive_review(home, folder.run_id, scenario)
    assert "next round when it is ready" in hint and "training the VAE 5/20 (25%)" in hint
