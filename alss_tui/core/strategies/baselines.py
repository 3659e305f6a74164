"""Baselines: random, entropy, margin and core-set (k-centre greedy)."""

from __future__ import annotations

import numpy as np
import torch

from alss_tui.config import SamplingConfig
from alss_tui.core.events import Candidate
from alss_tui.core.strategies.base import (
    Selection, SelectionState, entropy, negative_margin, predict_probs, random_subsample,
)


class RandomSampling:
    name = "random"

    def __init__(self, cfg: SamplingConfig | None = None):
        self.cfg = cfg

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        available = state.pool.unlabelled_indices
        picked = rng.choice(available, size=min(n, len(available)), replace=False)
        return Selection([Candidate(item=int(i)) for i in picked])


class _UncertaintySampling:
    """Score unlabelled items by the task model's uncertainty; keep the top n."""

    name = "uncertainty"

    def __init__(self, cfg: SamplingConfig | None = None):
        self.cfg = cfg or SamplingConfig()

    def uncertainty(self, probs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def scored_items(self, state: SelectionState, n: int, rng: np.random.Generator) -> np.ndarray:
        """The items this strategy scores: the whole unlabelled pool."""
        return state.pool.unlabelled_indices

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        available = self.scored_items(state, n, rng)
        probs = predict_probs(state, available)
        scores = self.uncertainty(probs)
        top = torch.argsort(scores, descending=True, stable=True)[:n].numpy()
        preds = probs.argmax(1)
        return Selection(
            [Candidate(item=int(available[t]), prediction=int(preds[t]), score=float(scores[t])) for t in top],
            forward_passes=len(available),
        )


class EntropySampling(_UncertaintySampling):
    name = "entropy"

    def uncertainty(self, probs: torch.Tensor) -> torch.Tensor:
        return entropy(probs)


class MarginSampling(_UncertaintySampling):
    """Smallest gap between the two most likely classes (scored as minus the gap)."""

    name = "margin"

    def uncertainty(self, probs: torch.Tensor) -> torch.Tensor:
        return negative_margin(probs)


class _CostMatched:
    """Mixin: score only a random subsample of `candidates_per_pick * n` unlabelled items.

    The fair comparison for ALSS, whose candidate sets are of that size: the same
    number of task-model passes, spent on a random rather than a latent-searched set.
    """

    def scored_items(self, state: SelectionState, n: int, rng: np.random.Generator) -> np.ndarray:
        return random_subsample(state.pool.unlabelled_indices, self.cfg.candidates_per_pick * n, rng)


class CostMatchedEntropySampling(_CostMatched, EntropySampling):
    name = "entropy-sub"


class CostMatchedMarginSampling(_CostMatched, MarginSampling):
    name = "margin-sub"


class CoresetSampling:
    """k-centre greedy: repeatedly take the unlabelled point farthest from the chosen set."""

    name = "coreset"

    def __init__(self, cfg: SamplingConfig | None = None, space: str | None = None):
        self.space = space or (cfg.space if cfg else "penultimate")  # the engine hands over its vectors

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        from alss_tui.core.training import predict_features

        available = state.pool.unlabelled_indices
        labelled = state.pool.labelled_indices
        passes = 0
        if self.space == "latent":
            emb = torch.from_numpy(state.codes)
        elif state.space_features is not None and self.space != "penultimate":
            emb = state.space_features()
        else:
            emb = predict_features(state.head, state.inputs, state.device)
            passes = len(state.inputs)
        picked = k_centre_greedy(emb[available], emb[labelled], n)
        return Selection([Candidate(item=int(available[p]), score=float(d)) for p, d in picked],
                         forward_passes=passes)


class LatentCoresetSampling(CoresetSampling):
    """k-centre greedy on the VAE latents, whatever `sampling.space` says: no task-model passes."""

    name = "coreset-latent"

    def __init__(self, cfg: SamplingConfig | None = None):
        super().__init__(cfg, space="latent")


def nearest_centre_distance(points: torch.Tensor, centres: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """Distance from each point to its nearest centre, a chunk of points at a time.

    One cdist of a 60k pool against 1,000 centres holds several 60k x 1,000
    temporaries (about a gigabyte); chunks keep that to a few megabytes.
    """
    out = torch.empty(len(points), dtype=points.dtype)
    for start in range(0, len(points), chunk):
        out[start:start + chunk] = torch.cdist(points[start:start + chunk], centres).min(dim=1).values
    return out


def k_centre_greedy(candidates: torch.Tensor, centres: torch.Tensor, n: int) -> list[tuple[int, float]]:
    """Greedy k-centre: indices into `candidates` with their distance when picked."""
    if len(centres):
        dist = nearest_centre_distance(candidates, centres)
    else:
        dist = torch.full((len(candidates),), float("inf"))
    picked: list[tuple[int, float]] = []
    for _ in range(min(n, len(candidates))):
        j = int(torch.argmax(dist))
        picked.append((j, float(dist[j])))
        dist = torch.minimum(dist, torch.cdist(candidates, candidates[j:j + 1]).squeeze(1))
        dist[j] = -1.0  # never pick twice
    return picked
