"""The representation a run's task model learns on: which backbone, whose weights, and
(with task.train = "head") the backbone's features of the whole pool, computed once.

Weights come from nowhere (`none`: a seeded random start), torchvision's default
ImageNet weights in the torch cache (`imagenet`), a file (a path), or an encoder
trained on this pool with SimCLR (`pool`, core/contrastive.py), cached per pool and
seed like the VAE. With a frozen backbone every pool, test and validation image goes
through it once, in batches; the features are cached beside the pools
(data/feature_cache.py) under a key of the pool and the weights' digest, and every
later round, resume and strategy reads them.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from alss_tui.config import RunConfig
from alss_tui.core.events import EpochEnded, Event, PhaseStarted
from alss_tui.core.pool_images import Images, PoolImages
from alss_tui.core.progress import ProgressThrottle
from alss_tui.data.pool import Dataset
from alss_tui.digest import digest
from alss_tui.errors import DataError
from alss_tui.models import weights as weights_mod
from alss_tui.models.backbones import IMAGENET_MEAN, IMAGENET_STD, make_backbone


class FeatureImages(Images):
    """Feature vectors (float32 (N, D), in memory or memory-mapped) read a batch at a time."""

    def __init__(self, array: np.ndarray):
        self.pixels = array

    def batch(self, indices) -> torch.Tensor:
        idx = indices.numpy() if isinstance(indices, torch.Tensor) else np.asarray(indices, dtype=np.int64)
        return torch.from_numpy(np.array(self.pixels[idx], dtype=np.float32))

    def slice(self, start: int, stop: int) -> torch.Tensor:
        return torch.from_numpy(np.array(self.pixels[start:stop], dtype=np.float32))


def uses_backbone(cfg: RunConfig) -> bool:
    """Anything but today's small CNN from scratch on pixels needs a representation step."""
    t = cfg.task
    return t.model != "cnn" or t.weights != "none" or t.train == "head"


class Representation:
    def __init__(self, cfg: RunConfig, dataset: Dataset, device: torch.device, cache_root: Path | None = None):
        self.cfg, self.dataset, self.device = cfg, dataset, device
        self.cache_root = Path(cache_root) if cache_root is not None else None
        self.active = uses_backbone(cfg)
        self.frozen = cfg.task.train == "head"
        self.backbone: nn.Module | None = None
        self.weights_digest: str | None = None
        self.features: dict[str, FeatureImages] | None = None  # by split: pool, test, validation
        self._statistics: tuple[torch.Tensor, torch.Tensor] | None = None
        self.encoder_seconds: float | None = None
        self.feature_seconds: float | None = None

    @property
    def ready(self) -> bool:
        return not self.active or (self.backbone is not None and (not self.frozen or self.features is not None))

    # --- the backbone --------------------------------------------------------------

    def _input(self) -> tuple[int, tuple, tuple]:
        t = self.cfg.task
        if t.weights == "imagenet" and t.model != "cnn":
            size, mean, std = weights_mod.imagenet_transform(t.model)
            return t.input_size or size, mean, std
        return t.input_size, IMAGENET_MEAN, IMAGENET_STD

    def new_backbone(self) -> nn.Module:
        """The backbone with its seeded random start (weights are loaded into it after)."""
        from alss_tui.core.training import derive_seed

        t = self.cfg.task
        size, mean, std = self._input()
        torch.manual_seed(derive_seed(self.cfg.seed, "backbone-init"))
        try:
            return make_backbone(t.model, self.dataset.shape, t.width, size, mean, std)
        except ValueError as exc:
            raise DataError(f"task.model: {exc}") from None

    def prepare(self) -> Iterator[Event]:
        """Build the backbone with its weights (training the pool encoder if asked), then the features."""
        if not self.active:
            return
        if self.backbone is None:
            backbone = self.new_backbone()
            weights = self.cfg.task.weights
            if weights == "pool":
                yield from self._pool_encoder(backbone)
            elif weights == "imagenet":
                self._load_imagenet(backbone)
            elif weights != "none":
                path = Path(weights).expanduser()
                weights_mod.load_into(backbone.layout(), weights_mod.read_state(
                    path, "task.weights names this file"), path, getattr(backbone, "dropped", ""))
            self._set_backbone(backbone)
        if self.frozen and self.features is None:
            yield from self._features()

    def _set_backbone(self, backbone: nn.Module) -> None:
        backbone.to(self.device).eval()
        for p in backbone.parameters():
            p.requires_grad_(not self.frozen)
        self.backbone = backbone
        self.weights_digest = weights_mod.state_digest(backbone.layout().state_dict())

    def _load_imagenet(self, backbone: nn.Module) -> None:
        model = self.cfg.task.model
        path, url = weights_mod.imagenet_file(model)
        if not path.is_file() and self.cfg.data.download:
            path = weights_mod.fetch_imagenet(model)
        hint = (f"looked for in {path.parent} ($TORCH_HOME/hub/checkpoints); fetch it once with --download "
                f"(needs a network) or copy {path.name} there from {url}")
        weights_mod.load_into(backbone.layout(), weights_mod.read_state(path, hint), path, backbone.dropped)

    def backbone_state(self) -> dict[str, torch.Tensor] | None:
        """The backbone's weights in its own layout (torchvision's keys, or SmallCNN's for cnn)."""
        return None if self.backbone is None else {k: v.detach().cpu().clone()
                                                   for k, v in self.backbone.layout().state_dict().items()}

    def use_backbone_state(self, state: dict[str, torch.Tensor]) -> None:
        """Take backbone weights from a checkpoint or a bench's seed task, in place of `prepare`'s."""
        backbone = self.new_backbone()
        weights_mod.load_into(backbone.layout(), state, "checkpoint", getattr(backbone, "dropped", ""))
        self._set_backbone(backbone)

    # --- the encoder trained on the pool --------------------------------------------

    def encoder_key(self) -> str:
        from alss_tui import config as config_mod

        tree = config_mod.to_dict(self.cfg)
        task = {k: tree["task"][k] for k in ("model", "width", "input_size")}
        return digest({"data": tree["data"], "encoder": tree["encoder"], "task": task, "seed": self.cfg.seed,
                       "device": self.cfg.device}, 20)

    def _encoder_path(self) -> Path | None:
        return None if self.cache_root is None else self.cache_root / "encoders" / f"encoder-{self.encoder_key()}.pt"

    def _pool_encoder(self, backbone: nn.Module) -> Iterator[Event]:
        from alss_tui.core.contrastive import encoder_steps, train_encoder
        from alss_tui.core.training import derive_seed

        path = self._encoder_path()
        if path is not None and path.is_file():
            try:
                saved = torch.load(path, map_location="cpu", weights_only=True)
                weights_mod.load_into(backbone.layout(), saved["state"], path, getattr(backbone, "dropped", ""))
                self.encoder_seconds = float(saved.get("seconds", 0.0))
                return
            except (DataError, KeyError, TypeError, RuntimeError):
                pass  # a cache entry that does not fit is rebuilt below
        images = PoolImages(self.dataset.pool_images, self.dataset.pixel_scale)
        yield PhaseStarted("encoder", 0, encoder_steps(self.cfg.encoder, len(images)))
        start = time.perf_counter()
        backbone.to(self.device)
        losses = []
        for event in train_encoder(backbone, images, self.cfg.encoder, derive_seed(self.cfg.seed, "encoder"),
                                   self.device):
            if isinstance(event, EpochEnded):
                losses.append(event.losses["loss"])
            yield event
        self.encoder_seconds = time.perf_counter() - start
        if path is not None:
            buf = io.BytesIO()
            torch.save({"state": {k: v.cpu() for k, v in backbone.layout().state_dict().items()},
                        "seconds": self.encoder_seconds, "losses": losses}, buf)
            _atomic_write(path, buf.getvalue())

    # --- features of a frozen backbone ------------------------------------------------

    def _splits(self) -> dict[str, PoolImages]:
        ds = self.dataset
        out = {"pool": PoolImages(ds.pool_images, ds.pixel_scale)}
        if len(ds.test):
            out["test"] = PoolImages(ds.test.images, ds.pixel_scale)
        if ds.validation is not None and len(ds.validation):
            out["validation"] = PoolImages(ds.validation.images, ds.pixel_scale)
        return out

    def feature_key(self) -> str | None:
        """None for a pool built in memory: its features are not cached either."""
        if self.dataset.pool_key is None:
            return None
        d, t = self.cfg.data, self.cfg.task
        return digest({"pool": self.dataset.pool_key, "validation_size": d.validation_size,
                       "imbalance": d.imbalance, "pool_limit": d.pool_limit, "model": t.model,
                       "input_size": t.input_size, "weights": self.weights_digest}, 24)

    def _features(self) -> Iterator[Event]:
        from alss_tui.data.feature_cache import FeatureCache

        splits = self._splits()
        key = self.feature_key()
        cache = FeatureCache(self.cache_root / "features") if key is not None and self.cache_root else None
        cached = cache.open(key) if cache is not None else None
        if cached is not None and all(s in cached and len(cached[s]) == len(splits[s]) for s in splits):
            self.features = {s: FeatureImages(cached[s]) for s in splits}
            return
        total = sum(len(x) for x in splits.values())
        yield PhaseStarted("features", 0, total)
        start = time.perf_counter()
        dim = self.backbone.out_dim
        writer = cache.writer(key, {s: len(x) for s, x in splits.items()}, dim) if cache is not None else None
        arrays = writer.arrays if writer is not None else {s: np.empty((len(x), dim), np.float32)
                                                           for s, x in splits.items()}
        throttle = ProgressThrottle("features", 0, total)
        done = 0
        try:
            with torch.no_grad():
                for name, images in splits.items():
                    out, row = arrays[name], 0
                    for x in images.inference_batches():
                        f = self.backbone(x.to(self.device)).float().cpu().numpy()
                        out[row:row + len(f)] = f
                        row += len(f)
                        done += len(f)
                        if (p := throttle(done)) is not None:
                            yield p
        except BaseException:
            if writer is not None:
                writer.discard()
            raise
        self.feature_seconds = time.perf_counter() - start
        if writer is not None:
            arrays = writer.publish({"model": self.cfg.task.model, "weights": self.weights_digest,
                                     "seconds": self.feature_seconds})
        self.features = {s: FeatureImages(arrays[s]) for s in splits}

    def feature_statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and standard deviation of the pool's features, per dimension (computed once)."""
        if self._statistics is None:
            pool = self.features["pool"]
            total, total_sq, n = None, None, 0
            for f in pool.iter_batches(8192):
                f = f.double()
                total = f.sum(0) if total is None else total + f.sum(0)
                total_sq = (f * f).sum(0) if total_sq is None else total_sq + (f * f).sum(0)
                n += len(f)
            mean = total / n
            std = (total_sq / n - mean * mean).clamp_min(0).sqrt()
            self._statistics = (mean.float().to(self.device), std.float().to(self.device))
        return self._statistics



def _atomic_write(path: Path, blob: bytes) -> None:
    from alss_tui.durable import fsync_path

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)

