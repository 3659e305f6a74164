"""Configs in a few words, for tables and `show` (no torch: listing runs stays fast)."""

from __future__ import annotations

import os

from alss_tui.config.sections import RunConfig


def representation(cfg: RunConfig) -> str:
    """Which backbone, whose weights, trained how: "cnn (none, trained)", "cnn (pool encoder, frozen, linear head)"."""
    t = cfg.task
    weights = {"pool": "pool encoder", "none": "none", "imagenet": "imagenet"}.get(t.weights,
                                                                                   os.path.basename(t.weights))
    how = f"frozen, {t.head} head" if t.train == "head" else "trained"
    vae = ", VAE of features" if cfg.vae.input == "features" else ""
    return f"{t.model} ({weights}, {how}{vae})"
