"""End to end in a real terminal (tmux): `alss-tui new`, Enter, round 1 finishes, quit; the run lives on.

The form is pre-filled from a small digits preset (`new --config`) and accepted as is:
the built-in defaults train for minutes on a busy 2-core machine, which a test suite cannot afford.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

from alss_tui import config as config_mod
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.status import live_status, runner_pid
from conftest import REPO, tiny_config

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed: the real-terminal test needs it")


class Tmux:
    def __init__(self, socket: str):
        self.socket = socket

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check)

    def start(self, name: str, command: str, home) -> None:
        env = f"env ALSS_HOME={shlex.quote(str(home))} TERM=xterm-256color"
        self("new-session", "-d", "-x", "100", "-y", "30", "-s", name, "-c", str(REPO),
             f"{env} {shlex.quote(sys.executable)} -m alss_tui {command}")

    def screen(self, name: str) -> str:
        return self("capture-pane", "-p", "-t", name, check=False).stdout

    def alive(self, name: str) -> bool:
        return self("has-session", "-t", name, check=False).returncode == 0

    def wait(self, predicate, timeout: float, what: str, name: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen was:\n{self.screen(name)}")
            time.sleep(0.25)


def _round_finished(folder: RunFolder, round_no: int) -> bool:
    try:
        text = folder.events_path.read_text()
    except FileNotFoundError:
        return False
    return f'"type":"RoundFinished","round":{round_no},' in text


@pytest.mark.slow
def test_new_enter_round_one_quit_and_the_run_survives(home, tmp_path):
    preset = tmp_path / "tiny.toml"
    preset.write_text(config_mod.dumps(tiny_config()))
    tmux = Tmux(f"alss-test-{os.getpid()}")
    registry = Registry(home)
    folder = None
    try:
        tmux.start("new", f"new --config {shlex.quote(str(preset))}", home)
        tmux.wait(lambda: "Start run" in tmux.screen("new"), 60, "the New run form", "new")
        tmux("send-keys", "-t", "new", "Enter")
        tmux.wait(lambda: "monitor ·" in tmux.screen("new"), 30, "the monitor", "new")
        (run_id,) = [d["id"] for d in registry.all()]
        folder = RunFolder(registry.runs_dir / run_id)
        tmux.wait(lambda: _round_finished(folder, 1), 300, "round 1 to finish", "new")
        tmux.wait(lambda: "latent map · round" in tmux.screen("new"), 30, "the latent map", "new")
        assert run_id in tmux.screen("new")
        tmux("send-keys", "-t", "new", "q")
        tmux.wait(lambda: not tmux.alive("new"), 30, "the dashboard to quit", "new")
        assert live_status(folder, registry.get(run_id)) in ("running", "finished")

        # Bare `alss-tui` opens the dashboard on the Runs screen, with the run in it.
        tmux.start("bare", "", home)
        tmux.wait(lambda: run_id in tmux.screen("bare") and "New run" in tmux.screen("bare"), 60,
                  "the Runs screen", "bare")
        tmux("send-keys", "-t", "bare", "q")
        tmux.wait(lambda: not tmux.alive("bare"), 30, "the dashboard to quit", "bare")
    finally:
        tmux("kill-server", check=False)
        pid = runner_pid(folder) if folder is not None else None
        if pid:  # the runner we started: end it, the test has seen what it needs
            os.kill(pid, signal.SIGTERM)
