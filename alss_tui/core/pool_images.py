"""Pool pixels for the model, a batch at a time.

The pool is kept as stored bytes (uint8, often a memory map of a file): a float32
copy of 100,000 photos would be gigabytes. Every pass reads the batch it needs and
converts only that batch, so a runner's own memory holds models, codes and a few
batches whatever the pool's pixel count.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from alss_tui.data.pool import to_float

# An inference batch holds at most this many input values: 1,024 images up to CIFAR's
# 3 x 32 x 32. Activations grow with the pixels, so 1,024 photos at 96 px would hold over
# a gigabyte of them; bigger images get proportionally fewer per batch.
INFERENCE_VALUES = 1024 * 3 * 32 * 32
MAX_INFERENCE_BATCH = 1024


class Images:
    """Images as float32 (N, C, H, W) tensors, read a batch at a time; subclasses say from where."""

    pixels: np.ndarray | torch.Tensor

    def __len__(self) -> int:
        return len(self.pixels)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.pixels.shape)

    def batch(self, indices) -> torch.Tensor:
        """Float pixels of the items `indices` (any int sequence, array or tensor), in that order."""
        raise NotImplementedError

    def inference_batch(self) -> int:
        """Items per forward pass without gradients: 1,024 up to 32 x 32 x 3, fewer for bigger images."""
        values = int(np.prod(self.shape[1:])) if len(self.shape) > 1 else 1
        return max(1, min(MAX_INFERENCE_BATCH, INFERENCE_VALUES // max(1, values)))

    def inference_batches(self, order=None) -> Iterator[torch.Tensor]:
        """`iter_batches` at the inference batch size: what every pass without gradients reads."""
        return self.iter_batches(self.inference_batch(), order)

    def slice(self, start: int, stop: int) -> torch.Tensor:
        """Float pixels of items start..stop-1."""
        raise NotImplementedError

    def iter_batches(self, batch_size: int, order=None) -> Iterator[torch.Tensor]:
        """Float batches over all items: in storage order, or in `order` (item indices)."""
        if order is None:
            for start in range(0, len(self), batch_size):
                yield self.slice(start, start + batch_size)
        else:
            for start in range(0, len(order), batch_size):
                yield self.batch(order[start:start + batch_size])


class PoolImages(Images):
    """uint8 (N, C, H, W) pixels, in memory or memory-mapped, converted per batch."""

    def __init__(self, pixels: np.ndarray, scale: float):
        if pixels.dtype != np.uint8 or pixels.ndim != 4:
            raise TypeError(f"pool pixels must be uint8 (N, C, H, W), got {pixels.dtype} {pixels.shape}")
        self.pixels, self.scale = pixels, float(scale)

    def batch(self, indices) -> torch.Tensor:
        # The order is kept, not sorted for memory-map locality: batches feed training,
        # and results must not depend on how the pool is stored.
        idx = indices.numpy() if isinstance(indices, torch.Tensor) else np.asarray(indices, dtype=np.int64)
        return self._converted(self.pixels[idx])

    def slice(self, start: int, stop: int) -> torch.Tensor:
        return self._converted(self.pixels[start:stop])

    def _converted(self, batch_u8: np.ndarray) -> torch.Tensor:
        # Into a tensor from torch's allocator (64-byte aligned), not a numpy array: CPU
        # kernels' float results depend on their input's alignment (measured: VAE losses
        # on MNIST differed in the 8th digit after three steps on 16-byte aligned batches).
        out = torch.empty(batch_u8.shape, dtype=torch.float32)
        to_float(batch_u8, self.scale, out=out.numpy())
        return out


class TensorImages(Images):
    """Float images already in memory: a labelled training set, synthetic images."""

    def __init__(self, images):
        self.pixels = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.asarray(images, np.float32))

    def batch(self, indices) -> torch.Tensor:
        return self.pixels[torch.as_tensor(indices)]

    def slice(self, start: int, stop: int) -> torch.Tensor:
        return self.pixels[start:stop]


def as_images(images) -> Images:
    """`images` as an Images: an Images is returned as is; a float tensor or array is wrapped."""
    return images if isinstance(images, Images) else TensorImages(images)
