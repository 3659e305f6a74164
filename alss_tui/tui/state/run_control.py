"""Start and resume runs from the dashboard: always as detached runner processes.

The dashboard never trains. A run is `alss-tui run --resume ID` in its own
session, so quitting the dashboard or losing the terminal does not stop it.
"""

from __future__ import annotations

from pathlib import Path

from alss_tui.config import RunConfig
from alss_tui.errors import StoreError
from alss_tui.runner.launch import start_detached
from alss_tui.runner.registry_sync import registry_fields
from alss_tui.store.locks import is_held
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.status import live_status

RESUMABLE = ("crashed", "failed", "created")


def start_new_run(home: Path, cfg: RunConfig) -> str:
    """Write the run folder, register it and start its runner; returns the run id."""
    registry = Registry(home)
    folder = RunFolder.create(registry.runs_dir, cfg)
    registry.upsert(folder.run_id, status="created", **registry_fields(cfg))
    _launch(home, registry, folder)
    return folder.run_id


def resume_run(home: Path, run_id: str) -> None:
    """Restart a crashed, failed or never-started run from its last checkpoint."""
    registry = Registry(home)
    folder = RunFolder(registry.runs_dir / run_id)
    status = live_status(folder, registry.get(run_id))
    if status not in RESUMABLE:
        raise StoreError(f"run {run_id} is {status}; only a crashed, failed or new run can be resumed")
    _launch(home, registry, folder)


def _launch(home: Path, registry: Registry, folder: RunFolder) -> None:
    if is_held(folder.lock_path):
        raise StoreError(f"run {folder.run_id} is already running")
    registry.upsert(folder.run_id, status="starting", error=None)
    start_detached(home, folder)

