"""The registry under several processes, corruption, prefixes and honest status."""

import json
import multiprocessing as mp
import time

import pytest

from alss_tui.errors import StoreError
from alss_tui.store.locks import RunLock
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.status import live_status


def _writer(home, worker, count):
    reg = Registry(home)
    for i in range(count):
        reg.upsert(f"w{worker}-{i:03d}", status="running", round=i)
        reg.upsert("shared", **{f"worker{worker}": i})


def _reader(home, stop_at, errors):
    path = home / "registry.json"
    while time.time() < stop_at:
        if path.exists():
            try:
                json.loads(path.read_text())
            except json.JSONDecodeError:
                errors.value += 1


@pytest.mark.slow
def test_concurrent_writers_lose_no_update_and_the_file_always_parses(tmp_path):
    ctx = mp.get_context("fork")
    errors = ctx.Value("i", 0)
    writers = [ctx.Process(target=_writer, args=(tmp_path, w, 30)) for w in range(4)]
    reader = ctx.Process(target=_reader, args=(tmp_path, time.time() + 4, errors))
    reader.start()
    for p in writers:
        p.start()
    for p in writers:
        p.join(60)
        assert p.exitcode == 0
    reader.join(10)
    reg = Registry(tmp_path)
    ids = {d["id"] for d in reg.all()}
    assert {f"w{w}-{i:03d}" for w in range(4) for i in range(30)} <= ids
    shared = reg.get("shared")
    assert all(shared[f"worker{w}"] == 29 for w in range(4))  # every read-modify-write kept the others' fields
    assert errors.value == 0


def test_prefix_resolution(tmp_path):
    reg = Registry(tmp_path)
    for rid in ("abc123", "abd456", "ff0000"):
        reg.upsert(rid, status="finished")
    assert reg.resolve("abc") == "abc123" and reg.resolve("f") == "ff0000"
    with pytest.raises(StoreError, match="ambiguous"):
        reg.resolve("ab")
    with pytest.raises(StoreError, match="no run matches"):
        reg.resolve("zzz")


def test_corrupt_registry_is_a_clear_error(tmp_path):
    reg = Registry(tmp_path)
    reg.upsert("a1", status="finished")
    (tmp_path / "registry.json").write_text('{"runs": {"1": {"id": "a1", "sta')
    with pytest.raises(StoreError, match="corrupt.*doctor --rebuild"):
        reg.all()
    (tmp_path / "registry.json").write_text('[1, 2, 3]')
    with pytest.raises(StoreError, match="not a run registry"):
        reg.all()


def test_best_accuracy_is_kept(tmp_path):
    reg = Registry(tmp_path)
    reg.upsert("r", accuracy=0.8)
    reg.upsert("r", accuracy=0.9)
    doc = reg.upsert("r", accuracy=0.85)
    assert doc["best_accuracy"] == 0.9 and doc["accuracy"] == 0.85


def test_status_is_derived_from_the_run_lock(tmp_path, monkeypatch):
    from alss_tui.config import RunConfig
    from alss_tui.store.labels import LabelLog
    from alss_tui.store.status import STARTING_GRACE

    folder = RunFolder.create(tmp_path / "runs", RunConfig())
    assert live_status(folder, {"status": "running"}) == "crashed"
    # A run waiting for a person has no runner: that is the wait, not a crash ...
    waiting = {"status": "awaiting-labels", "waiting_round": 1}
    assert live_status(folder, waiting) == "awaiting-labels"
    with LabelLog(folder.labels_path) as log:
        log.submit(1, "keyboard")
    assert live_status(folder, waiting) == "awaiting-labels"  # the submit is starting a runner
    # ... until its round was submitted long ago and still no runner took it up.
    now = time.time()
    monkeypatch.setattr("alss_tui.store.status.time.time", lambda: now + STARTING_GRACE + 1)
    assert live_status(folder, waiting) == "crashed"
    monkeypatch.undo()
    with RunLock(folder.lock_path):
        assert live_status(folder, {"status": "running"}) == "running"
        assert live_status(folder, {"status": "created"}) == "running"
        with pytest.raises(StoreError, match="already running"):
            RunLock(folder.lock_path).acquire()
    assert live_status(folder, {"status": "finished"}) == "finished"
    assert live_status(folder, {"status": "starting", "updated": time.time()}) == "starting"
    assert live_status(folder, {"status": "starting", "updated": time.time() - 3600}) == "crashed"
