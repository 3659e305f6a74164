"""Exact nearest-neighbour search over latent codes, behind a tiny interface (faiss)."""

from __future__ import annotations

import numpy as np


class LatentIndex:
    """Flat L2 index over the pool's latent means; row i is pool image i."""

    def __init__(self, codes: np.ndarray):
        import faiss

        self.codes = np.ascontiguousarray(codes, dtype=np.float32)
        self._index = faiss.IndexFlatL2(self.codes.shape[1])
        self._index.add(self.codes)

    def __len__(self) -> int:
        return self._index.ntotal

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(distances, indices), both (len(queries), k); Euclidean, not squared."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, len(self))
        sq, idx = self._index.search(q, k)
        return np.sqrt(np.maximum(sq, 0.0)), idx

    def nearest_available(self, queries: np.ndarray, available: np.ndarray,
                          k_per_query: int = 1) -> list[list[tuple[int, float]]]:
        """For each query, its `k_per_query` nearest pool items that are available.

        Queries are served in order and an item goes to the first query that
        reaches it, so the results never repeat an item and never return one
        that is not available. The search widens (k doubles) until every query
        is served or the available items run out.
        """
        taken = ~np.asarray(available, dtype=bool)
        remaining = int((~taken).sum())
        results: list[list[tuple[int, float]]] = [[] for _ in range(len(queries))]
        pending = list(range(len(queries)))
        k = min(len(self), max(8, 4 * k_per_query))
        while pending and remaining > 0:
            dist, idx = self.search(queries[pending], k)
            still = []
            for row, q in enumerate(pending):
                for d, i in zip(dist[row], idx[row]):
                    if len(results[q]) == k_per_query or remaining == 0:
                        break
                    if i >= 0 and not taken[i]:
                        taken[i] = True
                        remaining -= 1
                        results[q].append((int(i), float(d)))
                if len(results[q]) < k_per_query and remaining > 0:
                    still.append(q)
            if k >= len(self):
                break
            pending, k = still, min(len(self), k * 4)
        return results
