"""Wall time of a bench grid in one process vs `--jobs 2` vs a local Ray instance with 2 CPUs.

    python benchmarks/bench_parallel.py [--grids digits,mnist] [--mnist PATH/TO/MNIST] [--out FILE.json]

Measured in one run, each mode in a fresh home (so every VAE is trained):
- a 4-strategy x 2-seed digits grid and a 3-strategy x 2-seed MNIST grid
  (the default digits recipe; MNIST's on a 10,000-image pool), sequential (2 torch threads),
  sequential with 1 torch thread, `--jobs 2` (1 thread each) and `--on ray --jobs 2` (ray.init(num_cpus=2), 1 CPU a cell);
  wall time includes each mode's start-up (Ray's included), and the parallel
  modes' summaries are compared figure for figure (timings aside) with the
  one-thread sequential run: at equal thread counts they must be identical;
- Ray's start-up and per-task overhead (an empty task's round trip);
- the driver's peak RSS (VmHWM of the `alss-tui bench` process alone, read
  from /proc while it runs: workers are not counted) and its CPU seconds (what
  relaying events and writing run folders costs, next to the cells' own work).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alss_tui.bench.summary import without_timings
from proc_status import status_kb  # this folder is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
# The digits grid is the default recipe (the form's digits run); the MNIST grid the MNIST
# recipe on a 10,000-image pool with a 2-epoch VAE, so that three modes fit in minutes.
# Both with a fixed 300 task steps a round (task.epochs=0), the recipe these figures were measured with.
DIGITS = ["--dataset", "digits", "--strategies", "random,margin-sub,entropy-sub,snn", "--seeds", "2",
          "--set", "device=\"cpu\"", "--set", "task.epochs=0"]
MNIST = ["mnist-snn", "--strategies", "random,margin-sub,snn", "--seeds", "2",
         "--set", "data.pool_limit=10000", "--set", "vae.epochs=2",
         "--set", "sampling.initial=100", "--set", "sampling.per_round=100", "--set", "sampling.budget=400",
         "--set", "device=\"cpu\"", "--set", "task.epochs=0"]
# "sequential" is the default (one process, every core's torch threads); "sequential-1" is one
# process with one torch thread, the per-cell thread count of the parallel modes: against it the
# ratio is the executor's own efficiency, against "sequential" what a user gains on this machine.
MODES = {"sequential": [], "sequential-1": ["--cpus-per-run", "1"], "jobs2": ["--jobs", "2"],
         "ray2": ["--on", "ray", "--jobs", "2"]}


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        return status_kb("VmHWM", pid)
    except (OSError, KeyError):  # the process has ended
        return None


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process so far (its children not counted)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_bench(args: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="alss-parallel-") as home:
        env = dict(os.environ, ALSS_HOME=home)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "alss_tui", "bench", "--json", *args], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak, cpu = 0, 0.0
        while proc.poll() is None:
            peak = max(peak, _vm_hwm_kb(proc.pid) or 0)
            cpu = max(cpu, _cpu_seconds(proc.pid) or 0.0)
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"bench {' '.join(args)} failed:\n{err[-3000:]}")
        return {"seconds": round(seconds, 1), "driver_peak_rss_mb": round(peak / 1024, 1),
                "driver_cpu_seconds": round(cpu, 1),
                "summary": without_timings(json.loads(out))}


def ray_overhead() -> dict:
    import ray

    from alss_tui.bench.executors.ray_backend import LOCAL_OBJECT_STORE, task_overhead

    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=LOCAL_OBJECT_STORE,
             log_to_driver=False, configure_logging=False)
    started = time.perf_counter() - start
    try:
        per_task = task_overhead(200)
    finally:
        ray.shutdown()
    return {"local_start_seconds": round(started, 2), "empty_task_round_trip_ms": round(per_task * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, default=REPO.parent / "shared" / "data" / "mnist")
    parser.add_argument("--grids", default="digits,mnist", help="which grids to time (comma-separated)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "parallel.json")
    opts = parser.parse_args()
    wanted = set(opts.grids.split(","))
    grids = {"digits": DIGITS} if "digits" in wanted else {}
    if "mnist" in wanted and opts.mnist.is_dir():
        grids["mnist"] = [*MNIST, "--data-root", str(opts.mnist.resolve())]
    elif "mnist" in wanted:
        print(f"no MNIST files in {opts.mnist}: the MNIST grid is skipped", file=sys.stderr)
    result = {"cores": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
              "ray": ray_overhead(), "grids": {}}
    print(f"ray: {result['ray']}", file=sys.stderr)
    for name, args in grids.items():
        rows = {}
        entry = result["grids"][name] = {"args": [a for a in args if not a.startswith("/")]}
        for mode, extra in MODES.items():
            rows[mode] = run_bench([*args, *extra])
            entry[mode] = {k: v for k, v in rows[mode].items() if k != "summary"}
            print(f"{name} {mode}: {rows[mode]['seconds']} s, driver peak {rows[mode]['driver_peak_rss_mb']} MB",
                  file=sys.stderr)
            if mode in ("jobs2", "ray2"):
                for base in ("sequential", "sequential-1"):
                    entry[f"speedup_{mode}_vs_{base}"] = round(rows[base]["seconds"] / rows[mode]["seconds"], 2)
                # Equal thread counts (one per cell): the same figures, bit for bit.
                entry[f"same_table_{mode}"] = rows[mode]["summary"] == rows["sequential-1"]["summary"]
            result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            opts.out.write_text(json.dumps(result, indent=1) + "\n")  # after each mode: a cut-short run keeps its figures
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
