"""What every pool source is: a key naming its inputs, and a fill that writes the arrays.

A `Source` is cheap to build (a stat of the input files, no reading of pixels); its
`fill(folder, previous)` writes the uint8 arrays into the folder the pool cache gives
out and runs only when no entry with that key exists. It is a generator: it yields
(images done, images to do) while it decodes and returns the entry's meta, so progress
travels up as values, never as a callback into the caller. The sources themselves are
sources.py (digits, MNIST, CIFAR-10), folder_source.py and array_source.py.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alss_tui.data.pool_cache import CachedPool

# One fixed seed for every split, so all runs on a dataset share the same test,
# validation and pool, whatever the run's own seed.
SPLIT_SEED = 20240601

Fill = Callable[[Path, "CachedPool | None"], Generator[tuple[int, int], None, dict]]


@dataclass
class Source:
    kind: str
    key: str
    family: str  # the same source and settings whatever the files: entries a rebuild may reuse rows from
    fill: Fill  # (folder, the family's newest entry when `reuses_rows`) -> yields progress, returns meta
    reuses_rows: bool = False  # a rebuild copies unchanged rows from the family's newest entry


def stat_lines(paths: list[Path]) -> list[str]:
    lines = []
    for p in paths:
        st = p.stat()
        lines.append(f"{p.resolve()}\t{st.st_size}\t{st.st_mtime_ns}")
    return lines


def holdout_indices(n: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(pool, test) positions: the fixed-seed split every run of a dataset shares."""
    perm = np.random.default_rng(SPLIT_SEED + 1).permutation(n)
    n_test = max(1, int(round(n * fraction)))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])
