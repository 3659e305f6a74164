"""A trained VAE and its pool codes as bytes: what the bench caches and ships to every cell of a seed.

The bytes are a torch file of plain tensors ({"vae", "codes", "seconds"}), loaded
with weights_only=True, so they can cross a process or machine boundary safely.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

from alss_tui import config as config_mod
from alss_tui.config import RunConfig
from alss_tui.digest import digest
from alss_tui.store.run_folder import atomic_write_bytes


def train_vae(engine) -> bytes:
    """Train `engine`'s VAE, encode the pool, and return both as bytes."""
    start = time.perf_counter()
    for _ in engine.fit_vae():
        pass
    return dump_vae(engine, time.perf_counter() - start)


def dump_vae(engine, seconds: float) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save({"vae": engine.vae.state_dict(), "codes": torch.from_numpy(engine.codes), "seconds": seconds}, buf)
    return buf.getvalue()


def attach_vae(engine, blob: bytes) -> float:
    """Give `engine` a ready VAE and its pool codes; returns the seconds it took to train."""
    import torch

    state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    engine.use_vae(state["vae"], state["codes"].numpy())
    return float(state["seconds"])


def trained_seconds(blob: bytes) -> float:
    import torch

    return float(torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)["seconds"])


def vae_cache_key(cfg: RunConfig) -> str:
    return digest({"data": config_mod.to_dict(cfg)["data"], "vae": config_mod.to_dict(cfg)["vae"],
                   "seed": cfg.seed, "device": cfg.device}, 20)


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
        blob = self.read(engine.cfg)
        if blob is None:
            blob = train_vae(engine)
            self.store(engine.cfg, blob)
        return attach_vae(engine, blob)
