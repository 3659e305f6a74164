"""A benchmark grid: strategies x seeds on one dataset and recipe.

Every cell is an ordinary run (run folder, registry document, runner.execute),
so it shows in `alss-tui ls` like any other. One VAE per seed is trained once,
cached under $ALSS_HOME/cache and handed to every strategy's engine: the VAE
depends only on the data, the VAE config and the seed, never on the strategy.

The bench keeps a manifest under $ALSS_HOME/benches/<id>/; its id is a hash of
the recipe (config minus name, seed and strategy), so running the same bench
again resumes it (finished cells are skipped, an interrupted cell continues
from its last checkpoint) and adding strategies or seeds extends it.
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
    if body["task"].get("evaluate_on") == "test":
        # Scored on the test split, as every bench was before the option existed: same id.
        body["task"].pop("evaluate_on")
    return _digest({"config": body})


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
    status: str = "pending"  # pending | running | finished
    seconds: float | None = None

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
    """Trained VAE weights and pool codes, keyed by data + VAE config + seed."""

    def __init__(self, home: Path):
        self.dir = home / "cache"

    def path(self, cfg: RunConfig) -> Path:
        return self.dir / f"vae-{vae_cache_key(cfg)}.pt"

    def attach(self, engine, on_event: Callable | None = None) -> float:
        """Give `engine` its VAE and codes, training them only when not cached; returns train seconds."""
        import io

        import torch

        path = self.path(engine.cfg)
        if path.is_file():
            state = torch.load(path, map_location="cpu", weights_only=True)
            engine.use_vae(state["vae"], state["codes"].numpy())
            return float(state["seconds"])
        start = time.perf_counter()
        for event in engine.fit_vae():
            if on_event is not None:
                on_event(event)
        seconds = time.perf_counter() - start
        buf = io.BytesIO()
        torch.save({"vae": engine.vae.state_dict(), "codes": torch.from_numpy(engine.codes),
                    "seconds": seconds}, buf)
        atomic_write_bytes(path, buf.getvalue())
        return seconds


def run_grid(home: Path, manifest: Manifest, base: RunConfig, dataset,
             on_progress: Callable[[GridProgress], None] | None = None,
             listeners: list | None = None) -> Manifest:
    """Run every unfinished cell of the grid; returns the manifest with all cells finished."""
    from alss_tui.core.engine import Engine
    from alss_tui.runner.execute import execute

    registry = Registry(home)
    cache = VaeCache(home)
    cells = manifest.ordered()
    durations = [c.seconds for c in cells if c.status == "finished" and c.seconds]

    def report(current: str) -> None:
        if on_progress is None:
            return
        done = sum(c.status == "finished" for c in cells)
        left = len(cells) - done
        eta = (sum(durations) / len(durations)) * left if durations else None
        on_progress(GridProgress(done, len(cells), current, eta))

    for cell in cells:
        if cell.status == "finished":
            continue
        report(cell.key)
        start = time.perf_counter()
        cfg = cell_config(base, cell.strategy, cell.seed)
        engine = Engine(cfg, dataset)
        manifest.vae_seconds[str(cell.seed)] = cache.attach(engine)
        resume = cell.run_id is not None and (registry.runs_dir / cell.run_id).is_dir()
        if resume:
            folder = RunFolder(registry.runs_dir / cell.run_id)
        else:
            folder = create_run(home, cfg, bench=manifest.bench_id)
            cell.run_id = folder.run_id
        cell.status = "running"
        manifest.save()
        execute(folder, listeners or [], resume=resume, engine=engine, registry=registry)
        cell.status = "finished"
        cell.seconds = (cell.seconds or 0.0) + time.perf_counter() - start
        durations.append(cell.seconds)
        manifest.save()
    report("")
    return manifest
