"""Backbones (an image to a feature vector) and the heads that classify those features.

`cnn` is the project's small CNN without its head (the same parameter names as
`SmallCNN`'s body and embedding, so its weights load into a SmallCNN). Any torchvision
classification model can be a backbone: its last linear layer (the classifier) is
dropped, and what fed it is the feature vector. A torchvision backbone takes the
pool's pixels as they are stored (1 or 3 channels, any side) and makes them what its
weights expect: 3 channels, resized to `input_size`, normalised by the weights' mean
and standard deviation.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from alss_tui.models.shapes import downsample_stages, side_after

CNN_FEATURES = 128
# ImageNet statistics, the normalisation torchvision's default weights were trained with.
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def cnn_body(shape: tuple[int, int, int], width: int) -> tuple[nn.Sequential, int]:
    """The small CNN's convolutions and its flattened output size (SmallCNN uses the same)."""
    channels, height, width_px = shape
    stages = max(1, min(downsample_stages(height), downsample_stages(width_px), 2))
    layers: list[nn.Module] = []
    ch = channels
    for i in range(stages):
        out = width * 2 ** i
        layers += [nn.Conv2d(ch, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2)]
        ch = out
    return nn.Sequential(*layers, nn.Flatten()), ch * side_after(height, stages) * side_after(width_px, stages)


class CnnBackbone(nn.Module):
    """The small CNN up to its 128-d embedding."""

    def __init__(self, shape: tuple[int, int, int], width: int = 32):
        super().__init__()
        self.body, flat = cnn_body(shape, width)
        self.embed = nn.Sequential(nn.Dropout(0.25), nn.Linear(flat, CNN_FEATURES), nn.ReLU())
        self.out_dim = CNN_FEATURES
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(self.body(x.contiguous(memory_format=torch.channels_last)))

    def layout(self) -> nn.Module:
        """The module whose state dict is the saved weights (its keys are SmallCNN's)."""
        return self


def _drop_last_linear(net: nn.Module) -> tuple[str, int]:
    """Replace the model's last nn.Linear by Identity; (its dotted name, its input size)."""
    name, last = None, None
    for n, module in net.named_modules():
        if isinstance(module, nn.Linear):
            name, last = n, module
    if last is None:
        raise ValueError("has no final linear layer to take features before")
    parent = net
    *path, leaf = name.split(".")
    for part in path:
        parent = getattr(parent, part)
    setattr(parent, leaf, nn.Identity())
    return name, last.in_features


class TorchvisionBackbone(nn.Module):
    """A torchvision classification model without its classifier, adapting its input."""

    def __init__(self, name: str, input_size: int, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        super().__init__()
        from torchvision.models import get_model

        self.name = name
        self.net = get_model(name, weights=None)
        if hasattr(self.net, "aux_logits"):  # inception/googlenet: no auxiliary heads for features
            self.net.aux_logits = False
            for aux in ("AuxLogits", "aux1", "aux2"):
                if hasattr(self.net, aux):
                    setattr(self.net, aux, None)
        self.dropped, self.out_dim = _drop_last_linear(self.net)
        self.input_size = int(input_size)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if self.input_size and x.shape[-1] != self.input_size:
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False,
                              antialias=x.shape[-1] > self.input_size)
        out = self.net((x - self.mean) / self.std)
        return out.logits if hasattr(out, "logits") else out

    def layout(self) -> nn.Module:
        """The torchvision model itself (without the dropped classifier): its keys are torchvision's."""
        return self.net


class _Standardise(nn.Module):
    """Features shifted and scaled by the pool's own mean and spread (unlabelled, so allowed):
    a linear probe on raw features of very different scales trains slowly and unevenly."""

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("center", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    def set(self, center: torch.Tensor, scale: torch.Tensor) -> None:
        self.center.copy_(center)
        self.scale.copy_(scale.clamp_min(1e-6))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return (f - self.center) / self.scale


class LinearHead(nn.Module):
    def __init__(self, in_dim: int, n_classes: int):
        super().__init__()
        self.norm = _Standardise(in_dim)
        self.out = nn.Linear(in_dim, n_classes)

    def features(self, f: torch.Tensor) -> torch.Tensor:
        return self.norm(f)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.out(self.norm(f))


class MlpHead(nn.Module):
    HIDDEN = 256

    def __init__(self, in_dim: int, n_classes: int):
        super().__init__()
        self.norm = _Standardise(in_dim)
        self.hidden = nn.Sequential(nn.Linear(in_dim, self.HIDDEN), nn.ReLU(), nn.Dropout(0.25))
        self.out = nn.Linear(self.HIDDEN, n_classes)

    def features(self, f: torch.Tensor) -> torch.Tensor:
        return self.hidden(self.norm(f))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(f))


def make_head(kind: str, in_dim: int, n_classes: int, statistics: tuple[torch.Tensor, torch.Tensor] | None = None
              ) -> nn.Module:
    """A head on `in_dim` features; `statistics` (mean, std of the pool's features) standardise them."""
    head = MlpHead(in_dim, n_classes) if kind == "mlp" else LinearHead(in_dim, n_classes)
    if statistics is not None:
        head.norm.set(*statistics)
    return head


class Classifier(nn.Module):
    """Backbone then head, on pixels: the task model when the whole network trains, and the
    model the latent ascent differentiates through when the backbone is frozen."""

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone, self.head = backbone, head

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.head.features(self.backbone(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def torchvision_models() -> list[str]:
    """The classification models torchvision can build by name."""
    import torchvision.models
    from torchvision.models import list_models

    return list_models(module=torchvision.models)


def make_backbone(model: str, shape: tuple[int, int, int], width: int = 32, input_size: int = 0,
                  mean=IMAGENET_MEAN, std=IMAGENET_STD) -> nn.Module:
    """A backbone by name: `cnn`, or a torchvision classification model (ValueError for other names)."""
    if model == "cnn":
        return CnnBackbone(shape, width)
    names = torchvision_models()
    if model not in names:
        close = [n for n in names if n.startswith(model[:4])][:6] or names[:6]
        raise ValueError(f"unknown model {model!r}; torchvision classification models include {', '.join(close)}")
    return TorchvisionBackbone(model, input_size, mean, std)
