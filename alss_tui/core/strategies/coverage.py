"""Typicality and coverage: what to label when few labels exist, in an embedding of the pool.

TypiClust (Hacohen, Dekel and Weinshall, ICML 2022): cluster the pool into
(labelled + n) k-means clusters (at most 500); n times, take the cluster with the
fewest labelled items (the largest among those, of at least 5 items), and from it the
most typical item: the highest 1 / (mean distance to its 20 nearest neighbours in
the cluster).

ProbCover (Yehuda, Dekel, Hacohen and Weinshall, NeurIPS 2022): every item covers the
ball of radius delta around it; n times, take the item whose ball holds the most items
no labelled item covers yet. Delta is the paper's purity rule: the largest radius
(of a grid) at which at least `purity` of the balls hold items of a single k-means
cluster (k = the classes).

MaxHerding (Bae, Lee, Liao and Hwang, ECCV 2024): ProbCover's ball made smooth. Each
item covers every other by a Gaussian kernel exp(-(d / h)^2), h twice the median
distance between items (the reference's automatic bandwidth, so there is no radius
to choose); n times, take the item that raises the mean coverage max over the picked
k(x, s) the most. ProbCover's purity radius can be tiny where classes are not apart
in the embedding, and its balls then all fall in the densest class (99 of 100 first
picks were ones on MNIST's VAE latent). To stay within two cores, the greedy step
picks among HERDING_CANDIDATES unlabelled items and measures coverage on
HERDING_SAMPLE pool items (seeded samples), where the reference uses the whole pool.

All three measure in `sampling.space` (the VAE latent, the backbone's features, or the task
model's penultimate layer), on L2-normalised vectors as the reference implementations
do. TypicalThenMargin switches from TypiClust to cost-matched margin once
`sampling.switch_at` items are labelled: typicality wins at tens of labels,
uncertainty later (Hacohen et al.).
"""

from __future__ import annotations

import numpy as np

from alss_tui.config import SamplingConfig
from alss_tui.core.events import Candidate
from alss_tui.core.strategies.base import Selection, SelectionState

MAX_CLUSTERS = 500
MIN_CLUSTER_SIZE = 5
TYPICALITY_NEIGHBOURS = 20
KMEANS_ITERATIONS = 20
# ProbCover's radius grid, as cosine distances' L2 on unit vectors (0 to 2).
DELTAS = tuple(np.round(np.arange(0.05, 1.55, 0.05), 2))
PURITY_SAMPLE = 20_000  # items whose balls decide the radius (all of a smaller pool)
HERDING_CANDIDATES = 3_000  # unlabelled items a herding pick is chosen from
HERDING_SAMPLE = 10_000  # pool items whose coverage a herding pick is scored on
BANDWIDTH_SAMPLE = 1_000  # items whose pairwise distances set the kernel's bandwidth
BANDWIDTH_SCALE = 2.0  # h = this x the median pairwise distance (the reference's)


def embedding(state: SelectionState, space: str) -> tuple[np.ndarray, int]:
    """The pool's vectors in `space`, L2-normalised, and the task-model passes spent on them."""
    import faiss

    from alss_tui.core.training import predict_features

    passes = 0
    if space == "latent":
        emb = np.asarray(state.codes, dtype=np.float32)
    elif state.space_features is not None:
        emb = state.space_features().numpy()
    else:
        if state.head is None:
            raise ValueError("sampling.space = penultimate needs a task model: the first round has none")
        emb = predict_features(state.head, state.inputs, state.device).numpy()
        passes = len(state.inputs)
    emb = np.ascontiguousarray(emb, dtype=np.float32).copy()
    faiss.normalize_L2(emb)
    return emb, passes


def kmeans_labels(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    import faiss

    k = max(1, min(k, len(x)))
    # Few points a centroid is what TypiClust asks for (labelled + n clusters): no warning about it.
    km = faiss.Kmeans(x.shape[1], k, niter=KMEANS_ITERATIONS, seed=seed % (2 ** 31), verbose=False,
                      min_points_per_centroid=1)
    km.train(x)
    return km.index.search(x, 1)[1].ravel()


def typicality(x: np.ndarray, k: int = TYPICALITY_NEIGHBOURS) -> np.ndarray:
    """1 / mean distance to the k nearest other items (all of them when fewer)."""
    import faiss

    k = min(k, len(x) - 1)
    if k < 1:
        return np.ones(len(x), dtype=np.float32)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    dist, _ = index.search(x, k + 1)
    return 1.0 / (np.sqrt(np.maximum(dist[:, 1:], 0.0)).mean(1) + 1e-8)


def typiclust_picks(x: np.ndarray, labelled: np.ndarray, available: np.ndarray, n: int, seed: int) -> list[tuple[int, float]]:
    clusters = kmeans_labels(x, min(len(labelled) + n, MAX_CLUSTERS), seed)
    k = int(clusters.max()) + 1
    order = np.argsort(clusters, kind="stable")
    members = np.split(order, np.cumsum(np.bincount(clusters, minlength=k))[:-1])
    sizes = np.array([len(m) for m in members])
    covered = np.bincount(clusters[labelled], minlength=k) if len(labelled) else np.zeros(k, np.int64)
    open_ = np.zeros(len(x), dtype=bool)
    open_[available] = True
    open_count = np.bincount(clusters[available], minlength=k)
    typical: dict[int, np.ndarray] = {}  # a cluster's typicality, computed when first picked from
    picks = []
    for _ in range(n):
        eligible = np.flatnonzero(open_count > 0)
        if not len(eligible):
            break
        big = eligible[sizes[eligible] >= MIN_CLUSTER_SIZE]
        pool = big if len(big) else eligible
        c = int(min(pool, key=lambda c: (covered[c], -sizes[c], c)))
        if c not in typical:
            typical[c] = typicality(x[members[c]])
        scores = np.where(open_[members[c]], typical[c], -np.inf)
        j = int(np.argmax(scores))
        item = int(members[c][j])
        picks.append((item, float(typical[c][j])))
        open_[item] = False
        open_count[c] -= 1
        covered[c] += 1
    return picks


def purity_radius(x: np.ndarray, n_classes: int, purity: float, seed: int) -> float:
    """The largest delta of the grid at which at least `purity` of the sampled balls are pure."""
    import faiss

    clusters = kmeans_labels(x, n_classes, seed)
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(x), min(len(x), PURITY_SAMPLE), replace=False)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    best = DELTAS[0]
    for delta in DELTAS:
        lims, _, ids = index.range_search(x[sample], float(delta) ** 2)
        lims = lims.astype(np.int64)
        pure = [np.all(clusters[ids[lims[i]:lims[i + 1]]] == clusters[s]) for i, s in enumerate(sample)]
        if np.mean(pure) < purity:
            break
        best = delta
    return float(best)


def probcover_picks(x: np.ndarray, labelled: np.ndarray, available: np.ndarray, n: int, delta: float
                    ) -> list[tuple[int, float]]:
    import faiss
    from scipy import sparse

    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    lims, _, ids = index.range_search(x, delta ** 2)
    rows = np.repeat(np.arange(len(x)), np.diff(lims.astype(np.int64)))
    ball = sparse.csr_matrix((np.ones(len(ids), dtype=np.float32), (rows, ids)), shape=(len(x), len(x)))
    uncovered = np.ones(len(x), dtype=bool)
    if len(labelled):
        uncovered[ball[labelled].indices] = False
    open_ = np.zeros(len(x), dtype=bool)
    open_[available] = True
    picks = []
    for _ in range(n):
        gain = ball @ uncovered.astype(np.float32)
        gain[~open_] = -1.0
        item = int(np.argmax(gain))  # the first of equals: stable
        if gain[item] < 0:
            break
        picks.append((item, float(gain[item])))
        uncovered[ball[item].indices] = False
        open_[item] = False
    return picks


def sample(items: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """At most k of `items`, seeded, in pool order."""
    return np.sort(rng.choice(items, k, replace=False)) if len(items) > k else np.asarray(items, dtype=np.int64)


def squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|x - y|^2 for every pair, (len(x), len(y)), never below 0."""
    return np.maximum((x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T), 0.0)


def kernel(x: np.ndarray, y: np.ndarray, h: float) -> np.ndarray:
    """exp(-(|x - y| / h)^2) for every pair, (len(x), len(y))."""
    return np.exp(-squared_distances(x, y) / (h * h)).astype(np.float32)


def herding_bandwidth(x: np.ndarray, rng: np.random.Generator) -> float:
    s = x[sample(np.arange(len(x)), BANDWIDTH_SAMPLE, rng)]
    d = np.sqrt(squared_distances(s, s)[np.triu_indices(len(s), 1)])
    d = d[d > 0]
    return BANDWIDTH_SCALE * (float(np.median(d)) if len(d) else 1.0)


def herding_picks(x: np.ndarray, labelled: np.ndarray, available: np.ndarray, n: int, seed: int
                  ) -> tuple[list[tuple[int, float]], float]:
    """Greedy kernel coverage: (item, its gain in mean coverage) per pick, and the bandwidth."""
    rng = np.random.default_rng(seed)
    h = herding_bandwidth(x, rng)
    measured = x[sample(np.arange(len(x)), HERDING_SAMPLE, rng)]
    candidates = sample(np.asarray(available, dtype=np.int64), HERDING_CANDIDATES, rng)
    k = kernel(measured, x[candidates], h)
    covered = (kernel(measured, x[labelled], h).max(1) if len(labelled)
               else np.zeros(len(measured), dtype=np.float32))
    open_ = np.ones(len(candidates), dtype=bool)
    picks = []
    for _ in range(min(n, len(candidates))):
        gain = np.maximum(k - covered[:, None], 0.0).mean(0)
        gain[~open_] = -1.0
        j = int(np.argmax(gain))  # the first of equals: stable
        picks.append((int(candidates[j]), float(gain[j])))
        covered = np.maximum(covered, k[:, j])
        open_[j] = False
    return picks, h


class _InEmbedding:
    """A strategy that picks from the pool's vectors in one space (sampling.space unless given)."""

    def __init__(self, cfg: SamplingConfig | None = None, space: str | None = None):
        self.cfg = cfg or SamplingConfig()
        self.space = space or self.cfg.space

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        x, passes = embedding(state, self.space)
        return Selection(self.candidates(x, state, n, int(rng.integers(2 ** 31))), forward_passes=passes)

    def candidates(self, x: np.ndarray, state: SelectionState, n: int, seed: int) -> list[Candidate]:
        raise NotImplementedError


class TypiClust(_InEmbedding):
    name = "typiclust"

    def candidates(self, x, state, n, seed):
        picks = typiclust_picks(x, state.pool.labelled_indices, state.pool.unlabelled_indices, n, seed)
        return [Candidate(item=i, score=t) for i, t in picks]


class ProbCover(_InEmbedding):
    name = "probcover"

    def candidates(self, x, state, n, seed):
        delta = purity_radius(x, state.n_classes, self.cfg.purity, seed)
        picks = probcover_picks(x, state.pool.labelled_indices, state.pool.unlabelled_indices, n, delta)
        return [Candidate(item=i, score=g, distance=delta) for i, g in picks]


class MaxHerding(_InEmbedding):
    name = "maxherding"

    def candidates(self, x, state, n, seed):
        picks, h = herding_picks(x, state.pool.labelled_indices, state.pool.unlabelled_indices, n, seed)
        return [Candidate(item=i, score=g, distance=h) for i, g in picks]


class TypicalThenMargin:
    """TypiClust below `sampling.switch_at` labels, cost-matched margin from there on."""

    name = "typiclust-margin"

    def __init__(self, cfg: SamplingConfig | None = None):
        from alss_tui.core.strategies.baselines import CostMatchedMarginSampling

        self.cfg = cfg or SamplingConfig()
        self.typical, self.margin = TypiClust(self.cfg), CostMatchedMarginSampling(self.cfg)

    def select(self, state: SelectionState, n: int, rng: np.random.Generator) -> Selection:
        labelled = int(state.pool.labelled_mask.sum()) + (len(state.synthetic) if state.synthetic else 0)
        return (self.typical if labelled < self.cfg.switch_at else self.margin).select(state, n, rng)

