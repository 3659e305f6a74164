"""Gradient ascent in latent space: move codes so the decoded image gets harder."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class AscentResult:
    codes: torch.Tensor  # (n, d) moved codes
    loss_before: torch.Tensor  # (n,) task loss of the decoded start codes
    loss_after: torch.Tensor  # (n,) task loss of the decoded moved codes
    forward_passes: int  # task-model image passes
    backward_passes: int


def ascend(decoder: nn.Module, model: nn.Module, codes: torch.Tensor, targets: torch.Tensor,
           steps: int, step_size: float, normalize: bool = True, descend: bool = False) -> AscentResult:
    """`steps` steps of ascent on L(f(G(z)), y), per code.

    With `descend`, the codes move the other way, towards being classified as
    `targets` (used to steer codes towards chosen classes).

    With `normalize`, each step has length `step_size` in latent space whatever the
    gradient's magnitude (codes with vanishing gradients still move); otherwise
    the raw gradient is scaled by `step_size`.
    """
    model.eval()
    decoder.eval()
    z = codes.detach().clone().requires_grad_(True)
    n = len(z)
    params = [p for m in (model, decoder) for p in m.parameters()]
    saved = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)  # only z gets a gradient
    try:
        loss_before = None
        for _ in range(steps):
            loss = F.cross_entropy(model(decoder.decode(z)), targets, reduction="none")
            if loss_before is None:
                loss_before = loss.detach()
            (grad,) = torch.autograd.grad(loss.sum(), z)
            with torch.no_grad():
                if normalize:
                    grad = grad / grad.norm(dim=1, keepdim=True).clamp_min(1e-12)
                z += (-step_size if descend else step_size) * grad
        with torch.no_grad():
            loss_after = F.cross_entropy(model(decoder.decode(z)), targets, reduction="none")
    finally:
        for p, flag in zip(params, saved):
            p.requires_grad_(flag)
    if loss_before is None:
        loss_before = loss_after
    return AscentResult(z.detach(), loss_before, loss_after, forward_passes=n * (steps + 1),
                        backward_passes=n * steps)
