"""`data.dataset = "array"`: a pool that already is a uint8 (N, C, H, W) .npy, mapped as it is.

`data.data_root` is a folder holding `images.npy` and, optionally, `labels.npy`
(int, one per image) and a test split `test_images.npy` + `test_labels.npy`.
Nothing is copied or cached: the files are the pool.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alss_tui.data.pool import Dataset, Split
from alss_tui.data.pool_cache import digest
from alss_tui.data.source_base import stat_lines
from alss_tui.errors import DataError

if TYPE_CHECKING:
    from alss_tui.config import DataConfig


def _map(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable .npy file ({exc.__class__.__name__})") from None


def _images(path: Path) -> np.ndarray:
    x = _map(path)
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1] not in (1, 3):
        raise DataError(f"{path}: expected uint8 (N, C, H, W) with C = 1 or 3, found {x.dtype} {x.shape}")
    return x


def _labels(path: Path, n: int) -> np.ndarray:
    y = np.asarray(_map(path))
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer) or (n and y.min() < 0):
        raise DataError(f"{path}: expected {n} non-negative integer labels, found {y.dtype} {y.shape}")
    return y.astype(np.int64)


def open_array_dataset(cfg: DataConfig) -> Dataset:
    root = Path(cfg.data_root).expanduser()
    images_path = root / "images.npy"
    if not images_path.is_file():
        raise DataError(f"{root}: no images.npy (an array dataset is images.npy [+ labels.npy, "
                        "test_images.npy, test_labels.npy])")
    pool = _images(images_path)
    files = [images_path]
    truth = None
    if (root / "labels.npy").is_file():
        truth = _labels(root / "labels.npy", len(pool))
        files.append(root / "labels.npy")
    test_x = np.zeros((0, *pool.shape[1:]), np.uint8)
    test_y = np.zeros(0, np.int64)
    if (root / "test_images.npy").is_file():
        test_x = _images(root / "test_images.npy")
        if not (root / "test_labels.npy").is_file():
            raise DataError(f"{root}: test_images.npy needs test_labels.npy beside it")
        test_y = _labels(root / "test_labels.npy", len(test_x))
        files += [root / "test_images.npy", root / "test_labels.npy"]
        if test_x.shape[1:] != pool.shape[1:]:
            raise DataError(f"{root}: test images are {test_x.shape[1:]}, the pool's are {pool.shape[1:]}")
    if cfg.class_names:
        classes = tuple(cfg.class_names)
    elif truth is not None:
        classes = tuple(str(i) for i in range(int(max(truth.max(initial=0), test_y.max(initial=0))) + 1))
    else:
        raise DataError("data.class_names: an unlabelled array pool needs at least two class names")
    if len(classes) < 2:
        raise DataError("data.class_names: needs at least two class names")
    key = digest({"kind": "array"}, stat_lines(files))
    return Dataset("array", pool, truth, Split(test_x, test_y), classes, pixel_scale=255.0, pool_key=key)
