"""A small VAE over feature vectors (vae.input = "features"): the latent space SNN searches
when the task model is a head on a frozen backbone's features.

Features are standardised by the pool's mean and spread before they go in, and the
reconstruction is Gaussian (a squared error per feature), where the pixel VAE's is
Bernoulli over pixels in [0, 1]. `decode` returns features, in the backbone's scale.
"""

from __future__ import annotations

import torch
from torch import nn


class FeatureVAE(nn.Module):
    def __init__(self, dim: int, latent_dim: int = 16, width: int = 32):
        super().__init__()
        hidden = max(128, 8 * width)
        self.dim = dim
        self.latent_dim = latent_dim
        self.register_buffer("center", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))
        self.enc = nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(0.1))
        self.mu = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim)
        self.dec = nn.Sequential(nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.1), nn.Linear(hidden, dim))

    def set_statistics(self, center: torch.Tensor, scale: torch.Tensor) -> None:
        self.center.copy_(center)
        self.scale.copy_(scale.clamp_min(1e-6))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.enc((x - self.center) / self.scale)
        return self.mu(h), self.logvar(h).clamp(-10.0, 10.0)

    def decode_standard(self, z: torch.Tensor) -> torch.Tensor:
        return self.dec(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.dec(z) * self.scale + self.center

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x)
        noise = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + noise * torch.exp(0.5 * logvar)
        return self.decode_standard(z), mu, logvar


def feature_vae_loss(recon: torch.Tensor, x: torch.Tensor, vae: FeatureVAE, mu: torch.Tensor,
                     logvar: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-vector means of (total, Gaussian reconstruction summed over features, KL)."""
    n = x.shape[0]
    target = (x - vae.center) / vae.scale
    rec = 0.5 * ((recon - target) ** 2).sum() / n
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / n
    return rec + beta * kl, rec, kl
