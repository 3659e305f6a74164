"""The one way into the data layer: the pool a data config describes, shaped for a run.

`open_pool(cfg, cache_dir, pool_key)` is a generator: it yields (images done, images to
do) while a folder decodes and returns the `Dataset` (uint8 (N, C, H, W) arrays, a
float pixel = value / `pixel_scale`). It calls each module below it once on its way:
the source of the dataset's kind (sources.py, folder_source.py, array_source.py), the
pool cache (pool_cache.py: open, or begin + the source's fill + publish), then the
shaping (shaping.py). Progress travels up as yielded values, so nothing below calls
back into a caller. With a cache directory every dataset is turned into arrays once
and opened memory-mapped after that; without one it is built in memory. Nothing is
downloaded unless the config asks; a missing or malformed file raises DataError
naming the path and what was expected.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

from alss_tui.data.pool import Dataset, RowPaths, Split
from alss_tui.data.pool_cache import CachedPool, PoolCache
from alss_tui.data.shaping import shape_pool
from alss_tui.data.source_base import Source
from alss_tui.data.sources import cifar10_source, digits_source, mnist_source
from alss_tui.errors import DataError

if TYPE_CHECKING:
    from alss_tui.config import DataConfig

Opening = Generator[tuple[int, int], None, Dataset]


def open_pool(cfg: DataConfig, cache_dir: Path | None = None, pool_key: str | None = None) -> Opening:
    """The dataset `cfg` describes, shaped (validation, long tail, limit); yields decode progress.

    cache_dir: where pool entries live (`<home>/cache/pools`); None builds in memory.
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
    cached = cache.open(pool_key) if pool_key is not None else None
    if cached is None:
        source = make_source(cfg)
        if pool_key is not None and source.key != pool_key:
            raise DataError(f"{cfg.data_root or cfg.dataset}: files changed since this run started and its pool "
                            f"({pool_key}) is no longer cached; start a new run on the folder as it is now")
        cached = cache.open(source.key)
        if cached is None:
            cached = yield from _build(cache, source)
    return shape_pool(dataset_from_cache(cached, cache.persistent), cfg, cache)


def _build(cache: PoolCache, source: Source):
    """Fill a fresh entry from the source and publish it; a failed fill leaves nothing behind."""
    previous = cache.latest_of_family(source.family) if source.reuses_rows else None
    tmp = cache.begin(source.key)
    try:
        meta = yield from source.fill(tmp, previous)
    except BaseException:
        cache.discard(tmp)
        raise
    return cache.publish(source.key, tmp, meta)


def load_dataset(cfg: DataConfig, cache_dir: Path | None = None, pool_key: str | None = None) -> Dataset:
    """`open_pool` to the end, progress ignored: for callers with nobody to show it to."""
    opening = open_pool(cfg, cache_dir, pool_key)
    while True:
        try:
            next(opening)
        except StopIteration as done:
            return done.value


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
