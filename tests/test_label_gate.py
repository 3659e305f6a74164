"""Who starts a run again after a person's submit: exactly one party, and only when it should."""

from alss_tui.runner.gate import continue_after_submit
from alss_tui.store.labels import LabelLog
from alss_tui.store.locks import RunLock
from alss_tui.store.registry import Registry
from review_helpers import make_waiting_run


def started_runs(monkeypatch) -> list[str]:
    started: list[str] = []
    monkeypatch.setattr("alss_tui.runner.launch.start_detached",
                        lambda home, folder: started.append(folder.run_id) or 4242)
    return started


def stopped_at_gate(home):
    """A run that stopped at its round-1 gate: a checkpoint to continue from, no process."""
    folder = make_waiting_run(home, n=3)
    folder.save_checkpoint("round-000", {"round": 0})
    return folder


def test_a_submit_starts_the_stopped_runner_once(home, monkeypatch):
    started = started_runs(monkeypatch)
    folder = stopped_at_gate(home)
    assert continue_after_submit(home, folder) == "waiting"  # nothing submitted yet
    with LabelLog(folder.labels_path) as log:
        log.submit(1, "keyboard", decisions={100: 3})
    assert continue_after_submit(home, folder) == "started"
    assert started == [folder.run_id]
    assert Registry(home).get(folder.run_id)["status"] == "starting"
    # the runner that stopped at the gate checks again after releasing its lock: no second start
    assert continue_after_submit(home, folder) == "running"
    assert started == [folder.run_id]


def test_a_live_runner_picks_the_submit_up_itself(home, monkeypatch):
    started = started_runs(monkeypatch)
    folder = stopped_at_gate(home)
    with LabelLog(folder.labels_path) as log:
        log.submit(1, "keyboard", decisions={100: 3})
    with RunLock(folder.lock_path):
        assert continue_after_submit(home, folder) == "running"
    assert started == []


def test_a_run_killed_before_its_first_checkpoint_is_started_again_by_the_submit(home, monkeypatch):
    # The first round is asked for while the VAE trains: a runner killed then leaves a waiting
    # round and no checkpoint. The submit starts a runner, which begins again and finds the labels.
    started = started_runs(monkeypatch)
    folder = make_waiting_run(home, n=3)
    with LabelLog(folder.labels_path) as log:
        log.submit(1, "keyboard", decisions={100: 3})
    assert continue_after_submit(home, folder) == "started"
    assert started == [folder.run_id]


def test_a_run_that_did_not_stop_at_a_gate_is_left_to_the_person(home, monkeypatch):
    started = started_runs(monkeypatch)
    finished = stopped_at_gate(home)
    with LabelLog(finished.labels_path) as log:
        log.submit(1, "keyboard", decisions={100: 3})
    Registry(home).upsert(finished.run_id, status="finished")
    assert continue_after_submit(home, finished) == "stopped"
    assert started == []


def _run_stopped_in_round(home, round_no: int, oracle: str):
    """The recorded digits run, its log cut just after round `round_no` was proposed, under `oracle`."""
    import json
    import shutil
    from dataclasses import replace

    from alss_tui import config as config_mod
    from alss_tui.config import OracleConfig
    from tui_helpers import FIXTURE_RUN

    folder = home / "runs" / "0ab1c2d3"
    shutil.copytree(FIXTURE_RUN, folder)
    cfg = config_mod.load(str(folder / "config.toml"))
    (folder / "config.toml").write_text(config_mod.dumps(replace(cfg, oracle=OracleConfig(kind=oracle))))
    kept = []
    for line in (folder / "events.jsonl").read_text().splitlines():
        kept.append(line)
        record = json.loads(line)
        if record["type"] == "CandidatesProposed" and record["round"] == round_no:
            break
    (folder / "events.jsonl").write_text("\n".join(kept) + "\n")
    return folder


def test_a_rebuilt_registry_shows_a_person_s_run_at_its_gate_as_waiting(home):
    from alss_tui.store.run_ops import rebuild_registry
    from alss_tui.store.run_folder import RunFolder
    from alss_tui.store.status import live_status

    registry = Registry(home)
    _run_stopped_in_round(home, 2, "human")
    rebuild_registry(registry)
    doc = registry.get("0ab1c2d3")
    assert (doc["status"], doc["waiting_round"]) == ("awaiting-labels", 2)
    assert live_status(RunFolder(home / "runs" / "0ab1c2d3"), doc) == "awaiting-labels"


def test_a_rebuilt_registry_still_shows_a_simulated_run_cut_mid_round_as_crashed(home):
    from alss_tui.store.run_ops import rebuild_registry
    from alss_tui.store.run_folder import RunFolder
    from alss_tui.store.status import live_status

    registry = Registry(home)
    _run_stopped_in_round(home, 2, "simulated")
    rebuild_registry(registry)
    doc = registry.get("0ab1c2d3")
    assert doc["status"] == "running"
    assert live_status(RunFolder(home / "runs" / "0ab1c2d3"), doc) == "crashed"
