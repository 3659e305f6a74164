"""Where the latent ascent starts: the seed set, and how a round draws from it.

The seed set is everything the run has labelled: labelled pool images (their VAE
codes) and labelled synthetic images (the moved codes they were decoded from), so
SI's seed set grows with its labels as every other strategy's does.

A round draws its seeds without replacement while the set is large enough. When
it needs more seeds than there are (a first round larger than the initial subset),
every seed is used once per full pass and the remainder is drawn without
replacement, so copies of one seed differ in number by at most one. Repeated
copies start one ascent step away from the seed, in a direction drawn from the
round's generator: the ascent is deterministic, and identical starts would give
identical moved codes, i.e. the same synthetic image labelled twice (SI) or a
query that can only return its twin's second neighbour (SNN). Perturbing keeps
the round at its full size, so every strategy's curve has points at the same
labelled counts; dropping the repeats would shift SI's curve off the others'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from alss_tui.core.strategies.base import SelectionState


@dataclass(frozen=True)
class Seeds:
    ids: np.ndarray  # int64 (n,): pool index (>= 0) or synthetic item id (< 0)
    codes: np.ndarray  # float32 (n, d): where each ascent starts
    labels: np.ndarray  # int64 (n,): the seed's label
    forward_passes: int  # task-model passes spent choosing them

    def __len__(self) -> int:
        return len(self.ids)


def seed_set(state: SelectionState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, codes, labels) of every labelled item: pool items first, then synthetic ones."""
    pool = state.pool.labelled_indices
    ids, codes, labels = pool, state.codes[pool], state.pool.labels[pool]
    syn = state.synthetic
    if syn is not None and len(syn):
        ids = np.concatenate([ids, syn.ids.astype(np.int64)])
        codes = np.concatenate([codes, syn.codes.astype(codes.dtype)])
        labels = np.concatenate([labels, syn.labels.astype(np.int64)])
    return ids, codes, labels


def draw_positions(m: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` positions into a set of `m`, and each position's copy number (0 = first use).

    Without replacement while m >= n (the same draw the generator gave before
    synthetic seeds existed, so runs without them pick what they always picked).
    """
    if m == 0 or n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if m >= n:
        return rng.choice(m, size=n, replace=False), np.zeros(n, np.int64)
    full, rest = divmod(n, m)
    passes = [rng.permutation(m) for _ in range(full)]
    if rest:
        passes.append(rng.choice(m, size=rest, replace=False))
    positions = np.concatenate(passes)
    copies = np.concatenate([np.full(len(p), k, np.int64) for k, p in enumerate(passes)])
    return positions, copies


def spread_repeats(codes: np.ndarray, copies: np.ndarray, radius: float, rng: np.random.Generator) -> np.ndarray:
    """Move every repeated copy (copy >= 1) `radius` away from its seed, in a random direction."""
    out = codes.astype(np.float32, copy=True)
    repeated = np.flatnonzero(copies > 0)
    if len(repeated):
        direction = rng.standard_normal((len(repeated), codes.shape[1])).astype(np.float32)
        direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-12)
        out[repeated] += np.float32(radius) * direction
    return out


def choose_seeds(state: SelectionState, n: int, how: str, rng: np.random.Generator,
                 spread: float = 0.2) -> Seeds:
    """`n` seeds for this round.

    random: uniform over the seed set (the paper); hardest: the labelled items with
    the highest current task loss; uncertain: the highest entropy. When the set has
    no more than `n` items every one is used whatever `how` says (ranking them would
    change nothing), the repeats as described above, `spread` away.
    """
    ids, codes, labels = seed_set(state)
    m = len(ids)
    if how == "random" or m <= n:
        positions, copies = draw_positions(m, n, rng)
        return Seeds(ids[positions], spread_repeats(codes[positions], copies, spread, rng), labels[positions], 0)
    logits = _seed_logits(state, ids)
    if how == "hardest":
        score = F.cross_entropy(logits, torch.as_tensor(labels), reduction="none")
    else:
        p = torch.softmax(logits, 1)
        score = -(p * torch.log(p.clamp_min(1e-12))).sum(1)
    top = torch.argsort(score, descending=True, stable=True)[:n].numpy()
    return Seeds(ids[top], codes[top].astype(np.float32), labels[top], m)


@torch.no_grad()
def _seed_logits(state: SelectionState, ids: np.ndarray) -> torch.Tensor:
    """Task-model logits of the seed set, pool images then synthetic ones (one pass each)."""
    state.head.eval()
    pool = ids[ids >= 0]
    parts = [state.head(x.to(state.device)).cpu()
             for x in state.inputs.inference_batches(order=pool)] if len(pool) else []
    if state.synthetic is not None and len(state.synthetic):
        # Synthetic images exist only with a pixel VAE (si), so `model` takes them as they are.
        state.model.eval()
        images = torch.from_numpy(state.synthetic.images).to(state.device)
        parts.append(state.model(images).cpu())
    return torch.cat(parts)
