"""Gradient ascent in latent space: move codes so the decoded image gets harder."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.fusion import fuse_conv_bn_eval

# Codes ascended together. Each code's path is independent of the others (eval
# mode), so chunking changes nothing but speed: the activations of 128 decoded
# images stay in cache, and on one CPU thread this is ~1.4x faster than 1,000 at
# once (benchmarks/bench_speed.py).
ASCENT_CHUNK = 128


@dataclass
class AscentResult:
    codes: torch.Tensor  # (n, d) moved codes
    loss_before: torch.Tensor  # (n,) task loss of the decoded start codes
    loss_after: torch.Tensor  # (n,) task loss of the decoded moved codes
    forward_passes: int  # task-model image passes
    backward_passes: int


def frozen_copy(module: nn.Module) -> nn.Module:
    """An eval-mode copy whose parameters take no gradient, with every Conv2d that
    is directly followed by a BatchNorm2d (inside an nn.Sequential) folded into it.

    In eval mode batch norm is a fixed per-channel affine map, so folding computes
    the same function (up to float rounding) without the norm's forward and
    backward passes (~10% of an ascent step on the task CNN).
    """
    frozen = copy.deepcopy(module).eval()
    for seq in [m for m in frozen.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            conv, norm = seq[i], seq[i + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d) and norm.running_mean is not None:
                seq[i] = fuse_conv_bn_eval(conv, norm)
                seq[i + 1] = nn.Identity()
    for p in frozen.parameters():
        p.requires_grad_(False)
    return frozen


def ascend(decoder: nn.Module, model: nn.Module, codes: torch.Tensor, targets: torch.Tensor,
           steps: int, step_size: float, normalize: bool = True, descend: bool = False,
           chunk_size: int = ASCENT_CHUNK) -> AscentResult:
    """`steps` steps of ascent on L(f(G(z)), y), per code.

    With `descend`, the codes move the other way, towards being classified as
    `targets` (used to steer codes towards chosen classes).

    With `normalize`, each step has length `step_size` in latent space whatever the
    gradient's magnitude (codes with vanishing gradients still move); otherwise
    the raw gradient is scaled by `step_size`.

    The caller's modules are left untouched: the ascent runs on frozen copies, so
    only the codes get gradients (no weight gradients are computed).
    """
    n = len(codes)
    if n == 0:
        empty = torch.zeros(0, device=codes.device)
        return AscentResult(codes.detach().clone(), empty, empty, 0, 0)
    decoder, model = frozen_copy(decoder), frozen_copy(model)
    moved, before, after = [], [], []
    for start in range(0, len(codes), chunk_size):
        z, y = codes[start:start + chunk_size], targets[start:start + chunk_size]
        z, loss_before, loss_after = _ascend_chunk(decoder, model, z, y, steps,
                                                   -step_size if descend else step_size, normalize)
        moved.append(z)
        before.append(loss_before)
        after.append(loss_after)
    return AscentResult(torch.cat(moved), torch.cat(before), torch.cat(after),
                        forward_passes=n * (steps + 1), backward_passes=n * steps)


def _ascend_chunk(decoder: nn.Module, model: nn.Module, codes: torch.Tensor, targets: torch.Tensor,
                  steps: int, signed_step: float, normalize: bool):
    z = codes.detach().clone().requires_grad_(True)
    loss_before = None
    for _ in range(steps):
        loss = F.cross_entropy(model(decoder.decode(z)), targets, reduction="none")
        if loss_before is None:
            loss_before = loss.detach()
        (grad,) = torch.autograd.grad(loss.sum(), z)
        with torch.no_grad():
            if normalize:
                grad = grad / grad.norm(dim=1, keepdim=True).clamp_min(1e-12)
            z += signed_step * grad
    with torch.no_grad():
        loss_after = F.cross_entropy(model(decoder.decode(z)), targets, reduction="none")
    return z.detach(), loss_after if loss_before is None else loss_before, loss_after
