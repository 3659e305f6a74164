"""A run's honest status: what the registry says, checked against the run lock.

A run waiting for a person's labels has no process (the runner stops at the gate
and the submit starts it again), so `awaiting-labels` without a lock holder is
the normal wait, not a crash; it becomes `crashed` only when the round was
submitted long ago and still no runner took it up.
"""

from __future__ import annotations

import time

from alss_tui.store.labels import LabelLog
from alss_tui.store.locks import holder_pid, is_held
from alss_tui.store.run_folder import RunFolder

# Statuses a live runner writes; "running" without a lock holder means the runner died.
LIVE_STATUSES = ("running", "awaiting-labels")
STATUSES = ("starting", "running", "awaiting-labels", "finished", "failed", "crashed", "created")
STARTING_GRACE = 30.0  # seconds a detached runner may take to take its lock


def live_status(folder: RunFolder, doc: dict | None) -> str:
    status = (doc or {}).get("status") or "created"
    held = is_held(folder.lock_path)
    if held and status not in LIVE_STATUSES:
        return "running"  # a runner is alive but has not written its first update yet
    if status == "running" and not held:
        return "crashed"
    if status == "awaiting-labels" and not held and _submitted_before(folder, doc, time.time() - STARTING_GRACE):
        return "crashed"  # the submit should have started a runner by now
    if status == "starting" and not held and time.time() - (doc or {}).get("updated", 0) > STARTING_GRACE:
        return "crashed"
    return status


def runner_pid(folder: RunFolder) -> int | None:
    return holder_pid(folder.lock_path)


def _submitted_before(folder: RunFolder, doc: dict | None, moment: float) -> bool:
    round_no = (doc or {}).get("waiting_round")
    if round_no is None:
        return False
    submitted = LabelLog(folder.labels_path).round(round_no).submitted
    return submitted is not None and float(submitted.get("at", 0)) < moment
