"""Stable stopping against spending the whole budget: labels saved, accuracy lost.

    python experiments/measure_stopping.py --pool mnist [--data-root ../shared/data/mnist] [--seeds 0]
    python experiments/measure_stopping.py --pool longtail
    python experiments/measure_stopping.py --pool cifar10 [--data-root ../shared/data/cifar10-subset]

Each seed is one run of the shipped recipe (the pool's preset with `margin-sub`) with
`sampling.stop = "budget"`: it spends the whole budget and records the stopping signal every
round. The signal never changes what a run picks (tests/test_stopping.py), so the round where
`sampling.stop = "stable"` would have ended is read from the same run: the first whose mean kappa
over the last `stop_window` rounds reaches the threshold. Printed for the default threshold and
two lower ones: labels at that round, the labels it saves against the budget, and test accuracy
there against the accuracy after the whole budget (points lost). Run with OMP_NUM_THREADS=1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

POOLS = {  # preset, extra settings, default data root (relative to the repository)
    "mnist": ("mnist-random", [], "../shared/data/mnist"),
    "longtail": ("mnist-random", ["data.imbalance=100"], "../shared/data/mnist"),
    "cifar10": ("cifar10-random", [], "../shared/data/cifar10-subset"),
}


def run(home: Path, preset: str, settings: list[str], seed: int) -> list[dict]:
    env = dict(os.environ, ALSS_HOME=str(home), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    args = [sys.executable, "-m", "alss_tui", "run", preset, "--json", "--set", f"seed={seed}",
            "--set", "sampling.strategy=margin-sub", "--set", "sampling.stop=budget", "--set", "device=cpu"]
    for s in settings:
        args += ["--set", s]
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "run failed")
    run_id = json.loads(done.stdout)["run_id"]
    events = [json.loads(x) for x in (home / "runs" / run_id / "events.jsonl").read_text().splitlines()]
    kappa = {e["round"]: e["kappa"] for e in events if e["type"] == "AgreementMeasured"}
    return [{"round": e["round"], "labelled": e["labelled"], "accuracy": e["accuracy"], "kappa": kappa.get(e["round"])}
            for e in events if e["type"] == "RoundFinished"]


def stop_round(rounds: list[dict], threshold: float, window: int) -> int | None:
    """Index of the first round whose mean kappa over the last `window` rounds reaches `threshold`."""
    kappas: list[float] = []
    for k, r in enumerate(rounds):
        if r["kappa"] is not None:
            kappas.append(r["kappa"])
        if len(kappas) >= window and sum(kappas[-window:]) / window >= threshold:
            return k
    return None


def main() -> None:
    from alss_tui.config import SamplingConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", choices=sorted(POOLS), default="mnist")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--set", action="append", default=[], help="more settings, KEY=VALUE")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    preset, settings, root = POOLS[args.pool]
    settings = [f"data.data_root={args.data_root or root}", *settings, *args.set]
    default = SamplingConfig()
    window = default.stop_window
    thresholds = (default.stop_threshold, 0.98, 0.95)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            rounds = run(Path(tmp), preset, settings, seed)
            out.append({"seed": seed, "rounds": rounds})
            last = rounds[-1]
            print(f"{args.pool} seed {seed}: budget {last['labelled']} labels, accuracy {100 * last['accuracy']:.2f} %;"
                  f" kappa by round " + " ".join("-" if r["kappa"] is None else f"{r['kappa']:.3f}" for r in rounds),
                  flush=True)
            for t in thresholds:
                k = stop_round(rounds, t, window)
                if k is None or k == len(rounds) - 1:
                    print(f"  threshold {t} (window {window}): {'never crossed' if k is None else 'crossed at the last round'}"
                          " before the budget was spent: no labels saved, nothing lost")
                    continue
                r = rounds[k]
                print(f"  threshold {t} (window {window}): stops after round {r['round']} at {r['labelled']} labels, "
                      f"saves {last['labelled'] - r['labelled']} ({100 * (1 - r['labelled'] / last['labelled']):.0f} %), "
                      f"accuracy {100 * r['accuracy']:.2f} %: {100 * (last['accuracy'] - r['accuracy']):+.2f} points lost")
    if args.json:
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
