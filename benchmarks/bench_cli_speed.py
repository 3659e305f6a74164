"""CLI start-up and `alss-tui ls` with 500 runs, against `python -c pass`, measured in one run.

    python benchmarks/bench_cli_speed.py [--runs 500] [--repeat 7]

Prints median wall seconds and the ratio to a bare interpreter start, and checks
that neither command imports torch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_seconds(cmd: list[str], env: dict, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_home(home: Path, runs: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from alss_tui.config import RunConfig
    from alss_tui.store.registry import Registry, registry_fields
    from alss_tui.store.run_folder import RunFolder

    registry = Registry(home)
    docs = []
    for i in range(runs):
        cfg = RunConfig(name=f"run-{i}", seed=i)
        folder = RunFolder.create(registry.runs_dir, cfg)
        docs.append({"id": folder.run_id, **registry_fields(cfg), "status": "finished", "round": 5,
                     "labelled": 300, "accuracy": 0.9, "best_accuracy": 0.91,
                     "created": time.time() - i, "updated": time.time()})
    registry.replace_all(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        make_home(home, args.runs)
        env = dict(os.environ, ALSS_HOME=str(home), COLUMNS="120")
        py = [sys.executable]
        base = median_seconds(py + ["-c", "pass"], env, args.repeat)
        rows = {
            "python -c pass": base,
            "alss-tui --help": median_seconds(py + ["-m", "alss_tui", "--help"], env, args.repeat),
            f"alss-tui ls ({args.runs} runs)": median_seconds(py + ["-m", "alss_tui", "ls"], env, args.repeat),
            f"alss-tui ls --json ({args.runs} runs)": median_seconds(py + ["-m", "alss_tui", "ls", "--json"], env,
                                                                     args.repeat),
        }
        probe = ("import sys, runpy; sys.argv=['alss-tui','ls']\n"
                 "try:\n    runpy.run_module('alss_tui', run_name='__main__')\nexcept SystemExit:\n    pass\n"
                 "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)")
        probe_out = subprocess.run(py + ["-c", probe], env=env, capture_output=True, text=True).stderr.strip()
        listed = json.loads(subprocess.run(py + ["-m", "alss_tui", "ls", "--json"], env=env,
                                           capture_output=True, text=True).stdout)
    print(f"{'command':34} {'median s':>9} {'x python -c pass':>17}")
    for name, secs in rows.items():
        print(f"{name:34} {secs:9.3f} {secs / base:17.1f}")
    print(f"runs listed: {len(listed)}; torch imported by ls: {probe_out.splitlines()[-1] == 'TORCH'}")


if __name__ == "__main__":
    main()
