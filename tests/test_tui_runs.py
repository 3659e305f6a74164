"""The Runs screen, driven by key presses: table, filter, sort, mark, compare, resume, delete."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable

from alss_tui.store.registry import Registry
from alss_tui.tui.app import make_app
from tui_helpers import FIXTURE_RANDOM, RANDOM_ID, RUN_ID, fixed_clock, install_run, register_runs, wait_for, wait_for_text


def _table(app) -> DataTable:
    return app.screen.query_one("#runs-table", DataTable)


def _ids(app) -> list[str]:
    return [r.id for r in app.screen.shown]


def _drive(home, scenario, size=(100, 30)):
    async def main():
        app = make_app(home, clock=fixed_clock, poll_seconds=0.1)
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: app.rows is not None and app.screen.id == "runs-screen", what="runs")
            await pilot.pause(0.1)  # let the rows paint
            await scenario(app, pilot)
    asyncio.run(main())


def test_empty_home_says_how_to_start(home):
    async def scenario(app, pilot):
        await wait_for_text(pilot, app, "No runs yet", "n New run")

    _drive(home, scenario)


def test_rows_show_live_status_and_progress(home):
    install_run(home)
    install_run(home, "0badc0de", status="running", created=1_799_999_000.0, name="died")  # no lock held

    async def scenario(app, pilot):
        # the registry says "running" for 0badc0de, but nobody holds its lock: crashed
        await wait_for_text(pilot, app, "6783ca48", "140/140", "82.2", "3m", "crashed",
                            "2 runs (1 crashed, 1 finished)")

    _drive(home, scenario)


def test_filter_and_sort_by_keys(home):
    register_runs(home, 12)

    async def scenario(app, pilot):
        assert _table(app).row_count == 12
        await pilot.press("slash", *"margin")
        assert set(r.strategy for r in app.screen.shown) == {"margin"} and _table(app).row_count == 2
        await pilot.press("escape")
        assert _table(app).row_count == 12 and app.focused is _table(app)
        await pilot.press("s")  # newest -> name
        assert app.screen.sort == "name" and _ids(app)[:3] == ["00000000", "00000001", "0000000a"]
        await pilot.press("s", "s")  # status -> accuracy
        accs = [r.accuracy for r in app.screen.shown]
        assert app.screen.sort == "accuracy" and accs == sorted(accs, reverse=True)

    _drive(home, scenario)


def test_the_table_refreshes_when_runs_change(home):
    register_runs(home, 3)

    async def scenario(app, pilot):
        assert _table(app).row_count == 3
        Registry(home).upsert("feedf00d", name="late", status="created", created=1_800_000_100.0)
        await wait_for(pilot, lambda: _table(app).row_count == 4, what="the new run to appear")
        assert _ids(app)[0] == "feedf00d"

    _drive(home, scenario)


def test_mark_then_compare_opens_the_plot_and_config_diff(home):
    install_run(home)
    install_run(home, RANDOM_ID, created=1_799_999_000.0, fixture=FIXTURE_RANDOM, name="fixture-random",
                strategy="random")

    async def scenario(app, pilot):
        await pilot.press("c")
        assert app.screen.id == "runs-screen"  # refused: nothing marked
        await pilot.press("space", "space")
        assert app.screen.marked == {RUN_ID, RANDOM_ID}
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.id == "compare-screen", what="compare")
        await wait_for_text(pilot, app, "accuracy vs labels", "fixture (snn", "fixture-random (random")
        diff = app.screen.query_one("#config-diff", DataTable)
        rows = {diff.get_row_at(i)[0]: diff.get_row_at(i)[1:] for i in range(diff.row_count)}
        assert rows == {"name": ["fixture", "fixture-random"], "sampling.strategy": ["snn", "random"]}
        await pilot.press("escape")
        assert app.screen.id == "runs-screen"

    _drive(home, scenario)


def test_delete_asks_first(home):
    folder = install_run(home)

    async def scenario(app, pilot):
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.id == "confirm-dialog", what="the dialog")
        await wait_for_text(pilot, app, "Delete run 6783ca48")
        await pilot.press("n")
        assert app.screen.id == "runs-screen" and folder.is_dir()
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.id == "confirm-dialog", what="the dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: _table(app).row_count == 0, what="the row to go")
        assert not folder.exists() and Registry(home).get(RUN_ID) is None

    _drive(home, scenario)


def test_resume_restarts_only_a_crashed_run(home, monkeypatch):
    started = []
    monkeypatch.setattr("alss_tui.runner.launch.start_detached", lambda h, folder: started.append(folder.run_id) or 1)
    install_run(home)  # finished
    install_run(home, "0badc0de", status="running", created=T_CRASH)

    async def scenario(app, pilot):
        assert _ids(app) == [RUN_ID, "0badc0de"]
        await pilot.press("R")
        assert started == []  # a finished run is not resumed
        await pilot.press("down", "R")
        assert started == ["0badc0de"] and Registry(home).get("0badc0de")["status"] == "starting"

    _drive(home, scenario)


T_CRASH = 1_799_999_000.0


@pytest.mark.slow
def test_enter_opens_the_monitor_and_r_the_review(home):
    install_run(home)

    async def scenario(app, pilot):
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.id == "monitor-screen", what="the monitor")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "runs-screen", what="back to runs")
        await pilot.press("r")
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "ReviewScreen"

    _drive(home, scenario)


def test_help_lists_the_screen_keys(home):
    async def scenario(app, pilot):
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: app.screen.id == "help-dialog", what="help")
        await wait_for_text(pilot, app, "Resume", "Compare", "Quit")
        await pilot.press("escape")
        assert app.screen.id == "runs-screen"

    _drive(home, scenario)


def test_a_narrow_terminal_still_shows_status(home):
    install_run(home)

    async def scenario(app, pilot):
        await wait_for_text(pilot, app, "finished", "6783ca48")

    _drive(home, scenario, size=(80, 24))


def test_compare_names_a_run_it_cannot_read(home):
    install_run(home)
    Registry(home).upsert("deadbeef", name="no-folder", status="finished", created=1_799_999_000.0)

    async def scenario(app, pilot):
        await pilot.press("space", "space", "c")
        await wait_for(pilot, lambda: app.screen.id == "compare-screen", what="compare")
        await wait_for(pilot, lambda: any("deadbeef" in str(n.message) for n in app._notifications),
                       what="a message about the unreadable run")
        await wait_for_text(pilot, app, "fixture (snn")

    _drive(home, scenario)


def test_ages_move_on_while_nothing_else_changes(home):
    install_run(home)
    now = [1_800_000_180.0]

    async def main():
        app = make_app(home, clock=lambda: now[0], poll_seconds=0.1)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for_text(pilot, app, "3m")
            now[0] += 7200
            app.screen._refresh_ages()
            await wait_for_text(pilot, app, "2h")
    asyncio.run(main())


def test_open_suspect_labels_are_counted_beside_the_status(home):
    install_run(home, suspects=3)
    install_run(home, "0badc0de", name="clean", suspects=0)

    async def scenario(app, pilot):
        await wait_for_text(pilot, app, "finished · 3 suspects", "clean")
        assert "0 suspect" not in str(_table(app).get_row("0badc0de")[5])

    _drive(home, scenario)
