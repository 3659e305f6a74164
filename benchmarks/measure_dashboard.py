"""Measure the dashboard: first paint with many runs, and its cost while following a live run.

    python benchmarks/measure_dashboard.py paint [--runs 500]
    python benchmarks/measure_dashboard.py follow [--config digits-snn]

`paint` times the Runs screen (headless) with N runs in a fresh registry, and key presses on it.
`follow` starts a real detached run, opens `alss-tui dashboard --run ID` in a real terminal
(tmux, under /usr/bin/time -v) until the run ends, and samples both processes' CPU time.
Prints one JSON document. Run from the repository root.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
STARTUP_S = 5.0


def paint(n_runs: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix="alss-paint-"))
    try:
        from alss_tui.store.registry import Registry

        registry = Registry(home)
        docs = [{"id": f"{i:08x}", "name": f"run-{i}", "dataset": "digits", "strategy": "snn", "budget": 300,
                 "oracle": "simulated", "seed": i, "status": ("finished", "running", "failed")[i % 3], "round": 5,
                 "labelled": 300, "accuracy": 0.9, "best_accuracy": 0.91, "created": 1.8e9 - i, "updated": 1.8e9}
                for i in range(n_runs)]
        registry.replace_all(docs)
        for d in docs:  # a lock file per run, so the live-status check opens each one, as for real
            (registry.runs_dir / d["id"]).mkdir(parents=True)
            (registry.runs_dir / d["id"] / "run.lock").touch()

        t_import = time.perf_counter()
        from textual.widgets import DataTable

        from alss_tui.tui.app import make_app
        import_s = time.perf_counter() - t_import
        out: dict = {"runs": n_runs, "import_textual_and_app_s": round(import_s, 3)}

        async def main():
            t0 = time.perf_counter()
            app = make_app(home)
            async with app.run_test(size=(120, 40)) as pilot:
                while not (app.screen.id == "runs-screen"
                           and app.screen.query_one("#runs-table", DataTable).row_count == n_runs):
                    await pilot.pause(0.005)
                await pilot.pause(0)  # the frame with the rows
                out["first_paint_s"] = round(time.perf_counter() - t0, 3)
                await pilot.press("x")  # warm-up: the first key press pays for one-time setup
                for key, label in (("down", "cursor_down"), ("s", "sort"), ("slash", "focus_filter"),
                                   ("escape", "clear_filter")):
                    times = []
                    for _ in range(5):
                        t = time.perf_counter()
                        await pilot.press(key)
                        times.append(time.perf_counter() - t)
                    out[f"key_{label}_median_s"] = round(sorted(times)[2], 4)
                usage = resource.getrusage(resource.RUSAGE_SELF)
                cpu0, t = usage.ru_utime + usage.ru_stime, time.perf_counter()
                await pilot.pause(10)  # idle on the Runs screen: the registry watcher's cost
                usage = resource.getrusage(resource.RUSAGE_SELF)
                out["idle_cpu_percent_of_one_core"] = round(
                    100 * (usage.ru_utime + usage.ru_stime - cpu0) / (time.perf_counter() - t), 2)
        asyncio.run(main())
        from alss_tui.tui.state.run_rows import load_rows

        t = time.perf_counter()
        load_rows(registry)
        out["registry_read_with_status_s"] = round(time.perf_counter() - t, 4)
        return out
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def _child(pid: int) -> int | None:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    return int(kids[0]) if kids else None


def _runner_process(run_id: str) -> int | None:
    """The detached `run --resume RUN_ID` process, found from its command line (before it takes its lock)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--resume" in argv and run_id.encode() in argv and b"alss_tui" in argv:
            return int(proc.name)
    return None


def follow(config: str) -> dict:
    from alss_tui import presets
    from alss_tui.store.registry import Registry
    from alss_tui.store.run_folder import RunFolder
    from alss_tui.store.status import live_status
    from alss_tui.tui.state.run_control import start_new_run

    if shutil.which("tmux") is None or not Path("/usr/bin/time").exists():
        raise SystemExit("follow needs tmux and /usr/bin/time")
    home = Path(tempfile.mkdtemp(prefix="alss-follow-"))
    socket = f"alss-measure-{os.getpid()}"
    tmux = lambda *a: subprocess.run(["tmux", "-L", socket, *a], capture_output=True, text=True)  # noqa: E731
    timefile = home / "dashboard.time"
    try:
        registry = Registry(home)
        run_id = start_new_run(home, presets.load(config))
        folder = RunFolder(registry.runs_dir / run_id)
        command = (f"env ALSS_HOME={shlex.quote(str(home))} TERM=xterm-256color /usr/bin/time -v -o {timefile} "
                   f"{shlex.quote(sys.executable)} -m alss_tui dashboard --run {run_id}")
        tmux("new-session", "-d", "-x", "100", "-y", "30", "-s", "dash", "-c", os.getcwd(), command)
        pane = int(tmux("display", "-p", "-t", "dash", "#{pane_pid}").stdout.strip())
        dash = None
        while dash is None:
            time.sleep(0.1)
            dash = _child(pane)
        runner = None
        t0 = time.monotonic()
        steady_t = steady_d = steady_r = None  # after the dashboard's start-up (imports, first layout)
        d_last = r_last = 0
        while live_status(folder, registry.get(run_id)) not in ("finished", "failed", "crashed"):
            if time.monotonic() - t0 > 1800:
                raise SystemExit("the run took more than 30 minutes")
            runner = runner or _runner_process(run_id)
            r = _cpu_ticks(runner) if runner else None
            r_last = r if r is not None else r_last
            d = _cpu_ticks(dash)
            d_last = d if d is not None else d_last
            if steady_t is None and time.monotonic() - t0 > STARTUP_S:
                steady_t, steady_d, steady_r = time.monotonic(), d_last, r_last
            time.sleep(0.5)
        wall = time.monotonic() - t0
        steady_wall = time.monotonic() - steady_t if steady_t else float("nan")
        time.sleep(2)  # the monitor shows the end
        tmux("send-keys", "-t", "dash", "q")
        while not timefile.exists() or "Exit status" not in timefile.read_text():
            time.sleep(0.2)
        report = timefile.read_text()
        peak_kb = int(next(line for line in report.splitlines() if "Maximum resident set size" in line).split()[-1])
        dash_cpu, run_cpu = d_last / TICK, r_last / TICK  # whole lives, start-up included
        steady_dash = (d_last - (steady_d or 0)) / TICK
        steady_run = (r_last - (steady_r or 0)) / TICK
        return {"run_id": run_id, "status": live_status(folder, registry.get(run_id)),
                "events": sum(1 for _ in open(folder.events_path)), "wall_s": round(wall, 1),
                "dashboard_cpu_s": round(dash_cpu, 2), "runner_cpu_s": round(run_cpu, 2),
                "dashboard_share_of_cpu_used": round(dash_cpu / max(dash_cpu + run_cpu, 1e-9), 3),
                f"after_first_{STARTUP_S:.0f}s": {
                    "wall_s": round(steady_wall, 1), "dashboard_cpu_s": round(steady_dash, 2),
                    "runner_cpu_s": round(steady_run, 2),
                    "dashboard_cpu_percent_of_one_core": round(100 * steady_dash / steady_wall, 1),
                    "dashboard_share_of_cpu_used": round(steady_dash / max(steady_dash + steady_run, 1e-9), 3)},
                "dashboard_peak_rss_mb": round(peak_kb / 1024, 1)}
    finally:
        tmux("kill-server")
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("paint")
    p.add_argument("--runs", type=int, default=500)
    f = sub.add_parser("follow")
    f.add_argument("--config", default="digits-snn", help="a preset name or a config file")
    args = parser.parse_args()
    result = paint(args.runs) if args.what == "paint" else follow(args.config)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
