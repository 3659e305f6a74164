"""A run folder waiting on a person, built directly (no training): fast review tests."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import numpy as np

from alss_tui import config as config_mod
from alss_tui.config import OracleConfig, RunConfig, SamplingConfig
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.tui.app import make_app

SIZE = (130, 40)


def review_app(home: Path, run_id: str, round: int | None = None):
    """The app `alss-tui review RUN_ID` runs: the Review screen alone."""
    return make_app(home, start="review-only", run_id=run_id, review_round=round)


def drive_review(home: Path, run_id: str, scenario, size: tuple[int, int] = SIZE):
    """Open the Review screen of `run_id`, let it paint, then `await scenario(app, pilot)`;
    returns what the scenario returns."""
    async def main():
        app = review_app(home, run_id)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            return await scenario(app, pilot)
    return asyncio.run(main())


def make_waiting_run(home: Path, n: int = 12, classes: tuple[str, ...] = tuple("0123456789"), round: int = 1,
                     strategy: str = "snn", synthetic: bool = False, oracle: str = "human",
                     side: int = 8, channels: int = 1, run_id: str | None = None) -> RunFolder:
    """A run whose round `round` has `n` candidates in review/, nothing submitted yet."""
    registry = Registry(home)
    cfg = replace(RunConfig(name="review-test"), oracle=OracleConfig(kind=oracle),
                  sampling=SamplingConfig(strategy=strategy))
    if run_id is None:
        folder = RunFolder.create(registry.runs_dir, cfg)
    else:  # a fixed id, for snapshots
        folder = RunFolder(registry.runs_dir / run_id)
        folder.review_dir.mkdir(parents=True)
        folder.config_path.write_text(config_mod.dumps(cfg))
        folder.labels_path.touch()
    registry.upsert(folder.run_id, status="awaiting-labels", oracle=oracle, waiting_round=round)
    write_round(folder, round, n, classes, strategy, synthetic, side, channels)
    return folder


def write_round(folder: RunFolder, round: int, n: int, classes=tuple("0123456789"), strategy: str = "snn",
                synthetic: bool = False, side: int = 8, channels: int = 1) -> list[dict]:
    """Candidates as the strategy writes them: latent ones (snn, si, ...) with a seed, a
    distance and the decoded image; the others (entropy-sub, ...) with an uncertainty score."""
    rng = np.random.default_rng(round)
    latent = strategy.startswith(("snn", "si"))
    items = [-(k + 1) for k in range(n)] if synthetic else [100 + 7 * k for k in range(n)]
    candidates = [{"item": item, "kind": "synthetic" if synthetic else "pool",
                   "seed_index": 3 + k if latent else None, "seed_label": k % len(classes) if latent else None,
                   "distance": 0.5 + k / 10 if latent else None, "loss_before": 0.2 if latent else None,
                   "loss_after": 1.3 if latent else None, "prediction": (k + 1) % len(classes),
                   "score": None if latent else 2.0 - k / 100}
                  for k, item in enumerate(items)]
    arrays = {"items": np.array(items, dtype=np.int64),
              "images": rng.integers(0, 256, (n, channels, side, side), dtype=np.uint8)}
    if latent:
        arrays["seeds"] = rng.integers(0, 256, (n, channels, side, side), dtype=np.uint8)
        arrays["decoded"] = rng.integers(0, 256, (n, channels, side, side), dtype=np.uint8)
    folder.write_review(round, {"round": round, "strategy": strategy, "classes": list(classes),
                                "candidates": candidates}, arrays)
    return candidates


def brightness_class(images: np.ndarray) -> list[int | None]:
    """A labelling function for tests: the mean brightness in tenths; None for black images."""
    means = images.reshape(len(images), -1).mean(axis=1)
    return [None if m == 0 else min(9, int(m * 10)) for m in means]
