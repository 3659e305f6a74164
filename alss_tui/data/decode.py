"""Decode image files into rows of a uint8 (N, C, side, side) .npy, in parallel.

Each image is resized so its short side is `side` (aspect kept), then centre
cropped to a square: the Pillow equivalent of torchvision's
`resize(side)` + `center_crop(side)` on a PIL image (same bilinear filter, same
long-side and crop-offset rounding), without importing torch in every worker.
JPEGs are asked to `draft()` first, so a 4000 px photo is decoded at 1/8 scale
when that still covers `side`.

Worker processes write straight into the memory-mapped output file (no pixels
travel back through pipes); each returns the rows it could not read and why.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

GRAYSCALE_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
# Headers looked at to decide data.channels = "auto" (evenly spread over the folder).
CHANNEL_SAMPLE = 64


def worker_count(requested: int) -> int:
    """data.decode_workers: 0 means every core this process may use."""
    if requested > 0:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def detect_channels(paths: Sequence[str]) -> int:
    """1 if every sampled readable image is grayscale, else 3 (only headers are read)."""
    from PIL import Image

    if not paths:
        return 3
    step = max(1, len(paths) // CHANNEL_SAMPLE)
    modes = []
    for path in paths[::step][:CHANNEL_SAMPLE]:
        try:
            with Image.open(path) as img:
                modes.append(img.mode)
        except Exception:  # an unreadable file says nothing about the others
            continue
    return 1 if modes and all(m in GRAYSCALE_MODES for m in modes) else 3


def resize_and_crop(img, side: int):
    """Short side to `side` (bilinear), then the centred side x side square."""
    from PIL import Image

    w, h = img.size
    if w <= h:
        new_w, new_h = side, int(side * h / w)
    else:
        new_w, new_h = int(side * w / h), side
    if (new_w, new_h) != (w, h):
        img = img.resize((new_w, new_h), Image.Resampling.BILINEAR)
    top = int(round((new_h - side) / 2.0))
    left = int(round((new_w - side) / 2.0))
    return img.crop((left, top, left + side, top + side))


def decode_image(path: str, side: int, channels: int) -> np.ndarray:
    """One file -> uint8 (channels, side, side). Raises whatever Pillow raises on a bad file."""
    from PIL import Image

    mode = "L" if channels == 1 else "RGB"
    with Image.open(path) as img:
        img.draft(mode, (side, side))  # JPEG only: decode at the smallest scale still >= side
        if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F") and mode == "L":
            # 16-bit and float grayscale: scale to 8 bits instead of clipping at 255.
            arr = np.asarray(img, dtype=np.float64)
            top = float(arr.max()) or 1.0
            img = Image.fromarray(np.clip(np.rint(arr / top * 255.0), 0, 255).astype(np.uint8), "L")
        elif img.mode != mode:
            img = img.convert("RGBA").convert(mode) if img.mode in ("P", "PA") else img.convert(mode)
        else:
            img.load()
        out = np.asarray(resize_and_crop(img, side), dtype=np.uint8)
    return out[None] if channels == 1 else out.transpose(2, 0, 1)


# The output file, mapped once per process and kept for its next chunks. Chunks are not
# flushed: a shared mapping writes into the page cache every process sees, and the pool
# cache fsyncs each file before the entry is renamed into place (an msync of the whole
# mapping per chunk was serial kernel work that grew with the pool).
_OUT: tuple[str, np.ndarray] | None = None


def _output(npy_path: str) -> np.ndarray:
    global _OUT
    if _OUT is None or _OUT[0] != npy_path:
        _OUT = (npy_path, np.load(npy_path, mmap_mode="r+"))
    return _OUT[1]


def _release_output() -> None:
    global _OUT
    _OUT = None


def _decode_chunk(npy_path: str, rows: Sequence[int], paths: Sequence[str], side: int,
                  channels: int) -> list[tuple[int, str]]:
    """Decode `paths` into `rows` of the .npy at `npy_path`; returns (row, reason) of failures."""
    out = _output(npy_path)
    failed = []
    for row, path in zip(rows, paths):
        try:
            out[row] = decode_image(path, side, channels)
        except Exception as exc:  # any decoder failure skips this one file, never the folder
            failed.append((row, _reason(path, exc)))
    return failed


def _reason(path: str, exc: Exception) -> str:
    try:
        if os.path.getsize(path) == 0:
            return "empty file (0 bytes)"
    except OSError as err:
        return f"cannot read ({err.strerror})"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def chunk_size(n: int, workers: int) -> int:
    """Big enough to amortise a task, small enough for a smooth bar and an even spread."""
    return max(8, min(256, n // (workers * 8) or 8))


def decode_into(npy_path: Path, rows: Sequence[int], paths: Sequence[str], side: int, channels: int,
                workers: int) -> Generator[tuple[int, int], None, list[tuple[int, str]]]:
    """Decode every path into its row of the (already allocated) .npy.

    Yields (images done, images total) as chunks finish; returns the failures sorted by row.
    """
    total = len(paths)
    yield 0, total
    if total == 0:
        return []
    workers = min(worker_count(workers), max(1, total // 8))
    size = chunk_size(total, workers)
    chunks = [(list(rows[i:i + size]), list(paths[i:i + size])) for i in range(0, total, size)]
    failed: list[tuple[int, str]] = []
    done = 0
    if workers == 1:
        try:
            for chunk_rows, chunk_paths in chunks:
                failed += _decode_chunk(str(npy_path), chunk_rows, chunk_paths, side, channels)
                done += len(chunk_rows)
                yield done, total
        finally:
            _release_output()  # this process: the caller renames the folder next
        return sorted(failed)
    import multiprocessing

    # spawn, not fork: the parent may hold torch's threads or a live progress bar's lock.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_decode_chunk, str(npy_path), r, p, side, channels): len(r) for r, p in chunks}
        for future in as_completed(futures):
            failed += future.result()
            done += futures[future]
            yield done, total
    return sorted(failed)
