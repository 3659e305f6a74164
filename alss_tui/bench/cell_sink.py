"""The driver's side of a cell running elsewhere: it writes what the worker sends.

The driver process holds the cell's run lock (so the run shows `running` while
its worker computes) and is the only writer of its run folder and registry
document: events go through the ordinary EventRecorder and RegistrySync, files
(review, latent map, checkpoints) are written atomically at the same place a
local run would write them. The dashboard follows the cell like a local run.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from alss_tui.core.events import RunFailed
from alss_tui.errors import StoreError
from alss_tui.bench.executors.tasks import EventEmitted, FileDeleted, FileWritten, Message
from alss_tui.runner.loop import EventRecorder
from alss_tui.runner.registry_sync import RegistrySync
from alss_tui.store.locks import RunLock
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder, atomic_write_bytes

WRITABLE = ("review", "latent", "checkpoints")


class CellSink:
    def __init__(self, folder: RunFolder, registry: Registry, listeners=()):
        self.folder = folder
        self.lock = RunLock(folder.lock_path)
        self.lock.acquire()
        self.recorder = EventRecorder(folder, [*listeners, RegistrySync(registry, folder.run_id)])

    def _inside(self, rel: str) -> Path:
        parts = PurePosixPath(rel).parts
        if not parts or parts[0] not in WRITABLE or ".." in parts or PurePosixPath(rel).is_absolute():
            raise StoreError(f"run {self.folder.run_id}: a worker sent a file outside the run folder ({rel!r})")
        return self.folder.path.joinpath(*parts)

    def apply(self, messages: list[Message]) -> None:
        for m in messages:
            if isinstance(m, EventEmitted):
                self.recorder(m.event)
            elif isinstance(m, FileWritten):
                if m.path.startswith("checkpoints/"):
                    self.recorder.sync()  # the log is durable up to the checkpoint it describes
                atomic_write_bytes(self._inside(m.path), m.data)
            elif isinstance(m, FileDeleted):
                self._inside(m.path).unlink(missing_ok=True)

    def fail(self, error: str, traceback: str | None = None) -> None:
        self.recorder(RunFailed(error))
        if traceback:
            with open(self.folder.log_path, "a", encoding="utf-8") as log:
                log.write(traceback)

    def close(self) -> None:
        self.recorder.close()
        self.lock.release()
