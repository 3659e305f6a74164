"""Save the README's screenshots of the dashboard (SVG) from the recorded digits run.

    python benchmarks/dashboard_screenshots.py [--out docs/screens]

Uses a throwaway home with the test fixture run, a fixed clock, and 100x30 cells.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


async def _until(pilot, predicate, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise SystemExit("the dashboard did not reach the expected state")


async def shoot(out: Path) -> list[Path]:
    from textual.widgets import DataTable, Input

    from alss_tui.tui.app import make_app
    from tui_helpers import FIXTURE_RANDOM, RANDOM_ID, fixed_clock, install_run

    home = Path(tempfile.mkdtemp(prefix="alss-shots-"))
    saved = []
    try:
        install_run(home)
        install_run(home, RANDOM_ID, created=1_799_999_700.0, fixture=FIXTURE_RANDOM, name="fixture-random",
                    strategy="random", accuracy=0.883, best_accuracy=0.891)
        app = make_app(home, clock=fixed_clock, poll_seconds=0.1)
        async with app.run_test(size=(100, 30)) as pilot:
            def save(name: str) -> None:
                saved.append(Path(app.save_screenshot(f"{name}.svg", path=str(out))))

            await _until(pilot, lambda: app.screen.id == "runs-screen"
                         and app.screen.query_one("#runs-table", DataTable).row_count == 2)
            await pilot.pause(0.2)
            save("runs")
            await pilot.press("enter")
            await _until(pilot, lambda: app.screen.id == "monitor-screen" and app.screen.map_round == 4
                         and app.screen.query_one("#rounds-table", DataTable).row_count == 5)
            await pilot.pause(0.3)
            save("monitor")
            app.screen.query_one("#monitor-body").scroll_end(animate=False)
            await pilot.pause(0.3)
            save("monitor-rounds")
            await pilot.press("escape")
            await _until(pilot, lambda: app.screen.id == "runs-screen")
            await pilot.press("space", "space", "c")
            await _until(pilot, lambda: app.screen.id == "compare-screen")
            await pilot.pause(0.3)
            save("compare")
            await pilot.press("escape", "n")
            await _until(pilot, lambda: app.screen.id == "new-run-screen")
            for box in app.screen.query(Input):
                box.cursor_blink = False
            await pilot.pause(0.3)
            save("new-run")
            await pilot.press("f1")
            await _until(pilot, lambda: app.screen.id == "help-dialog")
            await pilot.pause(0.2)
            save("keys")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screens")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(shoot(args.out)):
        print(path)


if __name__ == "__main__":
    main()
