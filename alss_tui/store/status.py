"""A run's honest status: what the registry says, checked against the run lock."""

from __future__ import annotations

import time

from alss_tui.store.locks import holder_pid, is_held
from alss_tui.store.run_folder import RunFolder

# Statuses that claim a live runner; if nobody holds the lock, the runner died.
LIVE_STATUSES = ("running", "awaiting-labels")
STATUSES = ("starting", "running", "awaiting-labels", "finished", "failed", "crashed", "created")
STARTING_GRACE = 30.0  # seconds a detached runner may take to take its lock


def live_status(folder: RunFolder, doc: dict | None) -> str:
    status = (doc or {}).get("status") or "created"
    held = is_held(folder.lock_path)
    if held and status not in LIVE_STATUSES:
        return "running"  # a runner is alive but has not written its first update yet
    if status in LIVE_STATUSES and not held:
        return "crashed"
    if status == "starting" and not held and time.time() - (doc or {}).get("updated", 0) > STARTING_GRACE:
        return "crashed"
    return status


def runner_pid(folder: RunFolder) -> int | None:
    return holder_pid(folder.lock_path)
