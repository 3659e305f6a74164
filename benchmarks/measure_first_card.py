"""Seconds from launching a person's run on a photo folder to its first round being asked for.

    python benchmarks/measure_first_card.py [--n 10000] [--work DIR] [--launches 3]

Makes its own data (nothing is downloaded): `--n` 256 px JPEGs at the top of one folder, no
class folders (a person's own unlabelled photos, `data.class_names` naming ten classes), each a
CIFAR-10 image of the local subset upscaled, tinted and noised as bench_scale.py makes them,
written by one process. Then launches `alss-tui run` (oracle.kind = human) on it, each time a
new run in one home: the first launch decodes the folder into the pool cache, the later ones
open it cached. Timed from the process start to the `LabelsRequested` of round 0 in the run's
events.jsonl (the round's review files are written just before it, so the Review screen can
draw its first card); the runner is then killed, mid-VAE. Decoding uses one worker and torch
one thread (OMP_NUM_THREADS=1), to leave the other cores alone.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def make_unlabelled_folder(n: int, root: Path) -> float:
    """n JPEGs at 256 px directly in `root`; returns seconds (0 if already made)."""
    from PIL import Image

    from bench_scale import PHOTO_SIDE, _variant

    marker = root / ".complete"
    if marker.is_file() and marker.read_text().strip() == str(n):
        return 0.0
    root.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i in range(n):
        small, _ = _variant(i)
        rng = np.random.default_rng(i + 1)
        big = np.asarray(Image.fromarray(small).resize((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.BICUBIC),
                         dtype=np.float32)
        big = np.clip(big + rng.normal(0, 4, big.shape), 0, 255).astype(np.uint8)
        Image.fromarray(big).save(root / f"photo-{i:07d}.jpg", quality=90)
    marker.write_text(str(n))
    return time.perf_counter() - start


def write_config(path: Path, root: Path, image_size: int) -> None:
    from dataclasses import replace

    from alss_tui import config as config_mod
    from alss_tui.config import DataConfig, OracleConfig, RunConfig

    cfg = replace(RunConfig(name="first-card"), device="cpu",
                  data=DataConfig(dataset="folder", data_root=str(root), image_size=image_size, decode_workers=1,
                                  class_names=tuple(f"class{k}" for k in range(10))),
                  oracle=OracleConfig(kind="human"))
    path.write_text(config_mod.dumps(cfg))


def launch(home: Path, config: Path, timeout: float) -> float:
    """Seconds from starting the runner to round 0's LabelsRequested; the runner is then killed."""
    before = set((home / "runs").iterdir()) if (home / "runs").is_dir() else set()
    env = dict(os.environ, ALSS_HOME=str(home), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "alss_tui", "run", str(config), "--quiet"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"the runner exited ({proc.returncode}): {proc.stderr.read().decode()[-500:]}")
            for run in set((home / "runs").iterdir()) - before if (home / "runs").is_dir() else ():
                events = run / "events.jsonl"
                if events.is_file() and any(json.loads(line).get("type") == "LabelsRequested"
                                            for line in events.read_text().splitlines() if line.endswith("}")):
                    return time.perf_counter() - start
            time.sleep(0.05)
        raise SystemExit(f"no LabelsRequested within {timeout} s")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the session this script started, nothing else
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=None, help="where the photos and the home go (default: a temp dir)")
    parser.add_argument("--launches", type=int, default=3, help="launches on the cached pool")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        root, home = work / f"photos-{args.n}", work / "home"
        made = make_unlabelled_folder(args.n, root)
        if made:
            print(f"wrote {args.n} JPEGs of {256} px in {made:.0f} s (one process)", flush=True)
        config = work / "first-card.toml"
        write_config(config, root, args.image_size)
        first = launch(home, config, args.timeout)
        print(f"{args.n} photos, image_size {args.image_size}: first launch (decodes the folder into the pool cache, "
              f"one worker): {first:.2f} s to the first round", flush=True)
        cached = [launch(home, config, args.timeout) for _ in range(args.launches)]
        print(f"pool cached, {len(cached)} launches: " + ", ".join(f"{s:.2f}" for s in cached)
              + f" s to the first round; median {statistics.median(cached):.2f} s (target < 5 s); "
              f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
