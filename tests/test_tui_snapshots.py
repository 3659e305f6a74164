"""Snapshots of the screens that matter, at a fixed size, from fixed data and a fixed clock.

Update after an intended change with `python -m pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the new SVGs before committing them.
"""

from __future__ import annotations

import pytest

from textual.widgets import DataTable, Input

from alss_tui.tui.app import make_app
from tui_helpers import RUN_ID, fixed_clock, install_run, wait_for

SIZE = (100, 30)


def test_runs_screen(snap_compare, home):
    install_run(home)
    install_run(home, "0badc0de", status="running", created=1_799_999_000.0, name="died-overnight")
    app = make_app(home, clock=fixed_clock, poll_seconds=0.1)

    async def run_before(pilot):
        await wait_for(pilot, lambda: app.screen.id == "runs-screen"
                       and app.screen.query_one("#runs-table", DataTable).row_count == 2, what="rows")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.slow
def test_new_run_screen(snap_compare, home):
    app = make_app(home, start="new", clock=fixed_clock, poll_seconds=0.1)

    async def run_before(pilot):
        await wait_for(pilot, lambda: app.screen.id == "new-run-screen", what="the form")
        for box in app.screen.query(Input):
            box.cursor_blink = False
        box = app.screen.query_one("#field-seed", Input)
        box.value = "-1"  # show a validation message beside its field
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_monitor_screen(snap_compare, home):
    install_run(home)
    app = make_app(home, start="monitor", run_id=RUN_ID, clock=fixed_clock, poll_seconds=0.1)

    async def run_before(pilot):
        await wait_for(pilot, lambda: app.screen.id == "monitor-screen" and app.screen.map_round == 4
                       and app.screen.query_one("#rounds-table", DataTable).row_count == 5, what="the run")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
