"""The fast ascent (frozen copies, folded batch norm, chunks) computes what the plain one does."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from alss_tui.core.ascent import ascend, frozen_copy
from alss_tui.models.classifier import SmallCNN
from alss_tui.models.vae import ConvVAE


def plain_ascent(decoder, model, codes, targets, steps, step_size):
    """The paper's ascent written the straightforward way: all codes at once, modules as given."""
    decoder.eval()
    model.eval()
    z = codes.clone().requires_grad_(True)
    before = None
    for _ in range(steps):
        loss = F.cross_entropy(model(decoder.decode(z)), targets, reduction="none")
        before = loss.detach() if before is None else before
        (grad,) = torch.autograd.grad(loss.sum(), z)
        with torch.no_grad():
            z += step_size * grad / grad.norm(dim=1, keepdim=True).clamp_min(1e-12)
    with torch.no_grad():
        after = F.cross_entropy(model(decoder.decode(z)), targets, reduction="none")
    return z.detach(), before, after


@pytest.fixture(scope="module")
def tiny_models():
    torch.manual_seed(0)
    vae = ConvVAE((1, 12, 12), latent_dim=4, width=8).eval()
    model = SmallCNN((1, 12, 12), 3, width=4)
    # Batch norm with statistics far from the identity, so folding it is really exercised.
    for norm in (m for m in model.modules() if isinstance(m, nn.BatchNorm2d)):
        norm.running_mean.uniform_(-0.5, 0.5)
        norm.running_var.uniform_(0.3, 3.0)
        norm.weight.data.uniform_(0.5, 2.0)
        norm.bias.data.uniform_(-0.5, 0.5)
    codes = 2 * torch.randn(37, 4)
    targets = torch.randint(0, 3, (37,))
    return vae, model.eval(), codes, targets


def test_frozen_copy_folds_batch_norm_into_the_convolution_and_computes_the_same_function(tiny_models):
    vae, model, codes, _ = tiny_models
    frozen = frozen_copy(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in frozen.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())  # the original keeps its norms
    assert not any(p.requires_grad for p in frozen.parameters())
    assert all(p.requires_grad for p in model.parameters())
    with torch.no_grad():
        x = vae.decode(codes)
        assert torch.allclose(frozen(x), model(x), atol=1e-5)


def test_fast_ascent_equals_the_plain_ascent(tiny_models):
    vae, model, codes, targets = tiny_models
    z, before, after = plain_ascent(vae, model, codes, targets, steps=4, step_size=0.3)
    fast = ascend(vae, model, codes, targets, steps=4, step_size=0.3, chunk_size=8)
    assert torch.allclose(fast.codes, z, atol=1e-4)
    assert torch.allclose(fast.loss_before, before, atol=1e-5)
    assert torch.allclose(fast.loss_after, after, atol=1e-4)
    assert fast.forward_passes == 37 * 5 and fast.backward_passes == 37 * 4


@pytest.mark.parametrize("chunk", [1, 5, 37, 100])
def test_chunk_size_changes_nothing_but_speed(tiny_models, chunk):
    vae, model, codes, targets = tiny_models
    whole = ascend(vae, model, codes, targets, steps=3, step_size=0.2, chunk_size=len(codes))
    chunked = ascend(vae, model, codes, targets, steps=3, step_size=0.2, chunk_size=chunk)
    assert torch.allclose(chunked.codes, whole.codes, atol=1e-6)
    assert torch.allclose(chunked.loss_after, whole.loss_after, atol=1e-6)


def test_no_codes_and_no_steps(tiny_models):
    vae, model, codes, targets = tiny_models
    empty = ascend(vae, model, codes[:0], targets[:0], steps=3, step_size=0.2)
    assert empty.codes.shape == (0, 4) and empty.forward_passes == 0
    still = ascend(vae, model, codes, targets, steps=0, step_size=0.2)
    assert torch.equal(still.codes, codes) and torch.equal(still.loss_before, still.loss_after)
