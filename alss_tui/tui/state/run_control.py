"""Start and resume runs from the dashboard: always as detached runner processes.

The dashboard never trains. A run is `alss-tui run --resume ID` in its own
session, so quitting the dashboard or losing the terminal does not stop it.
"""

from __future__ import annotations

from pathlib import Path

from alss_tui.config import RunConfig
from alss_tui.errors import StoreError
from alss_tui.runner.launch import launch
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.run_ops import create_run
from alss_tui.store.status import live_status

RESUMABLE = ("crashed", "failed", "created")


def start_new_run(home: Path, cfg: RunConfig) -> str:
    """Write the run folder, register it and start its runner; returns the run id."""
    run_id = create_run(home, cfg).run_id
    launch(home, run_id)
    return run_id


def resume_run(home: Path, run_id: str) -> None:
    """Restart a crashed, failed or never-started run from its last checkpoint."""
    registry = Registry(home)
    status = live_status(RunFolder(registry.runs_dir / run_id), registry.get(run_id))
    if status not in RESUMABLE:
        raise StoreError(f"run {run_id} is {status}; only a crashed, failed or new run can be resumed")
    launch(home, run_id)
