"""ALSS variants: latent search that proposes candidates, uncertainty that picks.

All three ascend latent codes, retrieve the `candidates_per_pick` nearest
unlabelled pool images of every moved code, and keep, per code, the retrieved
image the task model is least sure of (entropy). They differ in where the
ascent starts and what it aims at:

- `snn-rerank`: seeds are labelled codes, target their label (the paper's ascent).
- `snn-pseudo`: seeds are random unlabelled codes, target the model's predicted
  label (the labelled set is small and already learnt; the pool is not).
- `snn-steer`: seeds are labelled codes, and each code is moved *towards* a
  class that is rare among the labels (drawn with weight 1 / (1 + count)), so
  the search reaches regions that labelled seeds and random picks rarely cover.
"""

from __future__ import annotations

import numpy as np
import torch

from alss_tui.config import SamplingConfig
from alss_tui.core.ascent import AscentResult, ascend
from alss_tui.core.events import Candidate
from alss_tui.core.strategies.base import Selection, SelectionState, entropy, predict_probs, random_subsample
from alss_tui.core.strategies.seeds import choose_seeds, seed_set


class _ReRankedLatentSearch:
    name = "latent-rerank"
    descend = False

    def __init__(self, cfg: SamplingConfig | None = None):
        self.cfg = cfg or SamplingConfig()

    def seeds(self, state: SelectionState, n: int, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Seed ids (pool index, or synthetic id < 0), their start codes, ascent targets, forward passes spent."""
        raise NotImplementedError

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        seeds, start, targets, passes = self.seeds(state, n, rng)
        z0 = torch.from_numpy(start).to(state.device)
        asc: AscentResult = ascend(state.vae, state.model, z0, torch.as_tensor(targets).to(state.device),
                                   self.cfg.ascent_steps, self.cfg.ascent_step_size, self.cfg.ascent_normalize,
                                   descend=self.descend)
        found = state.index.nearest_available(asc.codes.cpu().numpy(), state.pool.available_mask,
                                              k_per_query=self.cfg.candidates_per_pick)
        retrieved = np.array([item for hits in found for item, _ in hits], dtype=np.int64)
        probs = predict_probs(state, retrieved)
        scores, preds = entropy(probs), probs.argmax(1)
        candidates, rows, row = [], [], 0
        for q, hits in enumerate(found):
            if hits:
                best = row + int(torch.argmax(scores[row:row + len(hits)]))
                item, dist = hits[best - row]
                rows.append(q)
                candidates.append(Candidate(
                    item=item, seed_index=int(seeds[q]), seed_label=int(targets[q]), distance=dist,
                    loss_before=float(asc.loss_before[q]), loss_after=float(asc.loss_after[q]),
                    prediction=int(preds[best]), score=float(scores[best])))
            row += len(hits)
        return Selection(candidates[:n], forward_passes=passes + asc.forward_passes + len(retrieved),
                         backward_passes=asc.backward_passes, ascended=asc.codes.cpu().numpy()[rows[:n]])


class ReRankedNearestNeighbour(_ReRankedLatentSearch):
    name = "snn-rerank"

    def seeds(self, state, n, rng):
        s = choose_seeds(state, n, self.cfg.seed_choice, rng, spread=self.cfg.ascent_step_size)
        return s.ids, s.codes, s.labels, s.forward_passes


class PseudoLabelledSeeds(_ReRankedLatentSearch):
    name = "snn-pseudo"

    def seeds(self, state, n, rng):
        seeds = random_subsample(state.pool.unlabelled_indices, n, rng)
        if len(seeds) > 1:
            seeds = rng.permutation(seeds)
        preds = predict_probs(state, seeds).argmax(1).numpy()
        return seeds, state.codes[seeds], preds, len(seeds)


class ClassSteeredSearch(_ReRankedLatentSearch):
    name = "snn-steer"
    descend = True

    def seeds(self, state, n, rng):
        s = choose_seeds(state, n, self.cfg.seed_choice, rng, spread=self.cfg.ascent_step_size)
        counts = np.bincount(seed_set(state)[2], minlength=state.n_classes)
        weights = 1.0 / (1.0 + counts)
        targets = np.empty(len(s), dtype=np.int64)
        for q, label in enumerate(s.labels):
            w = weights.copy()
            w[label] = 0.0  # towards another class than the seed's own
            targets[q] = rng.choice(state.n_classes, p=w / w.sum())
        return s.ids, s.codes, targets, s.forward_passes
