"""Continue a run that stopped at the label gate, once its round is submitted.

Two parties can see the submit: the reviewer who made it, and the runner that
stopped at the gate just as it landed. Each calls `continue_after_submit` (the
runner after releasing its run lock, the reviewer after writing the submit), so
whichever comes second sees the other's state and one runner is started.
`launch.lock` makes the check-and-start of the two callers one step each.
"""

from __future__ import annotations

import time
from pathlib import Path

from alss_tui.runner.launch import launch
from alss_tui.store.labels import LabelLog
from alss_tui.store.locks import flocked, is_held
from alss_tui.store.registry import Registry
from alss_tui.store.review import latest_round
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.status import STARTING_GRACE

LAUNCH_LOCK = "launch.lock"


def continue_after_submit(home: Path, folder: RunFolder) -> str:
    """Start the run's runner again if it stopped at a gate whose round is now submitted.

    Returns "started"; "running" (a live or starting runner picks the submit up);
    "waiting" (the newest round is not submitted: nothing to continue yet); or
    "stopped" (no runner, and the run did not stop at a gate: `alss-tui run --resume`
    is the way on).
    """
    registry = Registry(home)
    with flocked(folder.path / LAUNCH_LOCK):
        if is_held(folder.lock_path):
            return "running"
        doc = registry.get(folder.run_id) or {}
        status = doc.get("status")
        if status == "starting" and time.time() - doc.get("updated", 0) < STARTING_GRACE:
            return "running"
        round_no = latest_round(folder)
        if round_no is None or not LabelLog(folder.labels_path).round(round_no).is_submitted:
            return "waiting"
        # No checkpoint is fine: a first round is asked for before the VAE trains, so a runner killed
        # during that training leaves a submitted round and nothing to resume from; the new runner
        # starts from the beginning, proposes the same round and finds its labels.
        if status != "awaiting-labels":
            return "stopped"
        launch(home, folder.run_id)
        return "started"
