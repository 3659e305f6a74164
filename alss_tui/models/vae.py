"""Convolutional VAE. Encodes to a Gaussian latent; decodes to pixels in [0, 1]."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from alss_tui.models.shapes import downsample_stages, side_after


class ConvVAE(nn.Module):
    def __init__(self, shape: tuple[int, int, int], latent_dim: int = 16, width: int = 32):
        super().__init__()
        channels, height, width_px = shape
        self.shape = shape
        self.latent_dim = latent_dim
        stages = min(downsample_stages(height), downsample_stages(width_px))
        self._inner = (width * 2 ** (stages - 1) if stages else channels, side_after(height, stages),
                       side_after(width_px, stages))

        # Stride-2 convolutions only: a full-resolution layer would triple the cost
        # on 28x28 and 32x32 pools for little gain in the latent space.
        enc: list[nn.Module] = []
        ch = channels
        for i in range(stages):
            out = width * 2 ** i
            enc += [nn.Conv2d(ch, out, 4, stride=2, padding=1), nn.LeakyReLU(0.1)]
            ch = out
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        flat = ch * self._inner[1] * self._inner[2]
        hidden = max(128, 4 * latent_dim)
        self.enc_fc = nn.Sequential(nn.Linear(flat, hidden), nn.LeakyReLU(0.1))
        self.mu = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim)

        self.dec_fc = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.1), nn.Linear(hidden, flat), nn.LeakyReLU(0.1)
        )
        dec: list[nn.Module] = []
        for i in reversed(range(stages)):
            out = width * 2 ** (i - 1) if i > 0 else channels
            dec.append(nn.ConvTranspose2d(ch, out, 4, stride=2, padding=1))
            if i > 0:
                dec.append(nn.LeakyReLU(0.1))
            ch = out
        if stages == 0:
            dec.append(nn.Conv2d(ch, channels, 3, padding=1))
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.enc_fc(self.encoder(x))
        return self.mu(h), self.logvar(h).clamp(-10.0, 10.0)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        h = self.dec_fc(z).view(-1, *self._inner)
        return self.decoder(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x)
        noise = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + noise * torch.exp(0.5 * logvar)
        return self.decode_logits(z), mu, logvar


def vae_loss(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             beta: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-image means of (total, reconstruction BCE summed over pixels, KL)."""
    n = x.shape[0]
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / n
    return recon + beta * kl, recon, kl
