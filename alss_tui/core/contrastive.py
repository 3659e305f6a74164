"""An encoder trained on the unlabelled pool itself: SimCLR (Chen et al., 2020).

Each image of a batch is augmented twice; the backbone and a small projection head
are trained so that the two views of one image are each other's nearest neighbour
among the batch's 2B views (the NT-Xent loss at a temperature). The projection head is
dropped afterwards: the backbone's features are the representation.

Why SimCLR: it needs no labels, no momentum encoder or queue, one network and one
loss, and it works at the small batches two CPU cores afford (a few hundred images).

Augmentations (core/augment.simclr_view) fit small images and are batched tensor
operations (no per-image Python): a random resized crop (a share `min_crop`..1 of the area, aspect 3/4..4/3)
and translation by one affine resampling, brightness and contrast jitter, and for
colour pools also a horizontal flip, colour scaling and a random grayscale. Gray
pools get no flip: a mirrored digit is another digit or none.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from alss_tui.config import EncoderConfig
from alss_tui.core.augment import simclr_view
from alss_tui.core.events import EpochEnded, Event
from alss_tui.core.pool_images import Images
from alss_tui.core.progress import ProgressThrottle


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's loss: each view must pick its partner out of the batch's other 2B - 1 views."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(sim, partner)


def projection_head(dim: int, out: int) -> nn.Module:
    return nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, out))


def encoder_steps(cfg: EncoderConfig, n: int) -> int:
    """Optimiser steps of the whole training: every epoch sees each image once, in full batches."""
    return cfg.epochs * max(1, n // min(cfg.batch_size, n))


def train_encoder(backbone: nn.Module, images: Images, cfg: EncoderConfig, seed: int,
                  device: torch.device) -> Iterator[Event]:
    """SimCLR on every pool image, `cfg.epochs` passes; the backbone is trained in place."""
    from alss_tui.core.training import torch_generator

    gen = torch_generator(seed)
    torch.manual_seed(seed)  # the projection head's initial weights
    head = projection_head(backbone.out_dim, cfg.projection_dim).to(device)
    params = list(backbone.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=1e-6)
    n = len(images)
    batch = min(cfg.batch_size, n)
    per_epoch = max(1, n // batch)  # the last partial batch is dropped: NT-Xent wants full batches
    total = cfg.epochs * per_epoch
    throttle = ProgressThrottle("encoder", 0, total)
    colour = images.shape[1] == 3
    backbone.train()
    head.train()
    step = 0
    for epoch in range(cfg.epochs):
        perm = torch.randperm(n, generator=gen)
        running = 0.0
        for b in range(per_epoch):
            x = images.batch(perm[b * batch:(b + 1) * batch]).to(device)
            v1 = simclr_view(x, gen, cfg.min_crop, colour)
            v2 = simclr_view(x, gen, cfg.min_crop, colour)
            # Cosine decay over the whole training: the encoder a run keeps is where it settled.
            for group in opt.param_groups:
                group["lr"] = cfg.lr * 0.5 * (1.0 + math.cos(math.pi * step / total))
            loss = nt_xent(head(backbone(v1)), head(backbone(v2)), cfg.temperature)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running += loss.item()
            step += 1
            if (p := throttle(step)) is not None:
                yield p
        yield EpochEnded("encoder", 0, epoch + 1, {"loss": running / per_epoch})
    backbone.eval()
