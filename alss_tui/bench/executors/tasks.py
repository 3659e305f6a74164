"""What the bench driver hands to an executor, and what comes back.

The driver (the `alss-tui bench` process) is the only writer of run folders,
events.jsonl, checkpoints, the manifest and the registry. Workers compute and
send back, in order, a stream of messages per cell: events, and files written
into their scratch copy of the run folder (review files, the latent map,
checkpoints). Everything here is plain, picklable data: it crosses a pipe to a
local worker process or Ray's object store to another machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from alss_tui.config import RunConfig
from alss_tui.core.events import Event


@dataclass(frozen=True)
class VaeTask:
    """Train one seed's VAE (the cell config of any strategy of that seed: the VAE ignores it)."""

    seed: int
    config: RunConfig


@dataclass(frozen=True)
class CellTask:
    """Run (or resume) one cell into the run folder `run_id`, which lives with the driver."""

    key: str
    seed: int
    run_id: str
    config: RunConfig


@dataclass(frozen=True)
class SeedPlan:
    """A seed's VAE (bytes when cached, else a task to train it) and the cells that need it."""

    seed: int
    vae: VaeTask | bytes
    cells: list[CellTask]


# --- worker -> driver, per cell, in order ------------------------------------------------

@dataclass(frozen=True)
class CellStarted:
    worker: str  # host:pid of the process running the cell


@dataclass(frozen=True)
class EventEmitted:
    event: Event


@dataclass(frozen=True)
class FileWritten:
    path: str  # relative to the run folder, e.g. "checkpoints/round-002.pt"
    data: bytes


@dataclass(frozen=True)
class FileDeleted:
    path: str


Message = CellStarted | EventEmitted | FileWritten | FileDeleted


@dataclass(frozen=True)
class CellOutcome:
    """How an attempt ended: error is None when the run finished."""

    error: str | None = None
    traceback: str | None = None


class GridHandler(Protocol):
    """The driver side, called by an executor from the driver's own thread only."""

    def relay(self, key: str, messages: list[Message]) -> None: ...

    def vae_finished(self, seed: int, blob: bytes, seconds: float) -> None: ...

    def cell_finished(self, key: str) -> None: ...

    def cell_failed(self, key: str, error: str, traceback: str | None = None) -> None: ...

    def checkpoint(self, key: str) -> tuple[str, bytes] | None:
        """The newest checkpoint the driver holds for a cell (tag, bytes): a retry resumes from it."""


class Executor(Protocol):
    slots: int  # cells that can run at once (for the ETA)

    def run(self, plans: list[SeedPlan], handler: GridHandler) -> None:
        """Run every plan's VAE, then its cells; report through `handler`; return when all are done."""
