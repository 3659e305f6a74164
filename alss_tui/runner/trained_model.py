"""A run's trained task model outside its loop: what `export` writes out and `predict` applies.

The model is the one in the run's newest checkpoint, rebuilt by the engine on the run's own
pool (opened as `pool.json` recorded it, so its shape, channels and classes are the run's).
Image files are read as that pool was read (`data.decode.decode_image`: short side resized,
centre crop, the pool's channels) and given to the task model on pixels, float = uint8 / 255.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from alss_tui.core.engine import Engine
from alss_tui.core.pool_images import PoolImages
from alss_tui.errors import StoreError
from alss_tui.store.run_folder import RunFolder

FILE_SCALE = 255.0  # a decoded 8-bit image file


@dataclass
class TrainedModel:
    folder: RunFolder
    engine: Engine
    round: int  # the last round whose training the model holds

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.engine.dataset.classes)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.engine.dataset.shape

    def pixel_model(self) -> nn.Module:
        """The task model on pixels (a frozen backbone followed by its head), on the CPU, in eval mode."""
        return self.engine.pixel_model().cpu().eval()

    def pool_probabilities(self) -> Generator[tuple[int, int], None, np.ndarray]:
        """Class probabilities of every pool item, in pool order; yields (done, total) as it goes.

        With a frozen backbone the head reads the cached features, as the run did."""
        engine = self.engine
        if engine.representation.frozen:
            for _ in engine.prepare_representation():  # reopens the feature cache (or computes it)
                pass
        model, inputs = engine.model, engine.inputs
        return (yield from _probabilities(model, inputs, engine.device))

    def file_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """Probabilities for decoded files: uint8 (N, C, H, W), 0-255."""
        images = PoolImages(pixels, FILE_SCALE)
        gen = _probabilities(self.engine.pixel_model(), images, self.engine.device)
        while True:
            try:
                next(gen)
            except StopIteration as done:
                return done.value


def _probabilities(model: nn.Module, images, device) -> Generator[tuple[int, int], None, np.ndarray]:
    model.eval()
    out, done, total = [], 0, len(images)
    with torch.no_grad():
        for x in images.inference_batches():
            out.append(torch.softmax(model(x.to(device)), dim=1).cpu().numpy())
            done += len(x)
            yield done, total
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def open_trained(folder: RunFolder, home: Path, on_decode: Callable[[int, int], None] | None = None) -> TrainedModel:
    """The model of the run's newest checkpoint; one line when the run has not trained one yet."""
    from alss_tui.data.loaders import open_pool
    from alss_tui.runner.pool_open import drive, recorded_pool_key
    from alss_tui.store.home import cache_root, pool_cache_dir

    path = folder.latest_checkpoint()
    state = folder.load_checkpoint(path) if path is not None else None
    if state is None or state.get("model") is None:
        raise StoreError(f"run {folder.run_id} has no trained model yet: it has not finished a round")
    cfg = folder.load_config()
    dataset = drive(open_pool(cfg.data, pool_cache_dir(home), pool_key=recorded_pool_key(folder)), on_decode)
    engine = Engine(cfg, dataset, cache_root(home))
    try:
        engine.load_state_dict(state)
    except (KeyError, ValueError, RuntimeError) as exc:
        raise StoreError(f"{path}: does not fit this run ({exc})") from None
    return TrainedModel(folder, engine, int(state["round"]))


def read_files(paths: Sequence[str], side: int, channels: int) -> tuple[list[str], np.ndarray, list[tuple[str, str]]]:
    """Decode image files as the run's pool was decoded.

    Returns the paths that read, their pixels (uint8 (N, C, side, side)) and (path, why) for the rest."""
    from alss_tui.data.decode import decode_image

    ok, rows, bad = [], [], []
    for path in paths:
        try:
            rows.append(decode_image(path, side, channels))
            ok.append(path)
        except Exception as exc:  # Pillow raises many kinds: any of them is "unreadable", one line
            first = str(exc).splitlines()[0] if str(exc) else "unreadable"
            bad.append((path, f"{exc.__class__.__name__}: {first}"))
    pixels = np.stack(rows) if rows else np.zeros((0, channels, side, side), np.uint8)
    return ok, pixels, bad
