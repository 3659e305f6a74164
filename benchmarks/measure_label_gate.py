"""Measure what a run waiting for a person's labels keeps resident, and how long a submit takes
to bring the next round.

    python benchmarks/measure_label_gate.py [--dataset digits|mnist --data-root DIR] [--rounds 2]

Starts a detached run with `oracle.kind = "human"`, and at each gate: waits until the run
is awaiting labels and settled (--settle seconds), sums the resident memory (VmRSS) of
every process whose command line names the run, labels every candidate as class 0
through `alss-tui label --from` (the labels' quality is not measured), and times the submit until the next round waits. Prints one
JSON document. Uses only the command line and the registry file, so it measures any
version of the tool on PYTHONPATH. Run from the repository root; the machine's other
load shows in the seconds, not in the memory.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """
name = "gate-{dataset}"
seed = 0
device = "cpu"
[data]
dataset = "{dataset}"
{data_root}
[vae]
epochs = {vae_epochs}
[task]
steps = 100
[sampling]
strategy = "margin-sub"
initial = 50
per_round = 50
budget = {budget}
[oracle]
kind = "human"
"""


def alss(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alss_tui", *args, "--home", str(home)],
                          capture_output=True, text=True, check=True)


def registry_doc(home: Path, run_id: str) -> dict:
    try:
        data = json.loads((home / "registry.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return next((d for d in data.get("runs", {}).values() if d.get("id") == run_id), {})


def run_processes(run_id: str) -> dict[int, int]:
    """pid -> resident kB of every live process whose command line names the run."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if run_id not in cmdline or "measure_label_gate" in cmdline:
                continue
            status = (entry / "status").read_text()
        except OSError:
            continue
        rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        out[int(entry.name)] = rss
    return out


def wait_for_gate(home: Path, run_id: str, round_no: int, timeout: float = 1800) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        doc = registry_doc(home, run_id)
        if doc.get("status") == "failed":
            raise SystemExit(f"run failed: {doc.get('error')}")
        if doc.get("status") == "awaiting-labels" and doc.get("waiting_round") == round_no:
            return time.monotonic() - start
        time.sleep(0.2)
    raise SystemExit(f"round {round_no} never waited for labels")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--rounds", type=int, default=2, help="gates to measure (round 0, 1, ...)")
    parser.add_argument("--vae-epochs", type=int, default=2)
    parser.add_argument("--settle", type=float, default=15.0, help="seconds to let a gate settle before sampling")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="alss-gate-"))
    config = home / "gate.toml"
    data_root = f"data_root = {json.dumps(str(Path(args.data_root).resolve()))}" if args.data_root else ""
    config.write_text(CONFIG.format(dataset=args.dataset, data_root=data_root, vae_epochs=args.vae_epochs,
                                    budget=50 * (args.rounds + 1)))
    run_id = alss("run", str(config), "--detach", home=home).stdout.strip().splitlines()[-1]
    gates = []
    submit_seconds = None
    for round_no in range(args.rounds):
        wait_for_gate(home, run_id, round_no)
        waited = time.monotonic()
        gone_after = None
        while time.monotonic() - waited < args.settle:  # a stopping runner exits; a waiting one settles
            if gone_after is None and not run_processes(run_id):
                gone_after = round(time.monotonic() - waited, 1)
            time.sleep(0.2)
        processes = run_processes(run_id)
        gates.append({"round": round_no, "processes": len(processes),
                      "resident_mb": round(sum(processes.values()) / 1024, 1),
                      "no_process_after_s": gone_after, "submit_to_next_gate_s": submit_seconds})
        review = json.loads((home / "runs" / run_id / "review" / f"r{round_no:03d}.json").read_text())
        labels = home / f"r{round_no}.csv"
        with open(labels, "w", newline="") as fh:
            csv.writer(fh).writerows([("index", "label"), *[(c["item"], 0) for c in review["candidates"]]])
        start = time.monotonic()
        alss("label", run_id, "--from", str(labels), home=home)
        if round_no + 1 < args.rounds:
            wait_for_gate(home, run_id, round_no + 1)
            submit_seconds = round(time.monotonic() - start, 1)
    for pid in run_processes(run_id):  # the last submit continues the run: stop it
        os.kill(pid, 15)
    print(json.dumps({"dataset": args.dataset, "run_id": run_id, "home": str(home), "gates": gates}, indent=1))


if __name__ == "__main__":
    main()
