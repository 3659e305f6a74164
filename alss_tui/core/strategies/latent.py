"""The paper's strategies: ascend from labelled latent codes, then
SNN: label the nearest real unlabelled pool image of each moved code;
SI: label the decoded moved code itself (a synthetic image).
"""

from __future__ import annotations

import numpy as np
import torch

from alss_tui.config import SamplingConfig
from alss_tui.core.ascent import AscentResult, ascend
from alss_tui.core.events import Candidate
from alss_tui.core.strategies.base import Selection, SelectionState
from alss_tui.core.strategies.seeds import Seeds, choose_seeds

__all__ = ["SamplingByNearestNeighbour", "SamplingByInterpolation", "choose_seeds"]


class _LatentAscent:
    name = "latent"

    def __init__(self, cfg: SamplingConfig | None = None):
        self.cfg = cfg or SamplingConfig()

    def _ascend(self, state: SelectionState, n: int, rng: np.random.Generator) -> tuple[Seeds, AscentResult]:
        seeds = choose_seeds(state, n, self.cfg.seed_choice, rng, spread=self.cfg.ascent_step_size)
        z0 = torch.from_numpy(seeds.codes).to(state.device)
        targets = torch.as_tensor(seeds.labels).to(state.device)
        result: AscentResult = ascend(state.vae, state.model, z0, targets, self.cfg.ascent_steps,
                                      self.cfg.ascent_step_size, self.cfg.ascent_normalize)
        return seeds, result


class SamplingByNearestNeighbour(_LatentAscent):
    name = "snn"

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        seeds, asc = self._ascend(state, n, rng)
        found = state.index.nearest_available(asc.codes.cpu().numpy(), state.pool.available_mask)
        rows = [(q, hits[0]) for q, hits in enumerate(found) if hits]
        items = np.array([item for _, (item, _) in rows], dtype=np.int64)
        preds = _predict(state, items)
        candidates = [
            Candidate(item=item, seed_index=int(seeds.ids[q]), seed_label=int(seeds.labels[q]),
                      distance=dist, loss_before=float(asc.loss_before[q]), loss_after=float(asc.loss_after[q]),
                      prediction=int(preds[k]))
            for k, (q, (item, dist)) in enumerate(rows)
        ]
        moved = asc.codes.cpu().numpy()
        return Selection(candidates, forward_passes=seeds.forward_passes + asc.forward_passes + len(items),
                         backward_passes=asc.backward_passes, ascended=moved[[q for q, _ in rows]])


class SamplingByInterpolation(_LatentAscent):
    name = "si"

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        seeds, asc = self._ascend(state, n, rng)
        moved = asc.codes.cpu().numpy()
        # Never two identical synthetic images in one round: keep each distinct moved code once.
        keep = np.sort(np.unique(moved, axis=0, return_index=True)[1]) if len(moved) else np.zeros(0, np.int64)
        with torch.no_grad():
            images = state.vae.decode(asc.codes[torch.as_tensor(keep)]).cpu()
            preds = state.model(images.to(state.device)).argmax(1).cpu()
        synthetic, candidates = {}, []
        for k, q in enumerate(keep):
            item = state.next_synthetic_id - k
            synthetic[item] = images[k].numpy()
            seed_code = _seed_code(state, int(seeds.ids[q]))
            candidates.append(Candidate(
                item=item, kind="synthetic", seed_index=int(seeds.ids[q]), seed_label=int(seeds.labels[q]),
                distance=float(np.linalg.norm(moved[q] - seed_code)),
                loss_before=float(asc.loss_before[q]), loss_after=float(asc.loss_after[q]),
                prediction=int(preds[k])))
        return Selection(candidates, forward_passes=seeds.forward_passes + asc.forward_passes + len(keep),
                         backward_passes=asc.backward_passes, synthetic=synthetic, ascended=moved[keep])


def _seed_code(state: SelectionState, seed_id: int) -> np.ndarray:
    """A seed's own code (before any spreading of repeats): pool code, or a synthetic image's moved code."""
    if seed_id >= 0:
        return state.codes[seed_id]
    syn = state.synthetic
    assert syn is not None
    return syn.codes[int(np.flatnonzero(syn.ids == seed_id)[0])]


@torch.no_grad()
def _predict(state: SelectionState, items: np.ndarray) -> np.ndarray:
    if len(items) == 0:
        return np.zeros(0, dtype=np.int64)
    state.head.eval()
    return torch.cat([state.head(x.to(state.device)).argmax(1).cpu()
                      for x in state.inputs.inference_batches(order=items)]).numpy()
