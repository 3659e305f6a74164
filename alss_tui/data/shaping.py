"""Shaping a pool for a run: the validation carve-out, the long tail and the pool limit.

Each is a row selection at fixed positions (SPLIT_SEED), the same whether the pool is
memory-mapped or in memory. A prefix stays a view of the memory map; any other
selection is written once beside its cache entry as its own .npy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from alss_tui.data.pool import Dataset, Split
from alss_tui.data.pool_cache import PoolCache, digest
from alss_tui.data.source_base import SPLIT_SEED
from alss_tui.errors import DataError

if TYPE_CHECKING:
    from alss_tui.config import DataConfig


def shape_pool(ds: Dataset, cfg: DataConfig, cache: PoolCache | None) -> Dataset:
    """Apply data.validation_size, data.imbalance, data.pool_limit as row selections.

    The positions are exactly those of the eager loader (fixed SPLIT_SEED). A prefix
    stays a view of the memory map; any other selection is written once as its own
    cached .npy (or copied, for a pool built in memory).
    """
    rng = np.random.default_rng(SPLIT_SEED)
    n = len(ds.pool_images)
    order = np.arange(n)
    shaping = {"validation_size": cfg.validation_size, "imbalance": cfg.imbalance, "pool_limit": cfg.pool_limit}
    tag = digest(shaping)[:12]
    if cfg.validation_size:
        if ds.pool_truth is None:
            raise DataError("data.validation_size: needs a labelled dataset; this pool has no labels")
        if ds.validation is not None and not ds.validation_is_test:
            raise DataError("data.validation_size: the folder has its own val/ split beside test/; set it to 0")
        ds.validation_is_test = False  # carved from the pool instead of the folder's val/
        if cfg.validation_size >= n:
            raise DataError(f"data.validation_size ({cfg.validation_size}) must be smaller than the pool ({n})")
        perm = rng.permutation(n)
        val_idx, order = np.sort(perm[: cfg.validation_size]), np.sort(perm[cfg.validation_size:])
        ds.validation = Split(_rows(ds, cache, f"validation-{tag}", val_idx), ds.pool_truth[val_idx])
    if cfg.imbalance > 1.0:
        if ds.pool_truth is None:
            raise DataError("data.imbalance: needs a labelled dataset; this pool has no labels")
        order = long_tail_indices(ds.pool_truth[order], cfg.imbalance, rng, order)
    if cfg.pool_limit and cfg.pool_limit < len(order):
        order = order[: cfg.pool_limit]
    if len(order) != n:
        images = _rows(ds, cache, f"pool-{tag}", order)
        ds.pool_images = images
        ds.pool_truth = ds.pool_truth[order] if ds.pool_truth is not None else None
        if ds.pool_paths is not None:
            ds.pool_paths = ds.pool_paths.select(order)
    return ds


def _rows(ds: Dataset, cache: PoolCache | None, name: str, rows: np.ndarray) -> np.ndarray:
    """ds.pool_images[rows] without a second in-memory copy where it can be avoided."""
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):  # sorted and contiguous: a slice is a view
        return ds.pool_images[rows[0]: rows[-1] + 1]
    if cache is not None and cache.persistent and ds.pool_key is not None:
        return cache.subset(ds.pool_key, name, ds.pool_images, rows)
    return np.ascontiguousarray(ds.pool_images[rows])


def long_tail_indices(labels: np.ndarray, ratio: float, rng: np.random.Generator,
                      positions: np.ndarray | None = None) -> np.ndarray:
    """Keep a geometrically decaying share per class: the rarest has 1/ratio of the largest.

    Classes are ranked by label id (class 0 keeps the most). Returns sorted positions.
    """
    positions = np.arange(len(labels)) if positions is None else positions
    classes = np.unique(labels)
    # The head class keeps as many as the smallest class has, so every class can fill its share.
    head = min(int(np.sum(labels == c)) for c in classes)
    k = len(classes)
    keep = []
    for rank, c in enumerate(classes):
        size = max(1, int(round(head * ratio ** (-rank / max(k - 1, 1)))))
        members = np.flatnonzero(labels == c)
        keep.append(positions[rng.choice(members, size=size, replace=False)])
    return np.sort(np.concatenate(keep))
