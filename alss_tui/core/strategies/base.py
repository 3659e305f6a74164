"""What a strategy sees and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from alss_tui.core.events import Candidate
from alss_tui.core.latent_index import LatentIndex
from alss_tui.core.pool_images import Images, as_images
from alss_tui.data.pool import Pool


@dataclass
class LabelledSynthetic:
    """Synthetic (SI) images the oracle has labelled, with the moved codes they were decoded from.

    They are labelled items like any other, so the latent strategies seed from them too.
    """

    ids: np.ndarray  # int64 (k,), the negative item ids they were proposed under
    codes: np.ndarray  # float32 (k, d)
    labels: np.ndarray  # int64 (k,)
    images: np.ndarray  # float32 (k, C, H, W), what the task model trains on

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class SelectionState:
    """Read-only view of the run for a strategy. Labels come from `pool.labels` only."""

    pool: Pool
    images: Images  # pool images, read as float32 (N, C, H, W) batches (a float tensor is wrapped)
    codes: np.ndarray  # latent means of the pool, (N, d)
    index: LatentIndex
    vae: nn.Module
    model: nn.Module  # classifies what the VAE decodes (pixels, or features): what the ascent differentiates
    device: torch.device
    round: int
    n_classes: int
    next_synthetic_id: int = -1  # SI items are numbered -1, -2, ... across the run
    synthetic: LabelledSynthetic | None = None  # None: no synthetic image labelled yet
    # The task model as it scores pool items: `head` on `inputs` (pixels and the model itself,
    # unless the backbone is frozen: then its features and the head, one matrix product).
    inputs: Images | None = None
    head: nn.Module | None = None
    # sampling.space for coverage strategies: a function giving the pool's vectors, or None for
    # the task model's penultimate layer.
    space_features: Callable[[], torch.Tensor] | None = None

    def __post_init__(self) -> None:
        self.images = as_images(self.images)
        self.inputs = self.images if self.inputs is None else as_images(self.inputs)
        self.head = self.model if self.head is None else self.head


@dataclass
class Selection:
    candidates: list[Candidate]
    forward_passes: int = 0
    backward_passes: int = 0
    # SI: decoded images to be labelled, keyed by candidate item id.
    synthetic: dict[int, np.ndarray] = field(default_factory=dict)
    # Latent strategies: the ascended code behind each candidate, aligned with `candidates`
    # (what the review screen decodes beside the retrieved image, and the latent map plots).
    ascended: np.ndarray | None = None


@torch.no_grad()
def predict_probs(state: SelectionState, indices: np.ndarray) -> torch.Tensor:
    """Softmax of the task model on pool items `indices` (one forward pass each)."""
    state.head.eval()
    out = [torch.softmax(state.head(x.to(state.device)), dim=1).cpu()
           for x in state.inputs.inference_batches(order=indices)]
    return torch.cat(out) if out else torch.zeros((0, state.n_classes))


def entropy(probs: torch.Tensor) -> torch.Tensor:
    """Predictive entropy per row (higher = more uncertain)."""
    return -(probs * torch.log(probs.clamp_min(1e-12))).sum(1)


def negative_margin(probs: torch.Tensor) -> torch.Tensor:
    """Minus the gap between the two most likely classes (higher = closer call)."""
    top2 = probs.topk(2, dim=1).values
    return -(top2[:, 0] - top2[:, 1])


def random_subsample(available: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """`size` distinct items of `available` (all of them when there are fewer), sorted."""
    if size >= len(available):
        return available
    return np.sort(rng.choice(available, size=size, replace=False))
