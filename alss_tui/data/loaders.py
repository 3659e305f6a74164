"""Built-in datasets: digits (shipped with scikit-learn), mnist, cifar10, folder.

Images are returned as uint8 arrays, shape (N, C, H, W), with the dataset's
`pixel_scale` (float pixel = byte / scale; see `data.pool.to_float`). Nothing is
downloaded unless the caller asks; a missing or malformed file raises DataError
naming the path and what was expected.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alss_tui.data.pool import Dataset, Split
from alss_tui.errors import DataError

if TYPE_CHECKING:
    from alss_tui.config import DataConfig

# One fixed seed for every split, so all runs on a dataset share the same test,
# validation and pool, whatever the run's own seed.
SPLIT_SEED = 20240601

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")


def load_dataset(cfg: DataConfig) -> Dataset:
    loaders = {"digits": _digits, "mnist": _mnist, "cifar10": _cifar10, "folder": _folder}
    dataset = loaders[cfg.dataset](cfg)
    return _shape_pool(dataset, cfg)


# --- shaping the pool: validation carve-out, long tail, limit ----------------

def _shape_pool(ds: Dataset, cfg: DataConfig) -> Dataset:
    rng = np.random.default_rng(SPLIT_SEED)
    n = len(ds.pool_images)
    order = np.arange(n)
    if cfg.validation_size:
        if ds.pool_truth is None:
            raise DataError("data.validation_size: needs a labelled dataset; this pool has no labels")
        if cfg.validation_size >= n:
            raise DataError(f"data.validation_size ({cfg.validation_size}) must be smaller than the pool ({n})")
        perm = rng.permutation(n)
        val_idx, order = np.sort(perm[: cfg.validation_size]), np.sort(perm[cfg.validation_size:])
        ds.validation = Split(ds.pool_images[val_idx], ds.pool_truth[val_idx])
    if cfg.imbalance > 1.0:
        if ds.pool_truth is None:
            raise DataError("data.imbalance: needs a labelled dataset; this pool has no labels")
        order = long_tail_indices(ds.pool_truth[order], cfg.imbalance, rng, order)
    if cfg.pool_limit and cfg.pool_limit < len(order):
        order = order[: cfg.pool_limit]
    if len(order) != n:
        ds.pool_images = np.ascontiguousarray(ds.pool_images[order])
        ds.pool_truth = ds.pool_truth[order] if ds.pool_truth is not None else None
        if ds.pool_paths is not None:
            ds.pool_paths = tuple(ds.pool_paths[i] for i in order)
    return ds


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


def _holdout(images: np.ndarray, labels: np.ndarray, fraction: float):
    rng = np.random.default_rng(SPLIT_SEED + 1)
    perm = rng.permutation(len(labels))
    n_test = max(1, int(round(len(labels) * fraction)))
    test, pool = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    return images[pool], labels[pool], Split(images[test], labels[test])


# --- digits -----------------------------------------------------------------

def _digits(cfg: DataConfig) -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.uint8)[:, None, :, :]  # integers 0..16
    labels = bunch.target.astype(np.int64)
    pool, truth, test = _holdout(images, labels, cfg.test_fraction)
    return Dataset("digits", pool, truth, test, tuple(str(i) for i in range(10)), pixel_scale=16.0)


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


def _mnist(cfg: DataConfig) -> Dataset:
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
    x_train = read_idx(paths["train_images"], 3)
    y_train = read_idx(paths["train_labels"], 1).astype(np.int64)
    x_test = read_idx(paths["test_images"], 3)
    y_test = read_idx(paths["test_labels"], 1).astype(np.int64)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DataError(f"{root}: MNIST image and label counts differ")
    return Dataset("mnist", x_train[:, None, :, :], y_train, Split(x_test[:, None, :, :], y_test),
                   tuple(str(i) for i in range(10)))


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


def _cifar10(cfg: DataConfig) -> Dataset:
    root = Path(cfg.data_root).expanduser()
    if cfg.download or (root / "cifar-10-batches-py").is_dir():
        from torchvision.datasets import CIFAR10

        try:
            train = CIFAR10(str(root), train=True, download=cfg.download)
            test = CIFAR10(str(root), train=False, download=cfg.download)
        except RuntimeError as exc:
            raise DataError(f"{root}: {exc}") from None
        to_chw = lambda d: np.ascontiguousarray(np.asarray(d.data).transpose(0, 3, 1, 2))  # noqa: E731
        return Dataset("cifar10", to_chw(train), np.asarray(train.targets, dtype=np.int64),
                       Split(to_chw(test), np.asarray(test.targets, dtype=np.int64)), CIFAR10_CLASSES)
    # The "binary version" (data_batch_N.bin, test_batch.bin), whole or in part, .gz accepted.
    search = [root, root / "cifar-10-batches-bin"]
    train_files = sorted(p for d in search if d.is_dir() for p in d.glob("data_batch*.bin*"))
    test_files = sorted(p for d in search if d.is_dir() for p in d.glob("test_batch*.bin*"))
    if not train_files or not test_files:
        raise DataError(f"{root}: CIFAR-10 files not found (expected data_batch*.bin[.gz] and "
                        "test_batch*.bin[.gz], or cifar-10-batches-py/; pass --download to fetch them)")
    parts = [_read_cifar_binary(p) for p in train_files]
    tests = [_read_cifar_binary(p) for p in test_files]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    x_test = np.concatenate([p[0] for p in tests])
    y_test = np.concatenate([p[1] for p in tests])
    classes = CIFAR10_CLASSES
    meta = next((d / "batches.meta.txt" for d in search if (d / "batches.meta.txt").is_file()), None)
    if meta is not None:
        names = tuple(line.strip() for line in meta.read_text().splitlines() if line.strip())
        if len(names) == 10:
            classes = names
    return Dataset("cifar10", x_train, y_train, Split(x_test, y_test), classes)


# --- folder -------------------------------------------------------------------

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def _load_image(path: Path, side: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            rgb = img.convert("RGB").resize((side, side))
    except (OSError, UnidentifiedImageError) as exc:
        raise DataError(f"{path}: not a readable image ({exc.__class__.__name__})") from None
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1))


def _folder(cfg: DataConfig) -> Dataset:
    root = Path(cfg.data_root).expanduser()
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (expected class sub-folders or a flat folder of images)")
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    side = cfg.image_size
    if class_dirs:
        # Class sub-folders: a labelled dataset, read by torchvision's ImageFolder rules.
        from torchvision.datasets.folder import make_dataset

        classes = tuple(d.name for d in class_dirs)
        mapping = {c: i for i, c in enumerate(classes)}
        samples = make_dataset(str(root), mapping, extensions=tuple(IMAGE_SUFFIXES))
        if not samples:
            raise DataError(f"{root}: class folders hold no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        paths = [Path(p) for p, _ in samples]
        images = np.stack([_load_image(p, side) for p in paths])
        labels = np.array([y for _, y in samples], dtype=np.int64)
        pool, truth, test = _holdout(images, labels, cfg.test_fraction)
        rng_perm = np.random.default_rng(SPLIT_SEED + 1).permutation(len(labels))
        n_test = len(test)
        pool_paths = tuple(str(paths[i]) for i in np.sort(rng_perm[n_test:]))
        return Dataset("folder", pool, truth, test, classes, pool_paths=pool_paths)
    paths = sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise DataError(f"{root}: no images found ({', '.join(sorted(IMAGE_SUFFIXES))})")
    if len(cfg.class_names) < 2:
        raise DataError("data.class_names: an unlabelled folder needs at least two class names")
    images = np.stack([_load_image(p, side) for p in paths])
    empty = Split(np.zeros((0, *images.shape[1:]), np.uint8), np.zeros(0, np.int64))
    return Dataset("folder", images, None, empty, tuple(cfg.class_names),
                   pool_paths=tuple(str(p) for p in paths))
