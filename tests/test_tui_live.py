"""The dashboard against a real run: start it from the form, watch round 1 finish, quit, it carries on."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from textual.widgets import DataTable

from alss_tui import config as config_mod
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.status import live_status, runner_pid
from alss_tui.tui.app import make_app
from conftest import tiny_config
from tui_helpers import wait_for, wait_for_text


@pytest.mark.slow
def test_start_from_the_form_then_follow_a_real_run(home, tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(config_mod.dumps(tiny_config()))
    seen: dict = {}

    async def main():
        app = make_app(home, start="new", config_path=path, poll_seconds=0.2)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.screen.id == "new-run-screen", what="the form")
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen.id == "monitor-screen", what="the monitor")
            run_id = seen["run_id"] = app.screen.run_id
            rounds = app.screen.query_one("#rounds-table", DataTable)
            # a cold runner imports torch and trains the VAE first: allow for a busy machine
            await wait_for(pilot, lambda: any(r.round == 1 and r.finished for r in
                                              (app.screen.snapshot.rounds if app.screen.snapshot else ())),
                           timeout=240, what="round 1 to finish")
            assert rounds.row_count >= 2
            await wait_for_text(pilot, app, "latent map · round")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen.id == "runs-screen", what="runs")
            await wait_for_text(pilot, app, run_id)
            await pilot.press("q")
    asyncio.run(main())

    # The dashboard is gone; the runner is not.
    registry = Registry(home)
    folder = RunFolder(registry.runs_dir / seen["run_id"])
    assert live_status(folder, registry.get(seen["run_id"])) in ("running", "finished")
    pid = runner_pid(folder)
    if pid:  # the runner this test started: end it rather than wait for the last round
        os.kill(pid, signal.SIGTERM)
