"""A frozen backbone's features of a whole pool, computed once and memory-mapped after.

An entry is a folder `<cache>/features/<key>/` holding one float32 `.npy` per split
(`pool`, `test`, `validation`) and `meta.json`, written last. The key names the pool
(its cache key and shaping) and the backbone with its weights' digest, so a changed
pool or changed weights make a new entry. An entry is written in
`.tmp-<key>-<pid>/` and renamed into place when every split is complete: a process
killed during the feature pass leaves only a temporary folder, which nothing reads
and the next write removes.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from alss_tui.durable import fsync_path, pid_alive

SPLITS = ("pool", "test", "validation")
META = "meta.json"


class FeatureCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def open(self, key: str) -> dict[str, np.ndarray] | None:
        """The entry's arrays by split (memory-mapped), or None when there is none yet."""
        entry = self.root / key
        try:
            meta = json.loads((entry / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        try:
            return {s: np.load(entry / f"{s}.npy", mmap_mode="r") for s in meta.get("splits", [])}
        except (OSError, ValueError):
            return None

    def writer(self, key: str, sizes: dict[str, int], dim: int) -> "FeatureWriter":
        self.root.mkdir(parents=True, exist_ok=True)
        for stale in self.root.glob(".tmp-*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        return FeatureWriter(self.root, key, sizes, dim)


class FeatureWriter:
    """Memory-mapped arrays to fill split by split; `publish` renames the entry into place."""

    def __init__(self, root: Path, key: str, sizes: dict[str, int], dim: int):
        self.root, self.key = root, key
        self.tmp = root / f".tmp-{key}-{os.getpid()}"
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(parents=True)
        self.arrays = {s: np.lib.format.open_memmap(self.tmp / f"{s}.npy", mode="w+", dtype=np.float32,
                                                    shape=(n, dim)) for s, n in sizes.items()}

    def publish(self, meta: dict) -> dict[str, np.ndarray]:
        for arr in self.arrays.values():
            arr.flush()
        self.arrays.clear()
        (self.tmp / META).write_text(json.dumps({**meta, "splits": _splits_in(self.tmp)}), encoding="utf-8")
        for file in self.tmp.iterdir():
            fsync_path(file)
        fsync_path(self.tmp)
        try:
            os.rename(self.tmp, self.root / self.key)
        except OSError:
            if not (self.root / self.key / META).is_file():  # not another process finishing first
                raise
            shutil.rmtree(self.tmp, ignore_errors=True)
        fsync_path(self.root)
        opened = FeatureCache(self.root).open(self.key)
        assert opened is not None
        return opened

    def discard(self) -> None:
        self.arrays.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _splits_in(folder: Path) -> list[str]:
    return [s for s in SPLITS if (folder / f"{s}.npy").is_file()]
