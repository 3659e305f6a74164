"""A trained VAE and its pool codes as bytes: what the bench caches and ships to every cell of a seed.

The bytes are a torch file of plain tensors ({"vae", "codes", "seconds"}), loaded
with weights_only=True, so they can cross a process or machine boundary safely.
"""

from __future__ import annotations

import io
import time


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
