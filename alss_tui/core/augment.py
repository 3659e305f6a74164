"""Image augmentations on float (N, C, H, W) batches, drawn from a seeded generator.

Tensor operations, no PIL: a batch is augmented in one call, and a resumed run draws
the same augmentations as one that was never interrupted.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def random_shift(x: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Translate each image by its own random offset of up to `max_shift` pixels (zero fill)."""
    if max_shift <= 0:
        return x
    b, c, h, w = x.shape
    padded = F.pad(x, (max_shift, max_shift, max_shift, max_shift))
    dy = torch.randint(2 * max_shift + 1, (b,), generator=gen)
    dx = torch.randint(2 * max_shift + 1, (b,), generator=gen)
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :]
    return padded[torch.arange(b)[:, None, None, None], torch.arange(c)[None, :, None, None], rows, cols]


def cutout(x: torch.Tensor, side: int, gen: torch.Generator) -> torch.Tensor:
    """Blank a `side` x `side` square (zero) at a random centre of each image; squares may cross the edge."""
    b, _, h, w = x.shape
    cy = torch.randint(h, (b,), generator=gen)[:, None, None]
    cx = torch.randint(w, (b,), generator=gen)[:, None, None]
    half = side / 2
    inside = ((torch.arange(h)[None, :, None] - cy).abs() < half) & ((torch.arange(w)[None, None, :] - cx).abs() < half)
    return x * (~inside)[:, None].to(x.dtype)


def strong_augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """FixMatch's strong view, in three tensor operations instead of RandAugment's fourteen PIL ones:
    a shift of up to a seventh of the side, brightness scaled by 0.5-1.5, and a cutout square of about 3/8
    of the side (FixMatch's is half; 11 pixels of 28 is the setting measured on MNIST)."""
    side = min(x.shape[2], x.shape[3])
    x = random_shift(x, max(1, side // 7), gen)
    x = (x * (0.5 + torch.rand(len(x), 1, 1, 1, generator=gen))).clamp(0.0, 1.0)
    return cutout(x, (3 * side) // 8 + 1, gen)


def simclr_view(x: torch.Tensor, gen: torch.Generator, min_crop: float, colour: bool) -> torch.Tensor:
    """One random SimCLR view of each image of the batch (core/contrastive.py; values stay in [0, 1])."""
    b = x.shape[0]

    def uniform(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return torch.rand(b, *shape, generator=gen) * (hi - lo) + lo

    area = uniform(min_crop, 1.0)
    aspect = torch.exp(uniform(math.log(3 / 4), math.log(4 / 3)))
    sx = torch.sqrt(area * aspect).clamp(max=1.0)
    sy = torch.sqrt(area / aspect).clamp(max=1.0)
    tx = (torch.rand(b, generator=gen) * 2 - 1) * (1 - sx)
    ty = (torch.rand(b, generator=gen) * 2 - 1) * (1 - sy)
    if colour:
        sx = torch.where(torch.rand(b, generator=gen) < 0.5, -sx, sx)  # horizontal flip
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1], theta[:, 0, 2], theta[:, 1, 2] = sx, sy, tx, ty
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    bright = uniform(0.6, 1.4, 1, 1, 1).to(x.device)
    contrast = uniform(0.6, 1.4, 1, 1, 1).to(x.device)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = ((x - mean) * contrast + mean) * bright
    if colour and x.shape[1] == 3:
        x = x * uniform(0.8, 1.2, 3, 1, 1).to(x.device)
        gray = x.mean(dim=1, keepdim=True).expand_as(x)
        x = torch.where((torch.rand(b, 1, 1, 1, generator=gen) < 0.2).to(x.device), gray, x)
    return x.clamp(0.0, 1.0)
