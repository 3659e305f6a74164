import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alss_tui.core.latent_index import LatentIndex


def test_faiss_search_equals_brute_force():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(2000, 16)).astype(np.float32)
    queries = rng.normal(size=(50, 16)).astype(np.float32)
    dist, idx = LatentIndex(codes).search(queries, 5)
    brute = np.linalg.norm(queries[:, None, :] - codes[None, :, :], axis=2)
    expected = np.argsort(brute, axis=1)[:, :5]
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_allclose(dist, np.take_along_axis(brute, expected, axis=1), rtol=1e-4, atol=1e-4)


def test_nearest_available_prefers_the_closest_free_item():
    codes = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=np.float32)
    index = LatentIndex(codes)
    available = np.array([False, True, True, True])
    # both queries sit on item 0 (taken); the first gets 1, the second the next free one, 2
    found = index.nearest_available(np.array([[0.0], [0.1]], dtype=np.float32), available)
    assert [hits[0][0] for hits in found] == [1, 2]
    assert found[0][0][1] == np.float32(1.0)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(5, 300), q=st.integers(1, 60), frac=st.floats(0.0, 0.95), seed=st.integers(0, 10_000))
def test_nearest_available_never_returns_taken_or_duplicate(n, q, frac, seed):
    rng = np.random.default_rng(seed)
    codes = rng.normal(size=(n, 4)).astype(np.float32)
    available = rng.random(n) >= frac
    # queries clustered near a few points, so many compete for the same neighbours
    queries = codes[rng.integers(0, n, size=q)] + 0.01 * rng.normal(size=(q, 4)).astype(np.float32)
    found = LatentIndex(codes).nearest_available(queries, available)
    items = [hits[0][0] for hits in found if hits]
    assert len(items) == len(set(items))
    assert all(available[i] for i in items)
    assert len(items) == min(q, int(available.sum()))


# --- approximate kinds ----------------------------------------------------------------

import pytest  # noqa: E402

from alss_tui.core import latent_index as li  # noqa: E402


def _clustered(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.normal(size=(10, 16)) * 1.5
    return (centres[rng.integers(0, 10, n)] + rng.normal(size=(n, 16))).astype(np.float32)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_kinds_find_the_exact_nearest_neighbour_at_least_95_percent(kind):
    rng = np.random.default_rng(1)
    codes = _clustered(20_000, rng)
    queries = codes[rng.integers(0, len(codes), 500)] + 0.3 * rng.normal(size=(500, 16)).astype(np.float32)
    _, exact = LatentIndex(codes, "flat").search(queries, 1)
    index = LatentIndex(codes, kind)
    assert index.kind == kind and not index.exact
    _, got = index.search(queries, 1)
    assert np.mean(got[:, 0] == exact[:, 0]) >= 0.95


def test_auto_is_exact_below_the_threshold_and_approximate_above():
    assert li.resolve_kind("auto", li.AUTO_EXACT_BELOW - 1) == "flat"
    assert li.resolve_kind("auto", li.AUTO_EXACT_BELOW) in ("ivf", "hnsw")
    assert LatentIndex(np.zeros((10, 2), np.float32), "auto").kind == "flat"
    with pytest.raises(ValueError):
        li.resolve_kind("annoy", 10)


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(["ivf", "hnsw"]), n=st.integers(400, 1500), q=st.integers(1, 80),
       frac=st.floats(0.0, 0.97), per=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_approximate_nearest_available_never_returns_taken_or_duplicate(kind, n, q, frac, per, seed):
    rng = np.random.default_rng(seed)
    codes = rng.normal(size=(n, 8)).astype(np.float32)
    available = rng.random(n) >= frac
    queries = codes[rng.integers(0, n, size=q)] + 0.01 * rng.normal(size=(q, 8)).astype(np.float32)
    found = LatentIndex(codes, kind).nearest_available(queries, available, k_per_query=per)
    items = [i for hits in found for i, _ in hits]
    assert len(items) == len(set(items))
    assert all(available[i] for i in items)
    # every query is served in full while free items last, even where the approximate search fell short
    assert len(items) == min(q * per, int(available.sum()))
    for query, hits in zip(queries, found):
        for i, d in hits:
            assert d == pytest.approx(float(np.linalg.norm(query - codes[i])), rel=1e-3, abs=1e-3)


def test_when_approximate_widening_fails_exact_search_serves_the_rest(monkeypatch):
    # A tiny widening limit: most queries cannot be served from the approximate index alone.
    monkeypatch.setattr(li, "APPROXIMATE_MAX_K", 8)
    rng = np.random.default_rng(3)
    codes = rng.normal(size=(600, 4)).astype(np.float32)
    available = np.ones(600, dtype=bool)
    available[:300] = False
    queries = np.repeat(codes[:1], 40, axis=0)  # forty queries on one taken point compete
    found = LatentIndex(codes, "hnsw").nearest_available(queries, available)
    items = [hits[0][0] for hits in found]
    assert len(set(items)) == 40 and all(i >= 300 for i in items)
    # exactly the 40 nearest free items, served in query order (first query gets the nearest)
    dist = np.linalg.norm(codes[300:] - codes[0], axis=1)
    assert sorted(items) == sorted((300 + np.argsort(dist)[:40]).tolist())
