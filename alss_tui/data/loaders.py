"""Datasets as uint8 pools: digits (shipped with scikit-learn), mnist, cifar10, folder, array.

`load_dataset` returns uint8 (N, C, H, W) arrays (float pixel = value /
`Dataset.pixel_scale`). With a cache directory every dataset is turned into arrays
once and opened memory-mapped after that (pool_cache.py); without one it is built
in memory. Nothing is downloaded unless the caller asks; a missing or malformed
file raises DataError naming the path and what was expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alss_tui.data.pool import Dataset, RowPaths, Split
from alss_tui.data.pool_cache import CachedPool, PoolCache, digest
from alss_tui.data.sources import (  # noqa: F401  (read_idx, SPLIT_SEED: part of this module's API)
    CIFAR10_CLASSES, SPLIT_SEED, Source, cifar10_source, digits_source, mnist_source, read_idx,
)
from alss_tui.errors import DataError

if TYPE_CHECKING:
    from alss_tui.config import DataConfig
    from alss_tui.data.decode import Progress


def load_dataset(cfg: DataConfig, cache_dir: Path | None = None, progress: Progress | None = None,
                 pool_key: str | None = None) -> Dataset:
    """The dataset `cfg` describes, shaped (validation, long tail, limit).

    cache_dir: where pool entries live (`<home>/cache/pools`); None builds in memory.
    progress: called with (images decoded, images to decode) while a folder is decoded.
    pool_key: the pool a run started with; opened as it was even if the files changed
    since, and a DataError saying why when that entry is gone and the files differ.
    """
    cache = PoolCache(cache_dir)
    if cfg.dataset == "array":
        from alss_tui.data.array_source import open_array_dataset

        ds = open_array_dataset(cfg)
        if pool_key is not None and ds.pool_key != pool_key:
            raise DataError(f"{cfg.data_root}: the arrays changed since this run started (pool {pool_key})")
        return shape_pool(ds, cfg, None)
    if pool_key is not None:
        cached = cache.open(pool_key)
        if cached is not None:
            return shape_pool(dataset_from_cache(cached, cache.persistent), cfg, cache)
    source = make_source(cfg)
    if pool_key is not None and source.key != pool_key:
        raise DataError(f"{cfg.data_root or cfg.dataset}: files changed since this run started and its pool "
                        f"({pool_key}) is no longer cached; start a new run on the folder as it is now")
    cached = cache.open(source.key) or cache.build(source.key, lambda folder: source.fill(folder, cache, progress))
    return shape_pool(dataset_from_cache(cached, cache.persistent), cfg, cache)


def make_source(cfg: DataConfig) -> Source:
    if cfg.dataset == "folder":
        from alss_tui.data.folder_source import folder_source

        return folder_source(cfg)
    sources = {"digits": digits_source, "mnist": mnist_source, "cifar10": cifar10_source}
    return sources[cfg.dataset](cfg)


def dataset_from_cache(cached: CachedPool, persistent: bool) -> Dataset:
    """Split views of one entry: pool, test and validation are slices, so still memory maps."""
    meta = cached.meta
    counts = meta["counts"]
    a, b = counts["pool"], counts["pool"] + counts["test"]
    images, labels = cached.images, cached.labels
    labelled = bool(meta.get("labelled"))
    validation = Split(images[b:], labels[b:]) if counts.get("validation") else None
    pool_paths, skipped = None, ()
    test_is_validation = meta.get("kind") == "folder" and validation is None and counts["test"] > 0 and (
        meta["test_is_validation"] if "test_is_validation" in meta else _test_rows_from_val(cached, a))
    if test_is_validation:
        validation = Split(images[a:b], labels[a:b])
    if meta.get("kind") == "folder":
        root = meta["root"].rstrip("/") + "/"
        pool_paths = RowPaths(lambda: [root + rel for rel, _, _ in cached.files()[:a]], a)
        skipped = tuple((root + s[0], s[-1]) for s in meta.get("skipped", []))
    return Dataset(meta["name"], images[:a], labels[:a] if labelled else None, Split(images[a:b], labels[a:b]),
                   tuple(meta["classes"]), validation=validation, pool_paths=pool_paths,
                   pixel_scale=float(meta["pixel_scale"]), pool_key=meta["key"] if persistent else None,
                   skipped=skipped, validation_is_test=bool(test_is_validation))


def _test_rows_from_val(cached: CachedPool, first_test_row: int) -> bool:
    """An entry written before its meta said so: do its test rows come from a val/ folder?"""
    from alss_tui.data.folder_layout import VALIDATION_NAMES

    files = cached.files()
    return len(files) > first_test_row and files[first_test_row][0].split("/", 1)[0] in VALIDATION_NAMES


# --- shaping the pool: validation carve-out, long tail, limit ----------------

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
