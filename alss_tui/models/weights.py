"""Backbone weights: a file read safely, checked against the backbone, then loaded whole.

Files are read with `torch.load(..., weights_only=True)`: a hostile file cannot run
code. A file may be a plain state dict or a checkpoint holding one (under
`state_dict`, `model`, `backbone` or `encoder`), with or without a `module.` prefix.
Every key and shape is checked before anything is copied, so a file for another
architecture is refused with nothing half-loaded. Problems are one `DataError` line
naming the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from alss_tui.errors import DataError

NESTED_KEYS = ("state_dict", "state", "model", "backbone", "encoder")
PREFIXES = ("module.", "backbone.", "net.", "encoder.")


def read_state(path: Path, hint: str = "") -> dict[str, torch.Tensor]:
    """The tensors of a weights file; `hint` says where it was looked for and how to get it."""
    where = f" ({hint})" if hint else ""
    if not path.is_file():
        raise DataError(f"{path}: no such weights file{where}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated, not a torch file, or a pickle of code objects
        raise DataError(f"{path}: not a readable weights file ({exc.__class__.__name__}){where}") from None
    return unwrap(obj, path)


def unwrap(obj, path: Path | str = "weights") -> dict[str, torch.Tensor]:
    """A state dict out of whatever a training script saved around it."""
    if isinstance(obj, dict):
        for key in NESTED_KEYS:
            if isinstance(obj.get(key), dict):
                return unwrap(obj[key], path)
        state = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if state and len(state) == len(obj):
            return _strip_prefix(state)
    raise DataError(f"{path}: holds no state dict of tensors (expected a model's state_dict, or a checkpoint "
                    f"with one under {', '.join(NESTED_KEYS)})")


def _strip_prefix(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    for prefix in PREFIXES:
        if all(k.startswith(prefix) for k in state):
            return {k[len(prefix):]: v for k, v in state.items()}
    return state


def load_into(module: nn.Module, state: dict[str, torch.Tensor], path: Path | str, ignore: str = "") -> None:
    """Copy `state` into `module`, or change nothing and say why.

    Keys under `ignore` (a dropped classifier, e.g. "fc") are left out of the check: a
    classification checkpoint's head is not part of a backbone.
    """
    want = module.state_dict()
    given = {k: v for k, v in state.items() if not (ignore and (k == ignore or k.startswith(ignore + ".")))}
    missing = [k for k in want if k not in given]
    unexpected = [k for k in given if k not in want]
    if missing or unexpected:
        what = f"lacks {missing[0]}" if missing else f"has {unexpected[0]}, which this backbone has not"
        raise DataError(f"{path}: weights for another architecture ({what}; {len(missing)} missing, "
                        f"{len(unexpected)} unexpected keys)")
    for k, v in given.items():
        if tuple(v.shape) != tuple(want[k].shape):
            raise DataError(f"{path}: weights for another architecture ({k} is {tuple(v.shape)}, "
                            f"this backbone's is {tuple(want[k].shape)})")
    module.load_state_dict(given, strict=True)


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """A short hash of a state dict's names and values: the feature cache's key part for the weights."""
    h = hashlib.sha256()
    for k in sorted(state):
        t = state[k].detach().cpu().contiguous()
        h.update(k.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return h.hexdigest()[:20]


def imagenet_file(model: str) -> tuple[Path, str]:
    """(where torchvision's default weights for `model` live in the torch cache, their download URL)."""
    from torchvision.models import get_model_weights

    try:
        weights = get_model_weights(model).DEFAULT
    except (ValueError, KeyError):
        raise DataError(f"task.model = {model}: torchvision has no pretrained weights for it") from None
    url = weights.url
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1], url


def imagenet_transform(model: str) -> tuple[int, tuple[float, ...], tuple[float, ...]]:
    """(input side, mean, std) the default weights expect: their own transforms' crop size and statistics."""
    from torchvision.models import get_model_weights

    t = get_model_weights(model).DEFAULT.transforms()
    return int(t.crop_size[0]), tuple(t.mean), tuple(t.std)


def fetch_imagenet(model: str) -> Path:
    """Download the default weights into the torch cache (only with --download; needs a network)."""
    path, url = imagenet_file(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        torch.hub.download_url_to_file(url, str(tmp), progress=True)
    except Exception as exc:
        raise DataError(f"task.weights = imagenet: could not fetch {url} ({exc.__class__.__name__})") from None
    tmp.replace(path)
    return path
