"""Semi-supervised rounds: pseudo-labels for unlabelled pool items, made fresh every round.

Two established methods (task.semi):

- `self-training` (pseudo-labelling, Lee 2013): the model the last round trained
  predicts the unlabelled pool; a prediction at least `pseudo_threshold` confident
  becomes a pseudo-label. The first round has no model and gets none.
- `propagation` (label propagation, Zhou et al. 2004, as Iscen et al. 2019 use it for
  deep learning): a graph of each item's `graph_k` nearest neighbours (cosine, faiss)
  in an embedding of the pool, the labels spread over it by solving
  (I - alpha S) F = Y with conjugate gradients (S the symmetrically normalised
  affinities); an item whose normalised score is at least `pseudo_threshold` becomes a
  pseudo-label. It needs no model, so the first round gets them too.

- `consistency` (FixMatch, Sohn et al. 2020): every training step also draws
  `consistency_ratio` times a mini-batch of unlabelled items; the model's guess on a
  weakly augmented view (the round's shifts) that is at least `pseudo_threshold`
  confident becomes the target of a strongly augmented view of the same image
  (core/augment.py). Guesses are made afresh at every step, by the model being trained.
  Departures from the reference: three tensor augmentations instead of RandAugment, a
  ratio of 3 instead of 7 (two cores), and the round's own steps (`semi_steps`) instead
  of a million; it needs images, so a frozen backbone's head cannot use it.

Pseudo-labels are never labels: they live in the round's training only (half of every
mini-batch, weighted by `pseudo_weight`, or consistency's unlabelled term), never in
labels.jsonl, never counted against the budget, never exported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from alss_tui.core.augment import random_shift, strong_augment

# Conjugate-gradient iterations per class: Iscen et al. use 20; the labels' spread settles by then.
CG_ITERATIONS = 20
PIXEL_COMPONENTS = 50  # graph_space = pixels: the pool's pixels on their 50 principal components
PCA_SAMPLE = 10_000  # the components come from this many evenly spaced pool images


def pixel_components(images, k: int) -> np.ndarray:
    """Every pool image's pixels projected on the first `k` principal components of a sample of them
    (read a batch at a time: no float copy of the pool)."""
    n = len(images)
    sample = images.batch(np.linspace(0, n - 1, min(n, PCA_SAMPLE)).astype(np.int64)).reshape(min(n, PCA_SAMPLE), -1)
    mean = sample.mean(0)
    _, _, vt = torch.linalg.svd(sample - mean, full_matrices=False)
    axes = vt[:k].T
    return torch.cat([(x.reshape(len(x), -1) - mean) @ axes for x in images.inference_batches()]).numpy()


@dataclass(frozen=True)
class PseudoLabels:
    method: str
    items: np.ndarray  # int64 pool indices
    labels: np.ndarray  # int64 classes
    confidence: np.ndarray  # float32, each one's score

    def __len__(self) -> int:
        return len(self.items)

    def accuracy(self, truth: np.ndarray | None) -> float | None:
        """The share that are right, where the truth is known (a simulated oracle's pool)."""
        if truth is None or len(self) == 0:
            return None
        return float(np.mean(truth[self.items] == self.labels))


def confident(method: str, candidates: np.ndarray, probs: np.ndarray, threshold: float) -> PseudoLabels:
    """The candidates whose top score reaches `threshold`, with that class."""
    top = probs.max(1)
    keep = top >= threshold
    return PseudoLabels(method, candidates[keep].astype(np.int64), probs.argmax(1)[keep].astype(np.int64),
                        top[keep].astype(np.float32))


@torch.no_grad()
def self_training(head: torch.nn.Module, inputs, candidates: np.ndarray, threshold: float,
                  device: torch.device) -> PseudoLabels:
    """The model's own confident predictions on `candidates` (unlabelled pool items); `inputs` is
    what the model reads for pool items (Images)."""
    if len(candidates) == 0:
        return PseudoLabels("self-training", np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    head.eval()
    logits = torch.cat([head(x.to(device)).cpu() for x in inputs.inference_batches(order=candidates)])
    return confident("self-training", candidates, torch.softmax(logits, 1).numpy(), threshold)


class Graph:
    """The normalised affinities S of a k-nearest-neighbour graph over an embedding of the pool.

    Built once per run (the embedding, a VAE latent or a backbone's features, does not
    change between rounds); each round only spreads its labels over it.
    """

    def __init__(self, embedding: np.ndarray, k: int):
        import faiss
        from scipy import sparse

        x = np.ascontiguousarray(embedding, dtype=np.float32).copy()
        faiss.normalize_L2(x)
        n = len(x)
        k = max(1, min(k, n - 1))
        index = faiss.IndexFlatIP(x.shape[1])
        index.add(x)
        sims, nbrs = index.search(x, k + 1)
        # Each item's own hit goes (where exact duplicates hid it, the farthest hit goes instead): k a row.
        own = nbrs == np.arange(n)[:, None]
        own[~own.any(1), -1] = True
        keep = ~own
        vals = np.maximum(sims[keep], 0.0) ** 3  # Iscen et al.'s gamma = 3: near neighbours count most
        w = sparse.csr_matrix((vals, (np.repeat(np.arange(n), k), nbrs[keep])), shape=(n, n))
        w = w + w.T
        inv_sqrt = 1.0 / np.sqrt(np.maximum(np.asarray(w.sum(1)).ravel(), 1e-12))
        self.s = sparse.diags(inv_sqrt) @ w @ sparse.diags(inv_sqrt)
        self.n = n

    def spread(self, labelled: np.ndarray, labels: np.ndarray, n_classes: int, alpha: float) -> np.ndarray:
        """Class scores of every item, rows normalised to sum 1 (uniform where nothing reached)."""
        from scipy import sparse
        from scipy.sparse.linalg import cg

        a = sparse.eye(self.n) - alpha * self.s
        scores = np.zeros((self.n, n_classes), dtype=np.float64)
        for c in range(n_classes):
            y = np.zeros(self.n)
            y[labelled[labels == c]] = 1.0
            if y.any():
                scores[:, c], _ = cg(a, y, maxiter=CG_ITERATIONS, x0=y.copy())
        scores = np.maximum(scores, 0.0)
        total = scores.sum(1, keepdims=True)
        return np.divide(scores, total, out=np.full_like(scores, 1.0 / n_classes), where=total > 0)


def label_propagation(graph: Graph, labelled: np.ndarray, labels: np.ndarray, candidates: np.ndarray,
                      n_classes: int, alpha: float, threshold: float) -> PseudoLabels:
    scores = graph.spread(labelled, labels, n_classes, alpha)
    return confident("propagation", candidates, scores[candidates], threshold)


class Consistency:
    """FixMatch's unlabelled term for one round's training: `views` gives each step's strongly
    augmented images, the weak view's confident guesses as their targets, and which count.

    It keeps each item's last confident guess, so the round can say, as the other methods
    do, how many unlabelled items it trained on and how many of those guesses were right.
    """

    def __init__(self, pool, candidates: np.ndarray, per_step: int, threshold: float, weak_shift: int):
        self.pool, self.candidates = pool, np.asarray(candidates, dtype=np.int64)
        self.per_step, self.threshold, self.weak_shift = per_step, threshold, weak_shift
        self.guess = np.full(len(pool), -1, dtype=np.int64)
        self.confidence = np.zeros(len(pool), dtype=np.float32)

    def views(self, model: torch.nn.Module, gen: torch.Generator,
              device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(strong views, targets, weights 1 or 0) of `per_step` unlabelled items drawn with replacement."""
        items = self.candidates[torch.randint(len(self.candidates), (self.per_step,), generator=gen).numpy()]
        x = self.pool.batch(items)
        with torch.no_grad():  # the guess is a target, not something to learn through
            probs = torch.softmax(model(random_shift(x, self.weak_shift, gen).to(device)), 1).cpu()
        top, guess = probs.max(1)
        keep = top >= self.threshold
        kept = items[keep.numpy()]
        self.guess[kept], self.confidence[kept] = guess[keep].numpy(), top[keep].numpy()
        return strong_augment(x, gen), guess, keep.float()

    def pseudo_labels(self) -> PseudoLabels:
        """Every item some step trained on with a confident guess, with its last guess."""
        items = np.flatnonzero(self.guess >= 0)
        return PseudoLabels("consistency", items, self.guess[items], self.confidence[items])
