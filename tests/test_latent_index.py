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
