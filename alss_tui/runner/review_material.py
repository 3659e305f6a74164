"""The pixels and map positions a person sees for a round's candidates (review/rNNN.npz).

Built here, beside the loop that writes them, not in the engine: the engine picks,
people look. Every array comes from the engine's state (pool images, the VAE, the
latent map's projection) without changing it.
"""

from __future__ import annotations

import numpy as np
import torch

from alss_tui.core.engine import Engine
from alss_tui.core.strategies.base import Selection


def _to_u8(x) -> np.ndarray:
    return np.clip(np.rint(np.asarray(x) * 255), 0, 255).astype(np.uint8)


@torch.no_grad()
def review_material(engine: Engine, selection: Selection) -> dict[str, np.ndarray]:
    """images: what is to be labelled (pool image, or the synthetic one for SI); seeds: the seed
    image each latent candidate came from; decoded: the decoded ascended code (the hard sample)
    behind it; *_xy: latent-map positions (NaN for synthetic items)."""
    cands = selection.candidates
    images = [selection.synthetic[c.item] if c.kind == "synthetic" else engine.images.batch([c.item])[0].numpy()
              for c in cands]
    out = {"items": np.array([c.item for c in cands], dtype=np.int64),
           "images": _to_u8(np.stack(images)) if images else np.zeros((0, *engine.dataset.shape), np.uint8)}
    pool_items = np.array([c.item if c.kind != "synthetic" else -1 for c in cands], dtype=np.int64)
    # Before the VAE exists (a first round proposed while it trains) nothing has a map position
    # yet: NaN, and the map places those items from latent/map.npz once it is written.
    if engine.codes is None:
        out["item_xy"] = np.full((len(cands), 2), np.nan, np.float32)
    else:
        out["item_xy"] = np.where(pool_items[:, None] >= 0, engine.project(engine.codes[np.maximum(pool_items, 0)]),
                                  np.nan).astype(np.float32) if len(cands) else np.zeros((0, 2), np.float32)
    seeds = [c.seed_index for c in cands]
    if cands and all(s is not None for s in seeds):
        out["seed_items"] = np.array(seeds, dtype=np.int64)
        out["seeds"] = _to_u8(np.stack([engine.labelled_image(s) for s in seeds]))
        out["seed_xy"] = engine.project(np.stack([engine.labelled_code(s) for s in seeds]))
    # A VAE of features decodes no picture: the review then shows the retrieved image and its seed.
    if selection.ascended is not None and len(selection.ascended) and engine.cfg.vae.input == "pixels":
        z = torch.from_numpy(selection.ascended).to(engine.device)
        out["decoded"] = _to_u8(engine.vae.decode(z).cpu().numpy())
        out["ascended_xy"] = engine.project(selection.ascended)
    return out
