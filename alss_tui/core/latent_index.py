"""Nearest-neighbour search over latent codes, behind a tiny interface (faiss).

Kinds (`sampling.index`): `flat` is exact; `ivf` (inverted lists over a trained
k-means quantizer) and `hnsw` (a navigable small-world graph) are approximate
and fast at millions of codes; `auto` is exact below AUTO_EXACT_BELOW codes and
IVF above. The approximate parameters keep recall@1 against exact search at or
above 0.95 on synthetic and real VAE codes (benchmarks/bench_index.py,
benchmarks/results/index.json: IVF 1.000 on 100k synthetic codes, 0.993 on
59k MNIST codes; HNSW 1.000 but its graph took 65 s to build at 100k).

Whatever the kind, `nearest_available` never returns a taken (labelled or
rejected) or repeated item: approximate search only decides which free item is
found, and a query it cannot serve is served by exact search over the free items.
"""

from __future__ import annotations

import math

import numpy as np

from alss_tui.config import INDEX_KINDS

# Measured (benchmarks/results/index.json): at 100k codes, a run's 10,000 queries cost
# 23 s exact and 5.8 s with IVF, its build included; below that, pools this project
# benchmarks (MNIST's 60k) stay exact and their selections unchanged.
AUTO_EXACT_BELOW = 100_000
HNSW_M = 32  # graph degree
HNSW_EF_CONSTRUCTION = 64
HNSW_EF_SEARCH = 64  # candidates explored per query (raised to k when k is larger)
IVF_PROBE_SHARE = 0.03  # share of the inverted lists visited per query (at least IVF_MIN_PROBE)
IVF_MIN_PROBE = 16
# Widening stops here for an approximate index; queries still unserved go to exact search.
APPROXIMATE_MAX_K = 1024


def resolve_kind(kind: str, n: int) -> str:
    """The index kind used for `n` codes: `auto` becomes flat or ivf."""
    if kind not in INDEX_KINDS:
        raise ValueError(f"unknown index kind {kind!r} (one of {', '.join(INDEX_KINDS)})")
    if kind == "auto":
        return "flat" if n < AUTO_EXACT_BELOW else "ivf"
    return kind


def ivf_lists(n: int) -> int:
    """Inverted lists for n codes: about 4 sqrt(n), and at least 39 codes per list to train k-means."""
    return max(1, min(int(4 * math.sqrt(n)), n // 39))


def build_faiss_index(codes: np.ndarray, kind: str):
    """A faiss index over `codes` (float32, contiguous) of a resolved kind, codes added."""
    import faiss

    d = codes.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatL2(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, HNSW_M)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif kind == "ivf":
        nlist = ivf_lists(len(codes))
        index = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, nlist)
        index.cp.seed = 1234  # k-means initialisation: the same index for the same codes
        index.train(codes)
        index.nprobe = min(nlist, max(IVF_MIN_PROBE, int(math.ceil(IVF_PROBE_SHARE * nlist))))
    else:
        raise ValueError(f"unresolved index kind {kind!r}")
    index.add(codes)
    return index


class LatentIndex:
    """Index over the pool's latent means; row i is pool image i."""

    def __init__(self, codes: np.ndarray, kind: str = "flat"):
        self.codes = np.ascontiguousarray(codes, dtype=np.float32)
        self.kind = resolve_kind(kind, len(self.codes))
        self._index = build_faiss_index(self.codes, self.kind)

    @property
    def exact(self) -> bool:
        return self.kind == "flat"

    def __len__(self) -> int:
        return self._index.ntotal

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(distances, indices), both (len(queries), k); Euclidean, not squared.

        An approximate index may return fewer than k hits for a query: index -1.
        """
        q = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, len(self))
        if self.kind == "hnsw":
            # HNSW returns at most efSearch neighbours: explore at least k.
            self._index.hnsw.efSearch = max(HNSW_EF_SEARCH, k)
        sq, idx = self._index.search(q, k)
        return np.sqrt(np.maximum(sq, 0.0)), idx

    def nearest_available(self, queries: np.ndarray, available: np.ndarray,
                          k_per_query: int = 1) -> list[list[tuple[int, float]]]:
        """For each query, its `k_per_query` nearest pool items that are available.

        Queries are served in order and an item goes to the first query that
        reaches it, so the results never repeat an item and never return one
        that is not available. The search widens (k quadruples) until every query
        is served or the available items run out; with an approximate index it
        widens up to APPROXIMATE_MAX_K, then exact search over the still-available
        items serves what is left, so no query goes short while items are free.
        """
        taken = ~np.asarray(available, dtype=bool)
        results: list[list[tuple[int, float]]] = [[] for _ in range(len(queries))]
        max_k = len(self) if self.exact else min(len(self), APPROXIMATE_MAX_K)
        pending = _serve(self.search, queries, taken, results, k_per_query, max_k)
        if pending and not taken.all():
            free = np.flatnonzero(~taken)
            exact = LatentIndex(self.codes[free], "flat")
            sub_results: list[list[tuple[int, float]]] = [[] for _ in pending]
            # Each pending query still needs what it has not got; free items are renumbered.
            needs = [k_per_query - len(results[q]) for q in pending]
            _serve(exact.search, queries[pending], np.zeros(len(free), dtype=bool), sub_results,
                   needs, len(free))
            for q, hits in zip(pending, sub_results):
                for i, d in hits:
                    taken[free[i]] = True
                    results[q].append((int(free[i]), d))
        return results


def _serve(search, queries: np.ndarray, taken: np.ndarray, results: list, need, max_k: int) -> list[int]:
    """The greedy serving loop: updates `taken` and `results`; returns queries left short.

    `need` is one count for every query or a count per query.
    """
    need = [need] * len(queries) if isinstance(need, int) else list(need)
    remaining = int((~taken).sum())
    pending = [q for q in range(len(queries)) if need[q] > len(results[q])]
    k = min(max_k, max(8, 4 * max(need, default=1)))
    while pending and remaining > 0:
        dist, idx = search(queries[pending], k)
        still = []
        for row, q in enumerate(pending):
            for d, i in zip(dist[row], idx[row]):
                if len(results[q]) == need[q] or remaining == 0:
                    break
                if i >= 0 and not taken[i]:
                    taken[i] = True
                    remaining -= 1
                    results[q].append((int(i), float(d)))
            if len(results[q]) < need[q] and remaining > 0:
                still.append(q)
        pending = still
        if k >= max_k:
            break
        k = min(max_k, k * 4)
    return pending if remaining > 0 else []
