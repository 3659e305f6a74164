"""Running a benchmark grid: strategies x seeds on one dataset and recipe.

Every cell is an ordinary run (run folder, registry document, events.jsonl),
so it shows in `alss-tui ls` and the dashboard like any other. One VAE per seed
is trained once (its own task), cached under $ALSS_HOME/cache and shipped to
every strategy's cell of that seed: the VAE depends only on the data, the VAE
config and the seed, never on the strategy.

Cells run on an executor (bench.executors): in this process, in N local
worker processes, or as Ray tasks. Wherever they run, this process (the
driver) is the only writer of run folders, the registry and the manifest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alss_tui.bench.executors.tasks import CellStarted, CellTask, SeedPlan, VaeTask
from alss_tui.bench.manifest import Cell, Manifest, cell_config
from alss_tui.bench.vae_state import VaeCache
from alss_tui.config import RunConfig
from alss_tui.errors import ConfigError
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.run_ops import create_run

@dataclass(frozen=True)
class GridProgress:
    """Where the grid stands, for a progress bar with an ETA."""

    done: int
    total: int
    current: str
    eta_seconds: float | None


def run_grid(home: Path, manifest: Manifest, base: RunConfig, dataset=None,
             on_progress: Callable[[GridProgress], None] | None = None,
             listeners: list | None = None, executor=None) -> Manifest:
    """Run every unfinished cell of the grid on `executor` (default: this process, one at a time).

    Returns the manifest; every cell is then `finished` or `failed` (with its
    one-line error): a failing cell does not stop the others.
    """
    from alss_tui.bench.executors import make_executor
    from alss_tui.bench.executors.worker import one_line, remember_dataset

    if base.oracle.kind == "human":
        raise ConfigError("bench: oracle.kind = human cannot label a grid of runs; "
                          "use simulated, file or function")
    if executor is None:
        executor = make_executor()
    if dataset is not None and getattr(executor, "in_process", False):
        remember_dataset(base, dataset)  # an in-process executor need not load it again
    driver = GridDriver(home, manifest, base, listeners or [], on_progress, executor.slots)
    try:
        executor.run(driver.plans(), driver)
    except BaseException as exc:
        driver.abandon("interrupted" if isinstance(exc, KeyboardInterrupt) else f"bench stopped: {one_line(exc)}")
        raise
    driver.report()
    return manifest


class GridDriver:
    """The only writer of the grid's store: run folders, registry, manifest, VAE cache."""

    def __init__(self, home: Path, manifest: Manifest, base: RunConfig, listeners: list,
                 on_progress: Callable[[GridProgress], None] | None, slots: int):
        self.registry = Registry(home)
        self.cache = VaeCache(home)
        self.manifest = manifest
        self.base = base
        self.listeners = listeners
        self.on_progress = on_progress
        self.slots = max(1, slots)
        self.cells = manifest.ordered()
        self.sinks: dict = {}  # key -> CellSink of each running cell
        self.started: dict[str, float] = {}
        self.durations = [c.seconds for c in self.cells if c.status == "finished" and c.seconds]

    def plans(self) -> list[SeedPlan]:
        """One plan per seed with unfinished cells; every such cell gets its run folder now."""
        plans = []
        for seed in self.manifest.seeds:
            todo = [c for c in self.cells if c.seed == seed and c.status != "finished"]
            if not todo:
                continue
            for c in todo:  # an earlier attempt's failure is retried: it is not done until it runs again
                if c.status == "failed":
                    c.status = "pending"
            tasks = [CellTask(c.key, seed, self._folder_for(c), cell_config(self.base, c.strategy, seed))
                     for c in todo]
            vae_cfg = tasks[0].config
            blob = self.cache.read(vae_cfg)
            if blob is not None and str(seed) not in self.manifest.vae_seconds:
                from alss_tui.bench.vae_state import trained_seconds

                self.manifest.vae_seconds[str(seed)] = trained_seconds(blob)
            plans.append(SeedPlan(seed, blob if blob is not None else VaeTask(seed, vae_cfg), tasks))
        self.manifest.save()
        self.report()
        return plans

    def _folder_for(self, cell: Cell) -> str:
        if cell.run_id is not None and (self.registry.runs_dir / cell.run_id).is_dir():
            return cell.run_id  # an earlier attempt: its checkpoint is where the cell resumes
        cfg = cell_config(self.base, cell.strategy, cell.seed)
        folder = create_run(self.registry.home, cfg, bench=self.manifest.bench_id)
        cell.run_id = folder.run_id
        return cell.run_id

    def report(self) -> None:
        if self.on_progress is None:
            return
        done = sum(c.status in ("finished", "failed") for c in self.cells)
        left = len(self.cells) - done
        mean = sum(self.durations) / len(self.durations) if self.durations else None
        eta = mean * -(-left // self.slots) if mean is not None else None
        running = list(self.sinks)
        current = ", ".join(running[:3]) + (f" and {len(running) - 3} more" if len(running) > 3 else "")
        self.on_progress(GridProgress(done, len(self.cells), current, eta))

    # --- GridHandler ---------------------------------------------------------------

    def _sink(self, key: str):
        from alss_tui.bench.cell_sink import CellSink

        if key not in self.sinks:
            cell = self.manifest.cells[key]
            self.sinks[key] = CellSink(RunFolder(self.registry.runs_dir / cell.run_id), self.registry,
                                       self.listeners)
            self.started[key] = time.perf_counter()
        return self.sinks[key]

    def relay(self, key: str, messages: list) -> None:
        sink = self._sink(key)
        for m in messages:
            if isinstance(m, CellStarted):
                cell = self.manifest.cells[key]
                cell.status, cell.worker, cell.error = "running", m.worker, None
                self.manifest.save()
                self.report()
        sink.apply(messages)

    def vae_finished(self, seed: int, blob: bytes, seconds: float) -> None:
        self.cache.store(cell_config(self.base, self.manifest.strategies[0], seed), blob)
        self.manifest.vae_seconds[str(seed)] = seconds
        self.manifest.save()

    def checkpoint(self, key: str) -> tuple[str, bytes] | None:
        folder = RunFolder(self.registry.runs_dir / self.manifest.cells[key].run_id)
        path = folder.latest_checkpoint()
        return (path.stem, path.read_bytes()) if path is not None else None

    def _end(self, key: str, status: str, error: str | None = None, traceback: str | None = None) -> None:
        cell = self.manifest.cells[key]
        sink = self._sink(key)
        if error is not None:
            sink.fail(error, traceback)
        sink.close()
        del self.sinks[key]
        cell.status, cell.error = status, error
        cell.seconds = (cell.seconds or 0.0) + time.perf_counter() - self.started.pop(key)
        if status == "finished":
            self.durations.append(cell.seconds)
        self.manifest.save()
        self.report()

    def cell_finished(self, key: str) -> None:
        self._end(key, "finished")

    def cell_failed(self, key: str, error: str, traceback: str | None = None) -> None:
        self._end(key, "failed", error, traceback)

    def abandon(self, why: str) -> None:
        """The driver stops early: running cells are marked so, and resume on the next run."""
        for key, sink in list(self.sinks.items()):
            try:
                sink.fail(why)
            finally:
                sink.close()
            del self.sinks[key]
