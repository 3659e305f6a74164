"""The compute side of a bench: train a seed's VAE, run a cell; any process, any machine.

A cell runs the ordinary round loop into a scratch copy of its run folder (a
temporary directory on the worker) and mirrors what the loop writes there, plus
every event, to the driver through `send`. Nothing here touches the driver's
store, so no shared filesystem is needed; the worker needs the package and the
data at the same path (data.data_root) as the driver.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

from alss_tui import config as config_mod
from alss_tui.core.events import Progress
from alss_tui.errors import AlssError
from alss_tui.bench.executors.tasks import (
    CellOutcome, CellStarted, CellTask, EventEmitted, FileDeleted, FileWritten, Message, VaeTask,
)
from alss_tui.store.run_folder import RunFolder, atomic_write_bytes

_DATASETS: dict[str, object] = {}  # data config -> dataset, kept for the next task of this worker
MIRRORED = ("review", "latent", "checkpoints")


def set_threads(threads: int) -> None:
    """One cell, `threads` cores: N cells side by side must not each take every core."""
    import torch

    torch.set_num_threads(max(1, int(threads)))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def dataset_for(cfg):
    from alss_tui.data.loaders import load_dataset

    key = json.dumps(config_mod.to_dict(cfg)["data"], sort_keys=True)
    if key not in _DATASETS:
        _DATASETS.clear()  # one dataset at a time: a worker serves one grid
        _DATASETS[key] = load_dataset(cfg.data)
    return _DATASETS[key]


def remember_dataset(cfg, dataset) -> None:
    """Reuse a dataset the caller already loaded (the in-process executor)."""
    _DATASETS.clear()
    _DATASETS[json.dumps(config_mod.to_dict(cfg)["data"], sort_keys=True)] = dataset


def one_line(exc: BaseException) -> str:
    if isinstance(exc, AlssError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0]}" if text else exc.__class__.__name__


def local_cache() -> Path | None:
    """This machine's cache (`<home>/cache`), where a pool encoder trained for one bench serves the next
    (a frozen and a fine-tuned recipe share it); None where no home can be had (a bare Ray node)."""
    from alss_tui.errors import StoreError
    from alss_tui.store.home import cache_root, resolve_home

    try:
        return cache_root(resolve_home())
    except StoreError:
        return None


def train_seed_vae(task: VaeTask) -> tuple[bytes, float]:
    """(VAE + pool codes as bytes, training seconds) for one seed."""
    import time

    from alss_tui.core.engine import Engine
    from alss_tui.bench.vae_state import dump_vae

    engine = Engine(task.config, dataset_for(task.config), local_cache())
    start = time.perf_counter()
    for _ in engine.prepare_representation():  # the pool encoder (trained once per seed) and features
        pass
    for _ in engine.fit_vae():
        pass
    seconds = time.perf_counter() - start
    return dump_vae(engine, seconds), seconds


class FolderMirror:
    """Stands in for the event recorder: ships new files of the scratch folder, then the event.

    Files go first, so when the driver writes an event (say LabelsRequested) the
    review file it announces is already there, as in a local run.
    """

    def __init__(self, folder: RunFolder, send: Callable[[list[Message]], None]):
        self.folder = folder
        self.send = send
        self.seen = self._scan()

    def _scan(self) -> dict[str, tuple[int, int]]:
        out = {}
        for top in MIRRORED:
            for path in (self.folder.path / top).rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    st = path.stat()
                    out[path.relative_to(self.folder.path).as_posix()] = (st.st_size, st.st_mtime_ns)
        return out

    def file_changes(self) -> list[Message]:
        now = self._scan()
        changed = sorted((p for p, sig in now.items() if self.seen.get(p) != sig),
                         key=lambda p: (p.endswith("/latest"), p))  # a checkpoint before the marker naming it
        out: list[Message] = [FileWritten(p, (self.folder.path / p).read_bytes()) for p in changed]
        out += [FileDeleted(p) for p in sorted(set(self.seen) - set(now))]
        self.seen = now
        return out

    def __call__(self, event) -> None:
        # Progress comes many times a phase and announces no file: scanning the folder
        # for it would cost a walk of every checkpoint and review file each time.
        changes = [] if isinstance(event, Progress) else self.file_changes()
        self.send([*changes, EventEmitted(event)])

    def flush(self) -> None:
        changes = self.file_changes()
        if changes:
            self.send(changes)

    def sync(self) -> None:
        """The driver makes the log durable before it writes a checkpoint."""


def _scratch_folder(root: Path, task: CellTask, checkpoint: tuple[str, bytes] | None) -> RunFolder:
    folder = RunFolder(root / task.run_id)
    for sub in (folder.review_dir, folder.checkpoint_dir):
        sub.mkdir(parents=True)
    atomic_write_bytes(folder.config_path, config_mod.dumps(task.config).encode())
    if checkpoint is not None:
        tag, data = checkpoint
        atomic_write_bytes(folder.checkpoint_path(tag), data)
        atomic_write_bytes(folder.checkpoint_dir / "latest", tag.encode())
    return folder


def run_cell(task: CellTask, vae_blob: bytes, checkpoint: tuple[str, bytes] | None,
             send: Callable[[list[Message]], None]) -> CellOutcome:
    """Run the cell to its end (resuming from `checkpoint` when given); never raises for the cell's own errors."""
    from alss_tui.core.engine import Engine
    from alss_tui.errors import StoreError
    from alss_tui.runner.loop import run_loop
    from alss_tui.runner.oracle import make_oracle
    from alss_tui.bench.vae_state import attach_vae

    send([CellStarted(worker_name())])
    with tempfile.TemporaryDirectory(prefix="alss-cell-") as tmp:
        folder = _scratch_folder(Path(tmp), task, checkpoint)
        mirror = FolderMirror(folder, send)
        try:
            dataset = dataset_for(task.config)
            engine = Engine(task.config, dataset)
            attach_vae(engine, vae_blob)
            if checkpoint is not None:
                path = folder.latest_checkpoint()
                try:
                    engine.load_state_dict(folder.load_checkpoint(path))
                except (KeyError, ValueError, RuntimeError) as exc:
                    raise StoreError(f"{path.name}: does not fit this run ({exc})") from None
            oracle = make_oracle(task.config.oracle, dataset.pool_truth, dataset.classes, folder, task.config.seed)
            run_loop(engine, oracle, folder, mirror, resumed=checkpoint is not None)
            mirror.flush()
            return CellOutcome()
        except AlssError as exc:
            mirror.flush()
            return CellOutcome(one_line(exc))
        except Exception as exc:  # the cell failed, not the grid: report it and let the rest go on
            mirror.flush()
            return CellOutcome(one_line(exc), traceback.format_exc())
