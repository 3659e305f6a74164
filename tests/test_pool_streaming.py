"""Pool pixels are stored as bytes and streamed: same results as the float32 in-memory pool, no float copy."""

from __future__ import annotations

import json

import numpy as np

from alss_tui.runner.review_material import review_material
import pytest

import streaming_figures
from conftest import SHARED_DATA, needs_mnist

RECORDED = json.loads(streaming_figures.FIXTURE.read_text())


def _same_environment():
    """Float results are bit-identical only on the CPU kernels and libraries they were recorded with."""
    now, then = streaming_figures.environment(), RECORDED["environment"]
    differs = {k: (then.get(k), now[k]) for k in ("machine", "cpu_model", "cpu_capability", "torch")
               if then.get(k) != now[k]}
    return pytest.mark.skipif(bool(differs), reason=f"figures were recorded elsewhere: {differs}")


@pytest.fixture
def recorded_threads():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(RECORDED["environment"]["threads"])
    yield
    torch.set_num_threads(before)


@_same_environment()
@pytest.mark.parametrize("strategy", streaming_figures.DIGITS_STRATEGIES)
def test_digits_runs_match_the_float_pool_figures(strategy, recorded_threads):
    name = f"digits-{strategy}"
    cfg = streaming_figures.configs(None)[name]
    assert streaming_figures.figures(cfg) == RECORDED["runs"][name]




# --- no float copy of the pool -------------------------------------------------------

READ_LIMIT = 1024  # the largest batch any pass reads (inference batches)


class GuardedPixels(np.ndarray):
    """A uint8 pool that refuses any read of more than a batch: a whole-pool read is a float copy waiting to happen."""

    def __getitem__(self, key):
        out = np.asarray(super().__getitem__(key))
        if out.ndim == 4 and len(out) > READ_LIMIT:
            raise AssertionError(f"read {len(out)} pool images at once")
        return out

    def astype(self, *args, **kwargs):
        raise AssertionError("the whole pool was converted")


def _memmap_pool(path, n: int, side: int = 16) -> np.ndarray:
    """n uint8 images of two kinds (bright square top left / bottom right), memory-mapped from disk."""
    rng = np.random.default_rng(0)
    pixels = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, 1, side, side))
    half = side // 2
    for start in range(0, n, 500):
        block = rng.integers(0, 60, size=(min(500, n - start), 1, side, side), dtype=np.uint8)
        block[::2, :, :half, :half] += 180
        block[1::2, :, half:, half:] += 180
        pixels[start:start + len(block)] = block
    pixels.flush()
    del pixels
    return np.load(path, mmap_mode="r")


def _float_arrays(obj, seen=None, depth=0):
    """Every float array or tensor reachable through attributes, dicts and lists (a few levels)."""
    import torch

    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 4:
        return
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor) and obj.is_floating_point():
        yield obj.numel()
    elif isinstance(obj, np.ndarray) and np.issubdtype(obj.dtype, np.floating):
        yield obj.size
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _float_arrays(v, seen, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _float_arrays(v, seen, depth + 1)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type) and type(obj).__module__.startswith("alss_tui"):
        yield from _float_arrays(vars(obj), seen, depth + 1)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["snn", "margin", "coreset"])
def test_a_memory_mapped_pool_is_streamed_never_copied_to_float(tmp_path, strategy):
    from dataclasses import replace

    from alss_tui.config import VaeConfig
    from alss_tui.core.engine import Engine
    from alss_tui.data.pool import Dataset, Split
    from conftest import tiny_config

    n = 8000
    mapped = _memmap_pool(tmp_path / "pool.npy", n)
    truth = np.arange(n) % 2
    test = _memmap_pool(tmp_path / "test.npy", 1200)
    pool = mapped.view(GuardedPixels)
    ds = Dataset("mapped", pool, truth, Split(test.view(GuardedPixels), np.arange(1200) % 2), ("a", "b"))
    cfg = replace(tiny_config(strategy=strategy), vae=VaeConfig(epochs=1, width=8))

    # Every read of the pool or the test split goes through GuardedPixels: a read of more than a
    # batch, or a conversion of the whole array, fails the run.
    engine = Engine(cfg, ds)
    list(engine.fit_vae())
    for r in range(2):
        list(engine.propose(r))
        review_material(engine, engine.pending)
        list(engine.apply_labels(r, {c.item: int(truth[c.item]) for c in engine.pending.candidates}))
        list(engine.train_task(r))
        list(engine.evaluate(r))
        list(engine.finish_round(r, 0.0, {}))
    assert engine.last_accuracy > 0.9  # the streamed pool is the real data, learnt
    largest = max(_float_arrays(engine), default=0)
    assert largest < n * 16 * 16 / 2  # codes (n x 16) are the largest float arrays held
    assert isinstance(engine.dataset.pool_images, GuardedPixels)


def test_a_guarded_pool_does_catch_a_whole_pool_read(tmp_path):
    pool = _memmap_pool(tmp_path / "pool.npy", 2000).view(GuardedPixels)
    with pytest.raises(AssertionError):
        pool[:]
    assert pool[:10].dtype == np.uint8


@pytest.mark.slow
@needs_mnist
@_same_environment()
@pytest.mark.parametrize("strategy", streaming_figures.MNIST_STRATEGIES)
def test_mnist_differs_from_the_float_pool_only_by_the_strides_of_its_channel_axis(
        strategy, recorded_threads):
    """MNIST is one channel. The float32 pool was a numpy `[:, None]` view, so its size-1 channel
    axis carried an arbitrary stride (1 in the 3,000-image pool, 0 in the test split), and PyTorch's
    CPU convolutions choose their kernel by the strides, size-1 axes included: their floats differ
    in the last bits from those of a plain NCHW batch, and after a VAE epoch the codes and the
    picks differ. Streamed batches are plain NCHW. Given the old strides, streaming reproduces the
    recorded figures bit for bit: the pixels, batches and their order are the same.
    """
    name = f"mnist-{strategy}"
    cfg = streaming_figures.configs(str(SHARED_DATA / "mnist"))[name]
    undo = streaming_figures.float_pool_strides(streaming_figures.MNIST_STRIDES)
    try:
        assert streaming_figures.figures(cfg) == RECORDED["runs"][name]
    finally:
        undo()


class PhotoSizedPixels(GuardedPixels):
    """Refuses reads of more than one inference batch of 96 px photos."""

    def __getitem__(self, key):
        out = np.asarray(np.ndarray.__getitem__(self, key))
        if out.ndim == 4 and len(out) > 113:
            raise AssertionError(f"read {len(out)} photos at once")
        return out


def test_inference_batches_shrink_as_images_grow():
    from alss_tui.core.pool_images import PoolImages

    def batch(shape):
        return PoolImages(np.zeros((2, *shape), np.uint8), 255).inference_batch()

    # Up to CIFAR-sized images, 1,024 (the figures of digits, MNIST and CIFAR-10 stay as they were).
    assert batch((1, 8, 8)) == batch((1, 28, 28)) == batch((3, 32, 32)) == 1024
    assert batch((3, 96, 96)) == 113  # about 130 MB of first-layer activations, not 1.2 GB
    assert batch((3, 1024, 1024)) == 1


@pytest.mark.slow
def test_photo_sized_pools_are_read_one_small_batch_at_a_time(tmp_path):
    import torch

    from alss_tui.core import training
    from alss_tui.core.pool_images import PoolImages
    from alss_tui.core.strategies.base import SelectionState, predict_probs
    from alss_tui.models.classifier import SmallCNN
    from alss_tui.models.vae import ConvVAE

    n = 300
    pixels = np.lib.format.open_memmap(tmp_path / "photos.npy", mode="w+", dtype=np.uint8, shape=(n, 3, 96, 96))
    pixels[:] = np.random.default_rng(0).integers(0, 255, size=pixels.shape, dtype=np.uint8)
    pixels.flush()
    images = PoolImages(np.load(tmp_path / "photos.npy", mmap_mode="r").view(PhotoSizedPixels), 255)
    with pytest.raises(AssertionError):  # the guard does catch a 1,024-image batch
        images.slice(0, 1024)
    cpu = torch.device("cpu")
    model = SmallCNN((3, 96, 96), 10, width=8)
    assert training.encode_means(ConvVAE((3, 96, 96), 4, 8), images, cpu).shape == (n, 4)
    assert training.predict_logits(model, images, cpu).shape == (n, 10)
    assert training.predict_features(model, images, cpu).shape[0] == n
    state = SelectionState.__new__(SelectionState)
    state.model, state.images, state.device, state.n_classes = model, images, cpu, 10
    state.inputs, state.head = images, model  # what __post_init__ fills in for pixel models
    assert predict_probs(state, np.arange(n)).shape == (n, 10)
