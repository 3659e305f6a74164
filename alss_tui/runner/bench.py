"""A benchmark grid: strategies x seeds on one dataset and recipe.

Every cell is an ordinary run (run folder, registry document, events.jsonl),
so it shows in `alss-tui ls` and the dashboard like any other. One VAE per seed
is trained once (its own task), cached under $ALSS_HOME/cache and shipped to
every strategy's cell of that seed: the VAE depends only on the data, the VAE
config and the seed, never on the strategy.

Cells run on an executor (runner.executors): in this process, in N local
worker processes, or as Ray tasks. Wherever they run, this process (the
driver) is the only writer of run folders, the registry and the manifest.

The bench keeps a manifest under $ALSS_HOME/benches/<id>/; its id is a hash of
the recipe (config minus name, seed and strategy), so running the same bench
again resumes it (finished cells are skipped, an interrupted or failed cell
continues from its last checkpoint) and adding strategies or seeds extends it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from alss_tui import config as config_mod
from alss_tui.config import RunConfig
from alss_tui.errors import ConfigError
from alss_tui.runner.executors.tasks import CellStarted, CellTask, SeedPlan, VaeTask
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder, atomic_write_bytes
from alss_tui.store.run_ops import create_run

MANIFEST_FORMAT = 1


def _digest(obj: object, length: int = 12) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:length]


def bench_id(cfg: RunConfig) -> str:
    """Same recipe -> same bench, whatever the run name, strategies or seeds.

    Re-running a bench resumes it; running it with more strategies or seeds
    extends it, reusing every run it already has.
    """
    body = config_mod.to_dict(cfg)
    body.pop("name")
    body.pop("seed")
    body["sampling"].pop("strategy")
    # A key added later, at the value every bench had before it existed: the same id.
    return _digest({"config": config_mod.drop_added_later(body)})


def vae_cache_key(cfg: RunConfig) -> str:
    return _digest({"data": config_mod.to_dict(cfg)["data"], "vae": config_mod.to_dict(cfg)["vae"],
                    "seed": cfg.seed, "device": cfg.device}, 20)


def cell_config(base: RunConfig, strategy: str, seed: int) -> RunConfig:
    name = f"{base.name}-{strategy}-s{seed}"
    oracle = base.oracle
    if strategy != "si" and oracle.kind == "function":
        # The labelling function is for SI's synthetic images; pool images keep their ground truth.
        oracle = replace(oracle, kind="simulated", function="")
    return config_mod.validate(replace(base, name=name, seed=seed, oracle=oracle,
                                       sampling=replace(base.sampling, strategy=strategy)))


@dataclass
class Cell:
    strategy: str
    seed: int
    run_id: str | None = None
    status: str = "pending"  # pending | running | finished | failed
    seconds: float | None = None
    error: str | None = None  # the one-line error of a failed cell
    worker: str | None = None  # host:pid that ran it last

    @property
    def key(self) -> str:
        return f"{self.strategy}/s{self.seed}"


@dataclass
class Manifest:
    path: Path
    bench_id: str
    config: dict
    strategies: list[str]
    seeds: list[int]
    cells: dict[str, Cell] = field(default_factory=dict)
    vae_seconds: dict[str, float] = field(default_factory=dict)  # seed -> VAE train + encode seconds

    @classmethod
    def open(cls, home: Path, cfg: RunConfig, strategies: list[str], seeds: list[int]) -> "Manifest":
        bid = bench_id(cfg)
        path = home / "benches" / bid / "manifest.json"
        manifest = cls(path, bid, config_mod.to_dict(cfg), list(strategies), list(seeds))
        if path.is_file():
            known = cls.load(path)
            manifest.cells, manifest.vae_seconds = known.cells, known.vae_seconds
        missing = [Cell(strategy, seed) for seed in seeds for strategy in strategies
                   if Cell(strategy, seed).key not in manifest.cells]
        for cell in missing:
            manifest.cells[cell.key] = cell
        if missing or not path.is_file():  # a pure read (e.g. --summary-only) never rewrites it
            manifest.save()
        return manifest

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        doc = json.loads(path.read_text(encoding="utf-8"))
        m = cls(path, doc["bench_id"], doc["config"], doc["strategies"], doc["seeds"])
        m.cells = {k: Cell(**c) for k, c in doc["cells"].items()}
        m.vae_seconds = doc.get("vae_seconds", {})
        return m

    def ordered(self) -> list[Cell]:
        """This invocation's cells, seed-major (the manifest may hold more from earlier ones)."""
        return [self.cells[Cell(s, seed).key] for seed in self.seeds for s in self.strategies]

    def save(self) -> None:
        doc = {"format": MANIFEST_FORMAT, "bench_id": self.bench_id, "config": self.config,
               "strategies": self.strategies, "seeds": self.seeds,
               "cells": {k: vars(c) for k, c in self.cells.items()}, "vae_seconds": self.vae_seconds}
        atomic_write_bytes(self.path, json.dumps(doc, indent=1).encode())


@dataclass(frozen=True)
class GridProgress:
    """Where the grid stands, for a progress bar with an ETA."""

    done: int
    total: int
    current: str
    eta_seconds: float | None


class VaeCache:
    """Trained VAE weights and pool codes (vae_state bytes), keyed by data + VAE config + seed."""

    def __init__(self, home: Path):
        self.dir = home / "cache"

    def path(self, cfg: RunConfig) -> Path:
        return self.dir / f"vae-{vae_cache_key(cfg)}.pt"

    def read(self, cfg: RunConfig) -> bytes | None:
        path = self.path(cfg)
        return path.read_bytes() if path.is_file() else None

    def store(self, cfg: RunConfig, blob: bytes) -> None:
        atomic_write_bytes(self.path(cfg), blob)

    def attach(self, engine) -> float:
        """Give `engine` its VAE and codes, training them only when not cached; returns train seconds."""
        from alss_tui.runner.vae_state import attach_vae, train_vae

        blob = self.read(engine.cfg)
        if blob is None:
            blob = train_vae(engine)
            self.store(engine.cfg, blob)
        return attach_vae(engine, blob)


def run_grid(home: Path, manifest: Manifest, base: RunConfig, dataset=None,
             on_progress: Callable[[GridProgress], None] | None = None,
             listeners: list | None = None, executor=None) -> Manifest:
    """Run every unfinished cell of the grid on `executor` (default: this process, one at a time).

    Returns the manifest; every cell is then `finished` or `failed` (with its
    one-line error): a failing cell does not stop the others.
    """
    from alss_tui.runner.executors import make_executor
    from alss_tui.runner.executors.worker import one_line, remember_dataset

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
            tasks = [CellTask(c.key, seed, self._folder_for(c), cell_config(self.base, c.strategy, seed))
                     for c in todo]
            vae_cfg = tasks[0].config
            blob = self.cache.read(vae_cfg)
            if blob is not None and str(seed) not in self.manifest.vae_seconds:
                from alss_tui.runner.vae_state import trained_seconds

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
        from alss_tui.runner.cell_sink import CellSink

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
