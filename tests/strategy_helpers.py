"""A tiny pool, VAE and task model for strategy tests: random 8x8 images, 3 classes."""

from __future__ import annotations

import numpy as np


def tiny_world(n: int):
    """(images, truth, codes, vae, model) for `n` random 1x8x8 images; the same for the same n."""
    import torch

    from alss_tui.models.classifier import SmallCNN
    from alss_tui.models.vae import ConvVAE

    torch.manual_seed(0)
    gen = np.random.default_rng(0)
    images = gen.random((n, 1, 8, 8), dtype=np.float32)
    truth = gen.integers(0, 3, size=n)
    vae = ConvVAE((1, 8, 8), latent_dim=4, width=8).eval()
    with torch.no_grad():
        codes = vae.encode(torch.from_numpy(images))[0].numpy()
    model = SmallCNN((1, 8, 8), 3, width=4).eval()
    return images, truth, codes, vae, model
