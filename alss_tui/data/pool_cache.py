"""Pools on disk: uint8 arrays decoded once, opened memory-mapped ever after.

A cache entry is a folder `<cache>/<key>/` holding
  images.npy   uint8 (N, C, H, W): pool rows, then test rows, then validation rows
  labels.npy   int64 (N,), -1 where unlabelled
  files.tsv    for folders: relative path, size, mtime (ns) of each row, in row order
  meta.json    counts, classes, pixel scale, skipped files; written last
The key says which inputs the arrays came from (see `digest`). An entry is built in
`.tmp-<key>-<pid>/`, every file fsynced, then renamed into place: a process killed
mid-build leaves only a `.tmp-` folder, which nothing opens and the next build
removes. Finished entries are never deleted here: a run resumes with the exact
pool it started with as long as its entry exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alss_tui.durable import fsync_path, pid_alive

FORMAT = 1
META = "meta.json"


def digest(parts: object, extra_lines: object = ()) -> str:
    """A short stable hash of a JSON-able description plus any number of text lines."""
    h = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    for line in extra_lines:
        h.update(str(line).encode())
        h.update(b"\n")
    return h.hexdigest()[:24]


@dataclass
class CachedPool:
    path: Path
    meta: dict
    images: np.ndarray  # np.memmap when opened from disk
    labels: np.ndarray
    _files: list[tuple[str, int, int]] | None = None

    def files(self) -> list[tuple[str, int, int]]:
        """(relative path, size, mtime_ns) of each row; empty for non-folder pools. Read once."""
        if self._files is None:
            tsv = self.path / "files.tsv"
            self._files = []
            if tsv.is_file():
                for line in tsv.read_text(encoding="utf-8").splitlines():
                    rel, size, mtime = line.rsplit("\t", 2)
                    self._files.append((rel, int(size), int(mtime)))
        return self._files


def _open_entry(path: Path, mmap: bool) -> CachedPool | None:
    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT:
        return None
    images = np.load(path / "images.npy", mmap_mode="r" if mmap else None)
    labels = np.load(path / "labels.npy")
    return CachedPool(path, meta, images, labels)


class PoolCache:
    """Entries under `root`; with root None, a build happens in a temporary folder and is loaded into memory."""

    def __init__(self, root: Path | None):
        self.root = Path(root) if root is not None else None

    @property
    def persistent(self) -> bool:
        return self.root is not None

    def open(self, key: str) -> CachedPool | None:
        if self.root is None:
            return None
        entry = self.root / key
        return _open_entry(entry, mmap=True) if (entry / META).is_file() else None

    def latest_of_family(self, family: str) -> CachedPool | None:
        """The newest finished entry built from the same source and settings (files may differ)."""
        if self.root is None or not self.root.is_dir():
            return None
        best = None
        for entry in self.root.iterdir():
            meta_path = entry / META
            if entry.name.startswith(".") or not meta_path.is_file():
                continue
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if meta.get("family") == family and meta.get("format") == FORMAT:
                mtime = meta_path.stat().st_mtime_ns
                if best is None or mtime > best[0]:
                    best = (mtime, entry)
        return _open_entry(best[1], mmap=True) if best else None

    def begin(self, key: str) -> Path:
        """An empty folder to write entry `key` into (images.npy, labels.npy, ...), then `publish` it.

        Persistent: `.tmp-<key>-<pid>/` beside the entries (a kill leaves only that, which
        nothing opens and the next build removes); in memory: a temporary folder.
        """
        if self.root is None:
            return Path(tempfile.mkdtemp(prefix="alss-pool-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_stale()
        tmp = self.root / f".tmp-{key}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        return tmp

    def publish(self, key: str, tmp: Path, meta: dict) -> CachedPool:
        """Write `meta` last and rename the folder into place (in memory: load it and remove the folder)."""
        meta.update(format=FORMAT, key=key)
        try:
            (tmp / META).write_text(json.dumps(meta), encoding="utf-8")
            if self.root is None:
                pool = _open_entry(tmp, mmap=False)
                assert pool is not None
                pool.files()  # read now: the folder goes away
                return pool
            for file in tmp.iterdir():
                fsync_path(file)
            fsync_path(tmp)
            try:
                os.rename(tmp, self.root / key)
            except OSError:
                # Another process finished the same entry first: theirs is as good as ours.
                if not (self.root / key / META).is_file():
                    raise
            fsync_path(self.root)
        finally:
            self.discard(tmp)
        opened = self.open(key)
        assert opened is not None
        return opened

    def discard(self, tmp: Path) -> None:
        """Remove a folder `begin` gave out (a build that failed or was published)."""
        shutil.rmtree(tmp, ignore_errors=True)

    def subset(self, key: str, name: str, source: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """`source[rows]` as its own cached .npy (memory-mapped), built once per shaping."""
        assert self.root is not None
        folder = self.root / key / "subsets"
        path = folder / f"{name}.npy"
        if not path.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".tmp-{name}-{os.getpid()}.npy"
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=source.dtype, shape=(len(rows), *source.shape[1:]))
            step = 4096
            for i in range(0, len(rows), step):  # chunked: never a second copy of the pool in memory
                out[i:i + step] = source[rows[i:i + step]]
            out.flush()
            del out
            fsync_path(tmp)
            os.replace(tmp, path)
            fsync_path(folder)
        return np.load(path, mmap_mode="r")

    def _remove_stale(self) -> None:
        """Half-built entries of processes that died (a kill -9 mid-decode)."""
        assert self.root is not None
        for entry in self.root.glob(".tmp-*"):
            pid = entry.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)
