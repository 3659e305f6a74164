"""Cold start of `alss-tui --help` against a bare `python -c pass`, measured in one run.

    python benchmarks/bench_cli_start.py [--repeats 15]

Each command runs as a fresh process; the median wall time of the repeats is
reported, with the ratio and the difference (the CLI's own start-up cost).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "alss-tui --help": [sys.executable, "-m", "alss_tui", "--help"],
}


def time_command(cmd: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    for cmd in COMMANDS.values():  # warm the file cache once, so both are measured warm-disk/cold-process
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    # Interleave the two so load from other processes hits both alike.
    samples: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(args.repeats):
        for name, cmd in COMMANDS.items():
            samples[name] += time_command(cmd, 1)
    median = {k: statistics.median(v) for k, v in samples.items()}
    result = {
        "repeats": args.repeats,
        "median_seconds": {k: round(v, 4) for k, v in median.items()},
        "min_seconds": {k: round(min(v), 4) for k, v in samples.items()},
        "ratio": round(median["alss-tui --help"] / median["python -c pass"], 2),
        "cli_overhead_seconds": round(median["alss-tui --help"] - median["python -c pass"], 4),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
