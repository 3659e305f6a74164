"""The Monitor screen: a recorded run, a log that grows while we watch, a failed run."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable

from alss_tui.store.jsonl import JsonlReader
from alss_tui.tui.app import make_app
from tui_helpers import FIXTURE_RUN, RUN_ID, fixed_clock, install_run, wait_for, wait_for_text


def _rounds(app) -> DataTable:
    return app.screen.query_one("#rounds-table", DataTable)


def _drive(home, scenario, size=(100, 30)):
    async def main():
        app = make_app(home, start="monitor", run_id=RUN_ID, clock=fixed_clock, poll_seconds=0.1)
        app.follow_seconds = 0.05
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: app.screen.id == "monitor-screen", what="the monitor")
            await scenario(app, pilot)
    asyncio.run(main())


def test_a_recorded_run_shows_rounds_curves_and_map(home):
    install_run(home)

    async def scenario(app, pilot):
        await wait_for(pilot, lambda: _rounds(app).row_count == 5, what="five rounds")
        await wait_for(pilot, lambda: app.screen.map_round == 4, what="the map of the last round")
        await wait_for_text(pilot, app, "fixture", "finished", "snn on digits", "test accuracy",
                            "VAE loss", "task loss", "latent map · round 4 (snn)")
        last = _rounds(app).get_row_at(4)
        # "-": no pseudo-labels without task.semi; κ: the fixture was recorded before the stopping signal
        assert last[:7] == ["4", "snn", "25", "140", "82.2%", "-", "-"]
        assert last[7].startswith("0:3 1:8")

    _drive(home, scenario)


@pytest.mark.slow
def test_brackets_step_the_map_through_rounds(home):
    install_run(home)

    async def scenario(app, pilot):
        await wait_for(pilot, lambda: app.screen.map_round == 4, what="the map")
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.screen.map_round == 3, what="round 3")
        for _ in range(5):
            await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.screen.map_round == 0, what="round 0")
        await wait_for_text(pilot, app, "round 0 (initial)")
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: app.screen.map_round == 1, what="round 1")

    _drive(home, scenario)


@pytest.mark.slow
def test_the_monitor_follows_a_growing_log_without_rereading(home, monkeypatch):
    folder = install_run(home, status="running", events=False)
    lines = (FIXTURE_RUN / "events.jsonl").read_text().splitlines(keepends=True)
    starts: list[int] = []

    class CountingReader(JsonlReader):
        def read_new(self):
            before = self.offset
            records = super().read_new()
            if records:
                starts.append(before)
            return records

    monkeypatch.setattr("alss_tui.tui.app.JsonlReader", CountingReader)
    round1_end = next(i for i, line in enumerate(lines) if '"RoundFinished","round":1' in line) + 1

    async def scenario(app, pilot):
        with open(folder / "events.jsonl", "a") as log:
            log.write("".join(lines[:round1_end]))
            log.write(lines[round1_end][:20])  # half a line: must wait for the rest
            log.flush()
            await wait_for(pilot, lambda: _rounds(app).row_count == 2, what="rounds 0 and 1")
            assert app.screen.snapshot.phase != "finished"
            log.write(lines[round1_end][20:] + "".join(lines[round1_end + 1:]))
            log.flush()
            await wait_for(pilot, lambda: _rounds(app).row_count == 5, what="all rounds")
            await wait_for(pilot, lambda: app.screen.snapshot.finished, what="the end")
        size = (folder / "events.jsonl").stat().st_size
        assert starts[0] == 0 and starts == sorted(set(starts)) and len(starts) >= 2
        assert app.screen.snapshot.rounds[-1].labelled == 140 and size > starts[-1]

    _drive(home, scenario)


@pytest.mark.slow
def test_a_failed_run_shows_its_error(home):
    folder = install_run(home, status="failed", error="boom")
    with open(folder / "events.jsonl", "a") as log:
        log.write('{"type":"RunFailed","error":"CUDA out of memory","t":1.0}\n')

    async def scenario(app, pilot):
        await wait_for(pilot, lambda: app.screen.snapshot is not None and app.screen.snapshot.error,
                       what="the error")
        await wait_for_text(pilot, app, "CUDA out of memory", "failed")

    _drive(home, scenario)


def test_escape_goes_back_and_stops_following(home):
    install_run(home)

    async def scenario(app, pilot):
        await wait_for(pilot, lambda: _rounds(app).row_count == 5, what="rounds")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "runs-screen", what="runs")
        await wait_for(pilot, lambda: not [w for w in app.workers if w.group == "follow" and w.is_running],
                       what="the follower to stop")

    _drive(home, scenario)


@pytest.mark.slow
def test_the_monitor_scrolls_at_80x24(home):
    install_run(home)

    async def scenario(app, pilot):
        await wait_for(pilot, lambda: _rounds(app).row_count == 5, what="rounds")
        body = app.screen.query_one("#monitor-body")
        assert body.max_scroll_y > 0  # the rounds table is below the fold, reachable by scrolling
        body.scroll_end(animate=False)
        await wait_for_text(pilot, app, "classes added")

    _drive(home, scenario, size=(80, 24))


def test_start_review_opens_the_review_screen_over_the_runs(home):
    install_run(home)

    async def main():
        app = make_app(home, start="review", run_id=RUN_ID, clock=fixed_clock, poll_seconds=0.1)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: type(app.screen).__name__ == "ReviewScreen", what="the review")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen.id == "runs-screen", what="back to runs")
    asyncio.run(main())


def test_a_run_waiting_for_a_person_says_how_to_label(home):
    from alss_tui.store.locks import RunLock

    folder = install_run(home, status="awaiting-labels")
    with RunLock(folder / "run.lock"):  # a live runner holds the lock while it waits

        async def scenario(app, pilot):
            await wait_for_text(pilot, app, "awaiting-labels", "r to label this round")

        _drive(home, scenario)


@pytest.mark.slow
def test_the_title_counts_open_suspect_labels(home):
    install_run(home, suspects=4)

    async def scenario(app, pilot):
        await wait_for_text(pilot, app, "fixture", "4 suspect labels (r, then s)")

    _drive(home, scenario, size=(140, 30))
