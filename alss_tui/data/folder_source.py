"""A folder of images as a pool source: its key from a stat of every file, its fill a parallel decode.

The first build decodes every file (decode.py) into `decoded.npy` in scan order.
A rebuild after files were added or changed copies the rows of every unchanged
file (same relative path, size and mtime) from the newest entry of the same
folder and settings, and decodes only the rest. Unreadable files are recorded,
not fatal; the rows that remain are written as pool, then test, then validation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alss_tui.data.decode import decode_into, detect_channels
from alss_tui.data.folder_layout import FolderLayout, scan_folder
from alss_tui.data.pool_cache import CachedPool, digest
from alss_tui.data.source_base import Source, holdout_indices
from alss_tui.errors import DataError

if TYPE_CHECKING:
    from alss_tui.config import DataConfig

# Names the resize rule in the key: changing how pixels are made must not reuse old ones.
CROP_RULE = "short-side-bilinear+centre-crop"
COPY_ROWS = 2048


def folder_source(cfg: DataConfig) -> Source:
    root = Path(cfg.data_root).expanduser()
    root = root.resolve() if root.exists() else root
    layout = scan_folder(root, tuple(cfg.class_names))
    settings = {"kind": "folder", "root": str(root), "image_size": cfg.image_size, "channels": cfg.channels,
                "crop": CROP_RULE, "labelled": layout.labelled, "classes": list(layout.classes),
                "held_out": layout.held_out,
                "test_fraction": cfg.test_fraction if layout.labelled and not layout.held_out else None}
    sections = ([("pool", f) for f in layout.pool] + [("test", f) for f in layout.test]
                + [("validation", f) for f in layout.validation])
    listing = "\n".join(f"{s}\t{f.rel}\t{f.size}\t{f.mtime_ns}\t{f.label}" for s, f in sections)
    key = digest(settings, [listing])
    family = digest(settings)

    def fill(folder: Path, previous: CachedPool | None):
        # Meta, not the key: which folder held the test rows changes no pixel.
        return (yield from _fill(folder, layout, cfg, previous,
                                 dict(settings, family=family, test_is_validation=layout.test_is_validation)))

    return Source("folder", key, family, fill, reuses_rows=True)


def write_files_tsv(path: Path, files: list[tuple[str, int, int]]) -> None:
    """Each row's file (relative path, size, mtime in ns), in row order: what `CachedPool.files` reads."""
    path.write_text("".join(f"{rel}\t{size}\t{mtime}\n" for rel, size, mtime in files), encoding="utf-8")


def _fill(folder: Path, layout: FolderLayout, cfg: DataConfig, previous: CachedPool | None, meta: dict):
    """Decode into `folder` (yields (done, total) as it goes); returns the entry's meta."""
    files = layout.files
    section = np.array([0] * len(layout.pool) + [1] * len(layout.test) + [2] * len(layout.validation))
    root = str(layout.root)
    abs_paths = [os.path.join(root, f.rel) for f in files]
    side = cfg.image_size
    channels = int(cfg.channels) if cfg.channels != "auto" else detect_channels(abs_paths)
    decoded = folder / "decoded.npy"
    out = np.lib.format.open_memmap(decoded, mode="w+", dtype=np.uint8, shape=(len(files), channels, side, side))

    # Each file is decoded straight into the row it will have if every file reads (pool,
    # then test, then validation): the common case then needs no reordering pass over
    # the whole array afterwards, only a rename.
    planned = np.concatenate(_split_rows(np.ones(len(files), dtype=bool), section, layout, cfg))
    row_of = np.empty(len(files), dtype=np.int64)
    row_of[planned] = np.arange(len(files))
    reused_from, reused_to, known_bad = _reusable(previous, files, (channels, side, side))
    for i in range(0, len(reused_to), COPY_ROWS):
        out[row_of[reused_to[i:i + COPY_ROWS]]] = previous.images[reused_from[i:i + COPY_ROWS]]
    out.flush()
    del out
    done = set(reused_to.tolist()) | set(known_bad)
    todo = [i for i in range(len(files)) if i not in done]
    failed = yield from decode_into(decoded, row_of[todo].tolist(), [abs_paths[i] for i in todo], side,
                                    channels, cfg.decode_workers)
    bad = {int(planned[row]): reason for row, reason in failed} | known_bad
    if len(bad) == len(files):
        first = files[min(bad)]
        raise DataError(f"{layout.root}: no readable image among {len(files)} files "
                        f"(e.g. {first.rel}: {bad[min(bad)]})")

    ok = np.array([i not in bad for i in range(len(files))], dtype=bool)
    pool_rows, test_rows, val_rows = _split_rows(ok, section, layout, cfg)
    if len(pool_rows) == 0:
        raise DataError(f"{layout.root}: no readable image left for the pool ({len(bad)} unreadable)")
    order = np.concatenate([pool_rows, test_rows, val_rows])
    counts = {"pool": len(pool_rows), "test": len(test_rows), "validation": len(val_rows)}
    _write_in_order(decoded, folder / "images.npy", row_of[order])
    np.save(folder / "labels.npy", np.array([files[i].label for i in order], dtype=np.int64))
    write_files_tsv(folder / "files.tsv", [files[i].identity for i in order])
    skipped = [[files[i].rel, files[i].size, files[i].mtime_ns, reason] for i, reason in sorted(bad.items())]
    return dict(meta, name="folder", pixel_scale=255.0, channels=channels, counts=counts,
                skipped=skipped, decoded=len(todo), reused=len(reused_to))


def _split_rows(ok: np.ndarray, section: np.ndarray, layout: FolderLayout, cfg: DataConfig):
    """(pool, test, validation) file indices among the readable files `ok`; concatenated, the entry's row order."""
    pool_rows = np.flatnonzero(ok & (section == 0))
    test_rows = np.flatnonzero(ok & (section == 1))
    val_rows = np.flatnonzero(ok & (section == 2))
    if layout.labelled and not layout.held_out:
        keep, test = holdout_indices(len(pool_rows), cfg.test_fraction)
        pool_rows, test_rows = pool_rows[keep], pool_rows[test]
    return pool_rows, test_rows, val_rows


def _reusable(previous: CachedPool | None, files, shape) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """(rows in the previous entry, rows here) of unchanged files, and unchanged files known unreadable."""
    empty = np.zeros(0, np.int64)
    if previous is None or tuple(previous.images.shape[1:]) != tuple(shape):
        return empty, empty, {}
    rows = {identity: r for r, identity in enumerate(previous.files())}
    bad_before = {(rel, size, mtime): reason for rel, size, mtime, reason in previous.meta.get("skipped", [])}
    src, dst, known_bad = [], [], {}
    for i, f in enumerate(files):
        r = rows.get(f.identity)
        if r is not None:
            src.append(r)
            dst.append(i)
        elif f.identity in bad_before:
            known_bad[i] = bad_before[f.identity]
    return np.array(src, np.int64), np.array(dst, np.int64), known_bad


def _write_in_order(decoded: Path, target: Path, order: np.ndarray) -> None:
    """Rows of `decoded` in `order` as `target`; a rename when the order is already right."""
    if np.array_equal(order, np.arange(len(order))) and len(order) == len(np.load(decoded, mmap_mode="r")):
        os.replace(decoded, target)
        return
    src = np.load(decoded, mmap_mode="r")
    out = np.lib.format.open_memmap(target, mode="w+", dtype=np.uint8, shape=(len(order), *src.shape[1:]))
    for i in range(0, len(order), COPY_ROWS):
        out[i:i + COPY_ROWS] = src[order[i:i + COPY_ROWS]]
    out.flush()
    del out, src
    decoded.unlink()
