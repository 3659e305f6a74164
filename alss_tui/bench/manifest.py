"""A bench's identity and its manifest: which cells it has and where each stands.

The bench keeps a manifest under $ALSS_HOME/benches/<id>/; its id is a hash of
the recipe (config minus name, seed and strategy), so running the same bench
again resumes it (finished cells are skipped, an interrupted or failed cell
continues from its last checkpoint) and adding strategies or seeds extends it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from alss_tui import config as config_mod
from alss_tui.config import RunConfig
from alss_tui.digest import digest
from alss_tui.store.run_folder import atomic_write_bytes

MANIFEST_FORMAT = 1


def bench_id(cfg: RunConfig) -> str:
    """Same recipe -> same bench, whatever the run name, strategies or seeds.

    Re-running a bench resumes it; running it with more strategies or seeds
    extends it, reusing every run it already has.
    """
    body = config_mod.to_dict(cfg)
    body.pop("name")
    body.pop("seed")
    body["sampling"].pop("strategy")
    if cfg.task.weights != "pool":  # the encoder section is read only to train a pool encoder
        body.pop("encoder", None)
    # A key added later, at the value every bench had before it existed: the same id.
    return digest({"config": config_mod.drop_added_later(body)})


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
