"""The built-in datasets as pool sources: digits (shipped with scikit-learn), MNIST, CIFAR-10.

Each `*_source(cfg)` stats its files into a key and returns a `Source`
(source_base.py) whose fill reads the files and writes the arrays in one go.
"""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alss_tui.data.pool_cache import digest
from alss_tui.data.source_base import Fill, Source, holdout_indices, stat_lines
from alss_tui.errors import DataError

if TYPE_CHECKING:
    from alss_tui.config import DataConfig

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")


def at_once(write: Callable[[Path], dict]) -> Fill:
    """A fill that writes its arrays in one go: a generator with nothing to report."""
    def fill(folder: Path, previous):
        return write(folder)
        yield  # unreachable: makes this a generator, as every fill is

    return fill


def write_arrays(folder: Path, pool_x: np.ndarray, pool_y: np.ndarray, test_x: np.ndarray,
                 test_y: np.ndarray, **meta) -> dict:
    """Save pool rows then test rows as one images.npy / labels.npy; returns the meta to record."""
    images = np.lib.format.open_memmap(folder / "images.npy", mode="w+", dtype=np.uint8,
                                       shape=(len(pool_x) + len(test_x), *pool_x.shape[1:]))
    images[: len(pool_x)] = pool_x
    images[len(pool_x):] = test_x
    images.flush()
    del images
    np.save(folder / "labels.npy", np.concatenate([pool_y, test_y]).astype(np.int64))
    return dict(meta, counts={"pool": len(pool_x), "test": len(test_x), "validation": 0}, labelled=True)


# --- digits -----------------------------------------------------------------

def digits_source(cfg: DataConfig) -> Source:
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    data_file = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
    lines = stat_lines([data_file]) if data_file is not None and data_file.is_file() else []
    settings = {"kind": "digits", "test_fraction": cfg.test_fraction}

    def write(folder: Path) -> dict:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        # Values are the integers 0..16: stored exactly, read back as value / 16.
        images = bunch.images.astype(np.uint8)[:, None, :, :]
        labels = bunch.target.astype(np.int64)
        pool, test = holdout_indices(len(labels), cfg.test_fraction)
        return write_arrays(folder, images[pool], labels[pool], images[test], labels[test], name="digits",
                            classes=[str(i) for i in range(10)], pixel_scale=16.0)

    return Source("digits", digest(settings, lines), digest(settings), at_once(write))


# --- mnist --------------------------------------------------------------------

_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _find(root: Path, name: str, subdirs: tuple[str, ...]) -> Path | None:
    for sub in subdirs:
        for candidate in (root / sub / name, root / sub / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read an unsigned-byte IDX file (plain or .gz).

    torchvision's MNIST reader only opens uncompressed files inside its own
    folder layout; the files as distributed are gzipped, so we read the format.
    """
    data = _read_bytes(path)
    if len(data) < 4 + 4 * ndim or data[0] != 0 or data[1] != 0 or data[2] != 0x08 or data[3] != ndim:
        raise DataError(f"{path}: not an IDX file of unsigned bytes with {ndim} dimensions")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path}: truncated IDX file (header says {dims}, found {body.size} bytes)")
    return body.reshape(dims)


def mnist_source(cfg: DataConfig) -> Source:
    root = Path(cfg.data_root).expanduser()
    if cfg.download:
        from torchvision.datasets import MNIST

        MNIST(str(root), train=True, download=True)
        MNIST(str(root), train=False, download=True)
    subdirs = (".", "MNIST/raw", "raw", "mnist")
    paths = {key: _find(root, name, subdirs) for key, name in _MNIST_FILES.items()}
    missing = [f"{_MNIST_FILES[k]}[.gz]" for k, p in paths.items() if p is None]
    if missing:
        raise DataError(f"{root}: MNIST files not found (expected {', '.join(missing)}; "
                        "pass --download to fetch them)")
    settings = {"kind": "mnist", "root": str(root.resolve())}

    def write(folder: Path) -> dict:
        x_train = read_idx(paths["train_images"], 3)
        y_train = read_idx(paths["train_labels"], 1).astype(np.int64)
        x_test = read_idx(paths["test_images"], 3)
        y_test = read_idx(paths["test_labels"], 1).astype(np.int64)
        if len(x_train) != len(y_train) or len(x_test) != len(y_test):
            raise DataError(f"{root}: MNIST image and label counts differ")
        return write_arrays(folder, x_train[:, None], y_train, x_test[:, None], y_test, name="mnist",
                            classes=[str(i) for i in range(10)], pixel_scale=255.0)

    lines = stat_lines([paths[k] for k in _MNIST_FILES])
    return Source("mnist", digest(settings, lines), digest(settings), at_once(write))


# --- cifar10 ------------------------------------------------------------------

def _read_cifar_binary(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.frombuffer(_read_bytes(path), dtype=np.uint8)
    if raw.size == 0 or raw.size % 3073:
        raise DataError(f"{path}: not CIFAR-10 binary records (3073 bytes each)")
    records = raw.reshape(-1, 3073)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise DataError(f"{path}: label byte out of range 0-9")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def cifar10_source(cfg: DataConfig) -> Source:
    root = Path(cfg.data_root).expanduser()
    settings = {"kind": "cifar10", "root": str(root.resolve()) if root.exists() else str(root)}
    py_dir = root / "cifar-10-batches-py"
    if cfg.download or py_dir.is_dir():
        def write_py(folder: Path) -> dict:
            from torchvision.datasets import CIFAR10

            try:
                train = CIFAR10(str(root), train=True, download=cfg.download)
                test = CIFAR10(str(root), train=False, download=cfg.download)
            except RuntimeError as exc:
                raise DataError(f"{root}: {exc}") from None
            to_chw = lambda d: np.asarray(d.data, dtype=np.uint8).transpose(0, 3, 1, 2)  # noqa: E731
            return write_arrays(folder, to_chw(train), np.asarray(train.targets, np.int64), to_chw(test),
                                np.asarray(test.targets, np.int64), name="cifar10",
                                classes=list(CIFAR10_CLASSES), pixel_scale=255.0)

        lines = stat_lines(sorted(p for p in py_dir.iterdir() if p.is_file())) if py_dir.is_dir() else ["download"]
        return Source("cifar10", digest({**settings, "layout": "py"}, lines), digest(settings), at_once(write_py))
    # The "binary version" (data_batch_N.bin, test_batch.bin), whole or in part, .gz accepted.
    search = [root, root / "cifar-10-batches-bin"]
    train_files = sorted(p for d in search if d.is_dir() for p in d.glob("data_batch*.bin*"))
    test_files = sorted(p for d in search if d.is_dir() for p in d.glob("test_batch*.bin*"))
    if not train_files or not test_files:
        raise DataError(f"{root}: CIFAR-10 files not found (expected data_batch*.bin[.gz] and "
                        "test_batch*.bin[.gz], or cifar-10-batches-py/; pass --download to fetch them)")
    meta = next((d / "batches.meta.txt" for d in search if (d / "batches.meta.txt").is_file()), None)

    def write(folder: Path) -> dict:
        parts = [_read_cifar_binary(p) for p in train_files]
        tests = [_read_cifar_binary(p) for p in test_files]
        classes = CIFAR10_CLASSES
        if meta is not None:
            names = tuple(line.strip() for line in meta.read_text().splitlines() if line.strip())
            if len(names) == 10:
                classes = names
        return write_arrays(folder, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                            np.concatenate([p[0] for p in tests]), np.concatenate([p[1] for p in tests]),
                            name="cifar10", classes=list(classes), pixel_scale=255.0)

    lines = stat_lines(train_files + test_files + ([meta] if meta is not None else []))
    return Source("cifar10", digest({**settings, "layout": "bin"}, lines), digest(settings), at_once(write))
