"""Start a runner as its own process: detached from the terminal, output to runner.log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alss_tui.errors import StoreError
from alss_tui.store.locks import is_held
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder


def launch(home: Path, run_id: str) -> int:
    """Start run `run_id`'s runner detached, marked `starting` in the registry; returns its pid.

    The one way the CLI (`run --detach`) and the dashboard start a run. Refuses
    (StoreError) a run whose runner is alive: two runners must never share a folder.
    """
    registry = Registry(home)
    folder = RunFolder(registry.runs_dir / run_id)
    if is_held(folder.lock_path):
        raise StoreError(f"run {run_id} is already running")
    registry.upsert(run_id, status="starting", pid=None, error=None)
    return start_detached(home, folder)


def start_detached(home: Path, folder: RunFolder) -> int:
    """Start `alss-tui run --resume ID` in a new session; returns its pid.

    A new session means no controlling terminal: closing the SSH session (SIGHUP)
    does not reach it. With no checkpoint yet, --resume starts from the beginning.
    """
    log = open(folder.log_path, "ab")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alss_tui", "run", "--resume", folder.run_id, "--home", str(home), "--quiet"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            cwd=os.getcwd(), close_fds=True,
        )
    finally:
        log.close()
    return proc.pid
