"""Training and inference loops for the VAE and the task model.

Loops are generators of events. Images come as `Images` (core/pool_images.py):
each batch is read and converted to float when it is needed, so no loop holds a
float copy of the pool. Bare loops, no DataLoader: batches are index lists into
an array, and a bare loop is what the speed target is measured against.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from alss_tui.config import TaskConfig, VaeConfig
from alss_tui.core.augment import random_shift
from alss_tui.core.events import EpochEnded, Event
from alss_tui.core.pool_images import Images, as_images
from alss_tui.core.progress import ProgressThrottle
from alss_tui.models.feature_vae import FeatureVAE, feature_vae_loss
from alss_tui.models.vae import ConvVAE, vae_loss

def derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from any parts (run seed, round, purpose).

    Every random choice draws from a generator seeded this way, so a resumed run
    makes the same choices as one that was never interrupted.
    """
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def torch_generator(seed: int) -> torch.Generator:
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def train_vae(vae: ConvVAE | FeatureVAE, images: Images, cfg: VaeConfig, seed: int,
              device: torch.device) -> Iterator[Event]:
    gen = torch_generator(seed)
    opt = torch.optim.Adam(vae.parameters(), lr=cfg.lr)
    n = len(images)
    batches = -(-n // cfg.batch_size)
    throttle = ProgressThrottle("vae", 0, cfg.epochs * batches)
    vae.train()
    step = 0
    for epoch in range(cfg.epochs):
        perm = torch.randperm(n, generator=gen)
        totals = np.zeros(3)
        for b in range(batches):
            idx = perm[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            x = images.batch(idx).to(device)
            logits, mu, logvar = vae(x, generator=gen if device.type == "cpu" else None)
            if isinstance(vae, FeatureVAE):
                loss, recon, kl = feature_vae_loss(logits, x, vae, mu, logvar, cfg.beta)
            else:
                loss, recon, kl = vae_loss(logits, x, mu, logvar, cfg.beta)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            totals += np.array([loss.item(), recon.item(), kl.item()]) * len(idx)
            step += 1
            if (p := throttle(step)) is not None:
                yield p
        totals /= n
        yield EpochEnded("vae", 0, epoch + 1,
                         {"loss": float(totals[0]), "recon": float(totals[1]), "kl": float(totals[2])})
    vae.eval()


@torch.no_grad()
def encode_means(vae: ConvVAE | FeatureVAE, images: Images | torch.Tensor, device: torch.device) -> np.ndarray:
    vae.eval()
    out = [vae.encode(x.to(device))[0].cpu() for x in as_images(images).inference_batches()]
    return torch.cat(out).numpy().astype(np.float32)


def round_steps(cfg: TaskConfig, labelled: int) -> int:
    """Optimiser steps of a round that trains on `labelled` items (see TaskConfig)."""
    steps = cfg.steps if cfg.epochs <= 0 else \
        min(cfg.max_steps, max(cfg.steps, math.ceil(cfg.epochs * labelled / cfg.batch_size)))
    # The unlabelled pool is far bigger than the labelled set: a semi-supervised round may
    # need more steps than its labels alone would (FixMatch's first round on MNIST: 4,000).
    return max(steps, cfg.semi_steps) if cfg.semi != "none" else steps


def class_balanced_weights(y: torch.Tensor, balance: float) -> torch.Tensor:
    """Each item's draw weight, n_c ** -balance for an item of a class with n_c labels."""
    y = y.cpu()
    return torch.bincount(y)[y].double() ** -balance


def train_classifier(model: nn.Module, x: Images | torch.Tensor, y: torch.Tensor, cfg: TaskConfig,
                     seed: int, device: torch.device, round: int,
                     optimizer: torch.optim.Optimizer | None = None,
                     pseudo: tuple[Images, np.ndarray, torch.Tensor] | None = None,
                     consistency=None) -> Iterator[Event]:
    """`round_steps` Adam steps on mini-batches drawn with replacement from (x, y).

    Items are drawn alike, or leaning toward rare classes by `cfg.class_balance`. With
    `pseudo` (images of the pool, the pseudo-labelled items, their classes), every step
    adds a mini-batch of as many pseudo-labelled items, drawn the same way, whose loss
    counts `cfg.pseudo_weight` times. With `consistency` (core/semi.Consistency), every
    step's labelled batch and its strongly augmented unlabelled views go through the model
    together (one set of batch-norm statistics, as FixMatch does), the views' loss on their
    confident guesses counting `cfg.pseudo_weight` times.
    """
    x = as_images(x)
    gen = torch_generator(seed)
    opt = optimizer or make_task_optimizer(model, cfg)
    n = len(x)
    steps = round_steps(cfg, n)
    batch = min(cfg.batch_size, n)
    throttle = ProgressThrottle("task", round, steps)
    model.train()
    window, running = max(1, steps // 10), []
    draw = class_balanced_weights(y, cfg.class_balance) if cfg.class_balance > 0 else None
    if pseudo is not None and len(pseudo[1]):
        pool, pseudo_items, pseudo_y = pseudo
        pseudo_draw = class_balanced_weights(pseudo_y, cfg.class_balance) if cfg.class_balance > 0 else None
    else:
        pseudo = None
    for step in range(steps):
        set_learning_rate(opt, scheduled_lr(cfg, step, steps))
        idx = torch.randint(n, (batch,), generator=gen) if draw is None else \
            torch.multinomial(draw, batch, replacement=True, generator=gen)
        xb, yb = x.batch(idx), y[idx]
        if cfg.augment_shift:
            xb = random_shift(xb, cfg.augment_shift, gen)
        xb, yb = xb.to(device), yb.to(device)
        if consistency is not None:
            xs, ys, weight = consistency.views(model, gen, device)
            logits = model(torch.cat([xb, xs.to(device)]))
            unlabelled = F.cross_entropy(logits[len(xb):], ys.to(device), reduction="none") * weight.to(device)
            loss = F.cross_entropy(logits[:len(xb)], yb) + cfg.pseudo_weight * unlabelled.mean()
        else:
            loss = F.cross_entropy(model(xb), yb)
        if pseudo is not None:
            j = torch.randint(len(pseudo_items), (batch,), generator=gen) if pseudo_draw is None else \
                torch.multinomial(pseudo_draw, batch, replacement=True, generator=gen)
            xu = pool.batch(pseudo_items[j.numpy()])
            if cfg.augment_shift:
                xu = random_shift(xu, cfg.augment_shift, gen)
            loss = loss + cfg.pseudo_weight * F.cross_entropy(model(xu.to(device)), pseudo_y[j].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running.append(loss.item())
        if (step + 1) % window == 0 or step + 1 == steps:
            # One "epoch" on the curve per tenth of the steps: curves of equal length each round.
            yield EpochEnded("task", round, (step + 1) // window, {"loss": float(np.mean(running))})
            running = []
        if (p := throttle(step + 1)) is not None:
            yield p
    model.eval()


def scheduled_lr(cfg: TaskConfig, step: int, steps: int) -> float:
    """The learning rate of `step` (0-based) within one round's training of `steps` steps."""
    if cfg.lr_schedule == "cosine":
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * step / steps))
    return cfg.lr


def set_learning_rate(opt: torch.optim.Optimizer, lr: float) -> None:
    for group in opt.param_groups:
        group["lr"] = lr


def make_task_optimizer(model: nn.Module, cfg: TaskConfig) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


@torch.no_grad()
def predict_logits(model: nn.Module, images: Images | torch.Tensor, device: torch.device) -> torch.Tensor:
    model.eval()
    out = [model(x.to(device)).cpu() for x in as_images(images).inference_batches()]
    if not out:
        return torch.zeros((0, 0))
    return torch.cat(out)


@torch.no_grad()
def predict_features(model: nn.Module, images: Images | torch.Tensor, device: torch.device) -> torch.Tensor:
    model.eval()
    return torch.cat([model.features(x.to(device)).cpu() for x in as_images(images).inference_batches()])


def score(logits: torch.Tensor, labels: torch.Tensor, n_classes: int) -> tuple[float, float, tuple[float, ...]]:
    """Accuracy, mean cross-entropy and per-class recall (nan for absent classes)."""
    pred = logits.argmax(1)
    acc = float((pred == labels).float().mean())
    loss = float(F.cross_entropy(logits, labels))
    recall = []
    for c in range(n_classes):
        mask = labels == c
        recall.append(float((pred[mask] == c).float().mean()) if mask.any() else float("nan"))
    return acc, loss, tuple(recall)
