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


def test_nothing_to_continue_from_is_left_to_the_person(home, monkeypatch):
    started = started_runs(monkeypatch)
    folder = make_waiting_run(home, n=3)  # never ran: no checkpoint
    with LabelLog(folder.labels_path) as log:
        log.submit(1, "keyboard", decisions={100: 3})
    assert continue_after_submit(home, folder) == "stopped"
    finished = stopped_at_gate(home)
    with LabelLog(finished.labels_path) as log:
        log.submit(1, "keyboard", decisions={100: 3})
    Registry(home).upsert(finished.run_id, status="finished")
    assert continue_after_submit(home, finished) == "stopped"
    assert started == []
