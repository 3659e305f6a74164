"""A trained VAE and its pool codes as bytes: what the bench caches and ships to every cell of a seed.

The bytes are a torch file of plain tensors ({"vae", "codes", "seconds"}, and
"backbone" with "encoder_seconds" when the run has a representation: the backbone's
weights, so a pool encoder is trained once per seed, not once per cell), loaded with
weights_only=True, so they can cross a process or machine boundary safely.
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
    """Prepare `engine`'s representation, train its VAE, encode the pool, and return it all as bytes."""
    start = time.perf_counter()
    for _ in engine.prepare_representation():
        pass
    for _ in engine.fit_vae():
        pass
    return dump_vae(engine, time.perf_counter() - start)


def dump_vae(engine, seconds: float) -> bytes:
    import torch

    doc = {"vae": engine.vae.state_dict(), "codes": torch.from_numpy(engine.codes), "seconds": seconds}
    rep = engine.representation
    if rep.active:
        doc["backbone"] = rep.backbone_state()
        doc["encoder_seconds"] = float(rep.encoder_seconds or 0.0)
    buf = io.BytesIO()
    torch.save(doc, buf)
    return buf.getvalue()


def attach_vae(engine, blob: bytes) -> float:
    """Give `engine` a ready VAE, its pool codes and its backbone; returns the seconds they took."""
    import torch

    state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    if state.get("backbone") is not None:
        engine.representation.use_backbone_state(state["backbone"])  # the features follow in the loop
    engine.use_vae(state["vae"], state["codes"].numpy())
    return float(state["seconds"])


def trained_seconds(blob: bytes) -> float:
    import torch

    return float(torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)["seconds"])


# The task keys the VAE (and the backbone shipped with it) depends on.
REPRESENTATION_KEYS = ("model", "weights", "train", "input_size")


def vae_cache_key(cfg: RunConfig) -> str:
    """Data, VAE, representation, seed and device; keys added since older entries were made are left
    out at the value those entries had, so they keep their names."""
    tree = config_mod.to_dict(cfg)
    parts = config_mod.drop_added_later({"data": tree["data"], "vae": tree["vae"], "encoder": tree["encoder"],
                                         "task": {k: tree["task"][k] for k in REPRESENTATION_KEYS}})
    if parts.get("task", {}).get("weights") != "pool":
        parts.pop("encoder", None)  # the encoder's settings matter only when it is trained
    if parts.get("task", {}).get("model") == "cnn" and "weights" in parts.get("task", {}):
        parts["task"]["width"] = tree["task"]["width"]  # the small CNN's width is its architecture
    return digest({**parts, "seed": cfg.seed, "device": cfg.device}, 20)


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
