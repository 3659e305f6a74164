"""The unlabelled pool, its hidden ground truth, and who has been labelled so far."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from alss_tui.errors import DataError


def to_float(batch_u8: np.ndarray, scale: float, out: np.ndarray | None = None) -> np.ndarray:
    """Stored pixels -> float32 pixels in [0, 1]: `uint8 / scale`, for one batch at a time.

    The division runs in float32, as the loaders always did, so a pixel is the
    same float whether it was kept as float or stored as a byte and converted here.
    `out` (float32, the batch's shape) receives the result when given.
    """
    batch_u8 = np.asarray(batch_u8)
    if out is None:
        out = np.empty(batch_u8.shape, dtype=np.float32)
    out[...] = batch_u8
    out /= np.float32(scale)  # in place: one batch-sized array, not two
    return out


class RowPaths(Sequence):
    """Where each pool row's image came from, read on first use.

    A review needs a handful of paths; reading all of them (a 100,000-line file list)
    was a quarter of a cached re-open's second. `rows` selects and orders rows of the
    full list, as shaping the pool (validation, long tail, limit) does.
    """

    def __init__(self, load: Callable[[], Sequence[str]], count: int, rows: np.ndarray | None = None):
        self._load, self._count, self._rows = load, count, rows
        self._paths: Sequence[str] | None = None

    def _all(self) -> Sequence[str]:
        if self._paths is None:
            self._paths = self._load()
        return self._paths

    def __len__(self) -> int:
        return self._count if self._rows is None else len(self._rows)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._all()[int(self._rows[i]) if self._rows is not None else i]

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequence: not a dict key

    def select(self, order: np.ndarray) -> "RowPaths":
        """The paths of rows `order` of this list, in that order."""
        rows = np.asarray(order, dtype=np.int64) if self._rows is None else self._rows[order]
        out = RowPaths(self._load, self._count, rows)
        out._paths = self._paths
        return out


@dataclass
class Split:
    """Held-out images with their labels (test or validation)."""

    images: np.ndarray  # uint8 (N, C, H, W), ndarray or np.memmap; float pixel = value / pixel_scale
    labels: np.ndarray  # int64, (N,)

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class Dataset:
    name: str
    # uint8 (N, C, H, W), ndarray or np.memmap: never converted whole; passes read batches
    # and convert each with `to_float(batch, pixel_scale)`.
    pool_images: np.ndarray
    pool_truth: np.ndarray | None  # int64 (N,), hidden from strategies; None if unknown
    test: Split
    classes: tuple[str, ...]
    validation: Split | None = None
    pool_paths: RowPaths | None = None  # for folder datasets: where each image came from
    # float pixel = uint8 / pixel_scale: 255 for images, 16 for scikit-learn's digits (values 0..16).
    pixel_scale: float = 255.0
    # Which cached pool this is (None when built in memory) and the files left out of it.
    pool_key: str | None = None
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason) of unreadable images
    # A folder of train/ + val/ only: its val/ is the validation split and, as it always
    # was, the test split too (one held-out folder; task.evaluate_on says what to call it).
    validation_is_test: bool = False

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.pool_images.shape[1:])  # type: ignore[return-value]


def held_out_split(ds: Dataset, evaluate_on: str) -> Split:
    """The split every round is scored on: the test split, or the validation split."""
    if evaluate_on != "validation":
        return ds.test
    if ds.validation is None:
        raise DataError("task.evaluate_on = 'validation': this data has no validation split; set "
                        "data.validation_size, or give a folder a val/ beside train/")
    return ds.validation


@dataclass
class Pool:
    """Pool images plus the growing labelled set.

    Labels given by the oracle are kept apart from the hidden truth: a person may
    label differently from the ground truth, and strategies must see only these.
    """

    images: np.ndarray  # the dataset's uint8 pool (only its length is used here)
    truth: np.ndarray | None
    labels: np.ndarray = field(init=False)  # -1 where not labelled
    rejected: np.ndarray = field(init=False)  # shown to the oracle and refused

    def __post_init__(self) -> None:
        self.labels = np.full(len(self.images), -1, dtype=np.int64)
        self.rejected = np.zeros(len(self.images), dtype=bool)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def labelled_mask(self) -> np.ndarray:
        return self.labels >= 0

    @property
    def labelled_indices(self) -> np.ndarray:
        return np.flatnonzero(self.labels >= 0)

    @property
    def unlabelled_indices(self) -> np.ndarray:
        """Candidates for selection: neither labelled nor rejected."""
        return np.flatnonzero((self.labels < 0) & ~self.rejected)

    @property
    def available_mask(self) -> np.ndarray:
        return (self.labels < 0) & ~self.rejected

    def add(self, indices: np.ndarray, labels: np.ndarray) -> None:
        indices = np.asarray(indices, dtype=np.int64)
        if len(np.unique(indices)) != len(indices):
            raise ValueError("duplicate pool indices in one labelling")
        if np.any(self.labels[indices] >= 0):
            raise ValueError("pool index labelled twice")
        self.labels[indices] = np.asarray(labels, dtype=np.int64)

    def reject(self, indices: np.ndarray) -> None:
        self.rejected[np.asarray(indices, dtype=np.int64)] = True
