"""The paper's strategies: ascend from labelled latent codes, then
SNN: label the nearest real unlabelled pool image of each moved code;
SI: label the decoded moved code itself (a synthetic image).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from alss_tui.config import SamplingConfig
from alss_tui.core.ascent import AscentResult, ascend
from alss_tui.core.events import Candidate
from alss_tui.core.strategies.base import Selection, SelectionState


def choose_seeds(state: SelectionState, n: int, how: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Pool indices of labelled seeds, and the forward passes spent choosing them.

    random: uniform over the labelled set (the paper); hardest: the labelled
    items with the highest current task loss; uncertain: highest entropy.
    """
    labelled = state.pool.labelled_indices
    if how == "random" or len(labelled) <= n:
        return rng.choice(labelled, size=n, replace=len(labelled) < n), 0
    with torch.no_grad():
        state.model.eval()
        logits = state.model(state.images.batch(labelled).to(state.device)).cpu()
    if how == "hardest":
        score = F.cross_entropy(logits, torch.as_tensor(state.pool.labels[labelled]), reduction="none")
    else:
        p = torch.softmax(logits, 1)
        score = -(p * torch.log(p.clamp_min(1e-12))).sum(1)
    return labelled[torch.argsort(score, descending=True, stable=True)[:n].numpy()], len(labelled)


class _LatentAscent:
    name = "latent"

    def __init__(self, cfg: SamplingConfig | None = None):
        self.cfg = cfg or SamplingConfig()

    def _ascend(self, state: SelectionState, n: int, rng: np.random.Generator):
        seeds, seed_passes = choose_seeds(state, n, self.cfg.seed_choice, rng)
        z0 = torch.from_numpy(state.codes[seeds]).to(state.device)
        targets = torch.as_tensor(state.pool.labels[seeds]).to(state.device)
        result: AscentResult = ascend(state.vae, state.model, z0, targets, self.cfg.ascent_steps,
                                      self.cfg.ascent_step_size, self.cfg.ascent_normalize)
        return seeds, result, seed_passes


class SamplingByNearestNeighbour(_LatentAscent):
    name = "snn"

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        seeds, asc, passes = self._ascend(state, n, rng)
        found = state.index.nearest_available(asc.codes.cpu().numpy(), state.pool.available_mask)
        rows = [(q, hits[0]) for q, hits in enumerate(found) if hits]
        items = np.array([item for _, (item, _) in rows], dtype=np.int64)
        preds = _predict(state, items)
        candidates = [
            Candidate(item=item, seed_index=int(seeds[q]), seed_label=int(state.pool.labels[seeds[q]]),
                      distance=dist, loss_before=float(asc.loss_before[q]), loss_after=float(asc.loss_after[q]),
                      prediction=int(preds[k]))
            for k, (q, (item, dist)) in enumerate(rows)
        ]
        moved = asc.codes.cpu().numpy()
        return Selection(candidates, forward_passes=passes + asc.forward_passes + len(items),
                         backward_passes=asc.backward_passes, ascended=moved[[q for q, _ in rows]])


class SamplingByInterpolation(_LatentAscent):
    name = "si"

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        seeds, asc, passes = self._ascend(state, n, rng)
        with torch.no_grad():
            images = state.vae.decode(asc.codes).cpu()
            preds = state.model(images.to(state.device)).argmax(1).cpu()
        synthetic, candidates = {}, []
        for q in range(len(seeds)):
            item = state.next_synthetic_id - q
            synthetic[item] = images[q].numpy()
            candidates.append(Candidate(
                item=item, kind="synthetic", seed_index=int(seeds[q]),
                seed_label=int(state.pool.labels[seeds[q]]),
                distance=float(torch.linalg.vector_norm(asc.codes[q] - torch.from_numpy(state.codes[seeds[q]]).to(asc.codes.device))),
                loss_before=float(asc.loss_before[q]), loss_after=float(asc.loss_after[q]),
                prediction=int(preds[q])))
        return Selection(candidates, forward_passes=passes + asc.forward_passes + len(seeds),
                         backward_passes=asc.backward_passes, synthetic=synthetic,
                         ascended=asc.codes.cpu().numpy())


@torch.no_grad()
def _predict(state: SelectionState, items: np.ndarray) -> np.ndarray:
    if len(items) == 0:
        return np.zeros(0, dtype=np.int64)
    state.model.eval()
    logits = state.model(state.images.batch(items).to(state.device))
    return logits.argmax(1).cpu().numpy()
