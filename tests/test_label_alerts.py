"""The dashboard rings when a run starts waiting for a person's labels."""

import asyncio
from dataclasses import replace

from alss_tui.store.locks import RunLock
from alss_tui.store.registry import Registry
from alss_tui.tui.app import make_app
from alss_tui.tui.state.label_alerts import newly_waiting
from alss_tui.tui.state.run_rows import RunRow
from review_helpers import make_waiting_run
from tui_helpers import wait_for

ROW = RunRow(id="a", name="n", dataset="digits", strategy="snn", oracle="human", status="running", round=0,
             labelled=10, budget=30, accuracy=None, best_accuracy=None, created=0.0, error=None)


def test_only_a_change_to_waiting_is_news():
    waiting = replace(ROW, status="awaiting-labels")
    assert newly_waiting(None, [waiting]) == []  # first look: the table shows it
    assert newly_waiting([ROW], [waiting]) == [waiting]
    assert newly_waiting([waiting], [waiting]) == []  # still waiting: rung already
    other = replace(waiting, id="b")
    assert newly_waiting([ROW], [waiting, other]) == [waiting, other]  # a run seen for the first time


def test_the_dashboard_rings_when_a_run_waits(home):
    folder = make_waiting_run(home, n=3)
    registry = Registry(home)
    registry.upsert(folder.run_id, status="running", name="mine")
    lock = RunLock(folder.lock_path)
    lock.acquire()  # a live runner, as far as the status is concerned
    try:
        async def drive():
            app = make_app(home, poll_seconds=0.1)
            rings = []
            app.bell = lambda: rings.append(1)
            async with app.run_test(size=(120, 30)) as pilot:
                await wait_for(pilot, lambda: app.rows is not None and app.rows[0].status == "running", what="rows")
                registry.upsert(folder.run_id, status="awaiting-labels", waiting_round=1)
                await wait_for(pilot, lambda: rings, what="the bell")
                # notify() posts a message: the notification lands a moment after the bell
                await wait_for(pilot, lambda: any("waits for your labels" in n.message for n in app._notifications),
                               what="the notification")
                await pilot.pause(0.5)
                assert len(rings) == 1  # once per wait, not once per poll

        asyncio.run(drive())
    finally:
        lock.release()
