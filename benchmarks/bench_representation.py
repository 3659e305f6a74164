"""The frozen-backbone path's speed, as ratios against baselines measured in the same run.

    python benchmarks/bench_representation.py [--pool 100000] [--side 32] [--json FILE]

1. The feature pass (every pool, test and validation image through the backbone once,
   written to the memory-mapped cache) against a bare `torch.no_grad()` loop over the
   same batches that keeps nothing: the target is within 1.2x.
2. A round with a frozen backbone (head training on cached features, selection,
   evaluation) against today's round (the small CNN trained on pixels), both with
   `margin-sub`, on the same pool at the same labelled count: the target is a tenth.
3. Full-pool `margin` against `margin-sub`, both on frozen features: scoring the whole
   pool is one matrix product, so the two should cost about the same.

The pool is an `array` dataset of random uint8 images made here (timings do not depend
on what the pixels show), written to a temporary folder and removed at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch


def make_pool(folder: Path, n: int, side: int, test: int = 2000) -> None:
    rng = np.random.default_rng(0)
    for name, count in (("images", n), ("test_images", test)):
        arr = np.lib.format.open_memmap(folder / f"{name}.npy", mode="w+", dtype=np.uint8, shape=(count, 3, side, side))
        for i in range(0, count, 8192):
            arr[i:i + 8192] = rng.integers(0, 256, (min(8192, count - i), 3, side, side), dtype=np.uint8)
        arr.flush()
        del arr
    np.save(folder / "labels.npy", rng.integers(0, 10, n))
    np.save(folder / "test_labels.npy", rng.integers(0, 10, test))


def config(root: Path, **task):
    from alss_tui.config import DataConfig, RunConfig, SamplingConfig, TaskConfig, VaeConfig

    return RunConfig(seed=0, device="cpu", data=DataConfig(dataset="array", data_root=str(root)),
                     vae=VaeConfig(epochs=1), task=TaskConfig(**task),
                     sampling=SamplingConfig(strategy="margin-sub", initial=500, per_round=100, budget=1000))


def engine_with_labels(cfg, cache: Path | None, labelled: int):
    """An engine past its representation, with `labelled` random pool items labelled and a VAE stand-in."""
    from alss_tui.core.engine import Engine
    from alss_tui.data.loaders import load_dataset

    engine = Engine(cfg, load_dataset(cfg.data), cache)
    for _ in engine.prepare_representation():
        pass
    rng = np.random.default_rng(1)
    picked = rng.choice(len(engine.pool), labelled, replace=False)
    engine.pool.add(picked, engine.dataset.pool_truth[picked])
    # Selection reads codes and the index only for latent strategies: random codes stand in for the VAE.
    from alss_tui.models.vae import ConvVAE

    engine.vae = ConvVAE(engine.dataset.shape, 16, 8)
    engine._set_codes(rng.standard_normal((len(engine.pool), 16)).astype(np.float32))
    engine.round = 0
    list(engine.train_task(0))  # the model a round's selection reads
    return engine


def timed_round(engine, strategy: str) -> dict[str, float]:
    engine.strategy = __import__("alss_tui.core.strategies", fromlist=["get_strategy"]).get_strategy(
        strategy, cfg=replace(engine.cfg.sampling, strategy=strategy))
    engine.cfg = replace(engine.cfg, sampling=replace(engine.cfg.sampling, strategy=strategy))
    out = {}
    start = time.perf_counter()
    list(engine.propose(1))
    out["propose"] = time.perf_counter() - start
    engine.pending, engine.pending_round = None, None
    start = time.perf_counter()
    list(engine.train_task(1))
    out["task"] = time.perf_counter() - start
    start = time.perf_counter()
    list(engine.evaluate(1))
    out["evaluate"] = time.perf_counter() - start
    out["round"] = sum(out.values())
    return out


def feature_pass(cfg, cache: Path) -> tuple[float, float]:
    """(seconds of the feature pass into the cache, seconds of a bare loop over the same batches)."""
    from alss_tui.core.engine import Engine
    from alss_tui.core.pool_images import PoolImages
    from alss_tui.data.loaders import load_dataset

    engine = Engine(cfg, load_dataset(cfg.data), cache)
    rep = engine.representation
    rep._set_backbone(rep.new_backbone())
    images = [PoolImages(engine.dataset.pool_images, 255.0), PoolImages(engine.dataset.test.images, 255.0)]
    start = time.perf_counter()
    with torch.no_grad():
        for split in images:
            for x in split.inference_batches():
                rep.backbone(x)
    bare = time.perf_counter() - start
    start = time.perf_counter()
    for _ in rep._features():
        pass
    return time.perf_counter() - start, bare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", type=int, default=100_000)
    ap.add_argument("--side", type=int, default=32)
    ap.add_argument("--labelled", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory(prefix="alss-bench-rep-") as tmp:
        root, cache = Path(tmp) / "pool", Path(tmp) / "cache"
        root.mkdir()
        make_pool(root, args.pool, args.side)
        frozen = config(root, train="head")
        passes = [feature_pass(frozen, Path(tmp) / f"cache-{k}") for k in range(args.repeats)]
        pass_s, bare_s = statistics.median(p[0] for p in passes), statistics.median(p[1] for p in passes)
        today = engine_with_labels(config(root), None, args.labelled)
        head = engine_with_labels(frozen, cache, args.labelled)
        today_round = [timed_round(today, "margin-sub") for _ in range(args.repeats)]
        head_round = [timed_round(head, "margin-sub") for _ in range(args.repeats)]
        head_full = [timed_round(head, "margin") for _ in range(args.repeats)]

    def med(rows, key="round"):
        return statistics.median(r[key] for r in rows)

    result = {
        "pool": args.pool, "side": args.side, "labelled": args.labelled, "threads": 2,
        "feature_pass_seconds": pass_s, "bare_loop_seconds": bare_s, "feature_pass_ratio": pass_s / bare_s,
        "today_margin_sub_round": {k: med(today_round, k) for k in today_round[0]},
        "frozen_margin_sub_round": {k: med(head_round, k) for k in head_round[0]},
        "frozen_margin_round": {k: med(head_full, k) for k in head_full[0]},
    }
    result["frozen_over_today"] = result["frozen_margin_sub_round"]["round"] / result["today_margin_sub_round"]["round"]
    result["margin_over_margin_sub_selection"] = (result["frozen_margin_round"]["propose"]
                                                  / result["frozen_margin_sub_round"]["propose"])
    print(f"feature pass {pass_s:.1f} s, bare loop {bare_s:.1f} s: {result['feature_pass_ratio']:.2f}x (target <= 1.2)")
    print(f"margin-sub round: today {result['today_margin_sub_round']['round']:.2f} s, frozen "
          f"{result['frozen_margin_sub_round']['round']:.2f} s: {result['frozen_over_today']:.3f}x (target <= 0.1)")
    print(f"frozen selection: margin {result['frozen_margin_round']['propose']:.3f} s, margin-sub "
          f"{result['frozen_margin_sub_round']['propose']:.3f} s: {result['margin_over_margin_sub_selection']:.1f}x")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
