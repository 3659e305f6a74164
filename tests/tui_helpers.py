"""Shared pieces of the dashboard tests: a recorded digits run, fixed clocks, waiting."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

FIXTURE_RUN = Path(__file__).parent / "fixtures" / "run-digits"  # a real 5-round digits run, recorded
RUN_ID = "6783ca48"
FIXTURE_RANDOM = Path(__file__).parent / "fixtures" / "run-digits-random"  # same settings, strategy random
RANDOM_ID = "588b243b"
T0 = 1_800_000_000.0  # fixed "created" stamps and clock: snapshots must not depend on today


def fixed_clock() -> float:
    return T0 + 180.0


def install_run(home: Path, run_id: str = RUN_ID, *, status: str = "finished", created: float = T0,
                events: bool = True, fixture: Path = FIXTURE_RUN, **fields) -> Path:
    """Copy a recorded run into `home` under `run_id` and register it."""
    from alss_tui.store.registry import Registry

    registry = Registry(home)
    dest = registry.runs_dir / run_id
    shutil.copytree(fixture, dest)
    if not events:
        (dest / "events.jsonl").write_text("")
    doc = {"name": "fixture", "dataset": "digits", "strategy": "snn", "budget": 140, "oracle": "simulated",
           "seed": 0, "status": status, "round": 4, "labelled": 140, "accuracy": 0.8217, "created": created}
    doc.update(fields)
    registry.upsert(run_id, **doc)
    return dest


def register_runs(home: Path, n: int, *, created: float = T0) -> list[str]:
    """`n` finished runs in the registry only (no folders): enough for the Runs table."""
    from alss_tui.store.registry import Registry

    strategies = ("snn", "si", "random", "entropy", "margin", "coreset")
    docs = [{"id": f"{i:08x}", "name": f"run-{i}", "dataset": "digits", "strategy": strategies[i % 6],
             "budget": 300, "oracle": "simulated", "seed": i, "status": "finished", "round": 5,
             "labelled": 300, "accuracy": 0.80 + (i % 17) / 100, "best_accuracy": 0.81 + (i % 17) / 100,
             "created": created - 60 * i, "updated": created} for i in range(n)]
    Registry(home).replace_all(docs)
    return [d["id"] for d in docs]


async def wait_for(pilot, predicate, timeout: float = 10.0, what: str = "condition") -> None:
    """Let the app run until `predicate()` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def wait_for_text(pilot, app, *needles: str, timeout: float = 10.0) -> str:
    """Wait until every needle is on the screen (paints lag on a busy machine); returns the text."""
    from screen_text import screen_text

    await wait_for(pilot, lambda: all(n in screen_text(app) for n in needles), timeout,
                   what=f"{needles!r} on screen")
    return screen_text(app)
