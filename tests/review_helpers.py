"""A run folder waiting on a person, built directly (no training): fast review tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from alss_tui.config import OracleConfig, RunConfig
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder


def make_waiting_run(home: Path, n: int = 12, classes: tuple[str, ...] = tuple("0123456789"), round: int = 1,
                     strategy: str = "snn", synthetic: bool = False, oracle: str = "human",
                     side: int = 8, channels: int = 1) -> RunFolder:
    """A run whose round `round` has `n` candidates in review/, nothing submitted yet."""
    registry = Registry(home)
    cfg = replace(RunConfig(name="review-test"), oracle=OracleConfig(kind=oracle))
    folder = RunFolder.create(registry.runs_dir, cfg)
    registry.upsert(folder.run_id, status="awaiting-labels", oracle=oracle, waiting_round=round)
    write_round(folder, round, n, classes, strategy, synthetic, side, channels)
    return folder


def write_round(folder: RunFolder, round: int, n: int, classes=tuple("0123456789"), strategy: str = "snn",
                synthetic: bool = False, side: int = 8, channels: int = 1) -> list[dict]:
    rng = np.random.default_rng(round)
    items = [-(k + 1) for k in range(n)] if synthetic else [100 + 7 * k for k in range(n)]
    candidates = [{"item": item, "kind": "synthetic" if synthetic else "pool", "seed_index": 3 + k,
                   "seed_label": k % len(classes), "distance": 0.5 + k / 10, "loss_before": 0.2,
                   "loss_after": 1.3, "prediction": (k + 1) % len(classes), "score": None}
                  for k, item in enumerate(items)]
    arrays = {"items": np.array(items, dtype=np.int64),
              "images": rng.integers(0, 256, (n, channels, side, side), dtype=np.uint8),
              "seeds": rng.integers(0, 256, (n, channels, side, side), dtype=np.uint8),
              "decoded": rng.integers(0, 256, (n, channels, side, side), dtype=np.uint8)}
    folder.write_review(round, {"round": round, "strategy": strategy, "classes": list(classes),
                                "candidates": candidates}, arrays)
    return candidates
