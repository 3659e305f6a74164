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

Pseudo-labels are never labels: they live in the round's training only (half of every
mini-batch, weighted by `pseudo_weight`), never in labels.jsonl, never counted against
the budget, never exported. FixMatch-style consistency is left out: its strong
augmentations double every step's cost, which two cores do not afford at these pool
sizes, and it cannot run on a frozen backbone's features at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

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
