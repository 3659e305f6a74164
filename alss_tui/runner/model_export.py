"""The trained model out of the run folder: a file plain torch loads, its description, its
predictions for every pool item, and the labelled images as class folders.

TorchScript, not ONNX: `torch.jit.trace` needs nothing beyond torch, while ONNX export needs
the onnx package (and onnxscript), which is not a dependency here. The traced module holds
the whole input path the run used: uint8 pixels in, / 255, the backbone's own resize and
normalisation, the head, softmax out. So `torch.jit.load("model.pt")(x)` with x a uint8
(N, C, H, W) tensor of images read as model.json says gives the run's probabilities.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import warnings
from collections.abc import Generator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from alss_tui.runner.trained_model import FILE_SCALE, TrainedModel
from alss_tui.store.export_files import StagedExport

MODEL_FILE, MODEL_JSON, PREDICTIONS = "model.pt", "model.json", "predictions.csv"
LAYOUTS = ("files", "imagefolder")


class Exported(nn.Module):
    """The pixel model with its input handling, as traced: uint8 (N, C, H, W) -> probabilities."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x.to(torch.float32) / FILE_SCALE), dim=1)


def traced(trained: TrainedModel) -> torch.jit.ScriptModule:
    c, h, w = trained.shape
    example = torch.zeros((2, c, h, w), dtype=torch.uint8)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes about shape-dependent Python branches
        return torch.jit.trace(Exported(trained.pixel_model()).eval(), example, check_trace=False)


def describe(trained: TrainedModel) -> dict:
    """model.json: what the file expects and returns, and where it came from."""
    cfg, engine = trained.engine.cfg, trained.engine
    c, h, w = trained.shape
    folder_pool = cfg.data.dataset == "folder"
    backbone = engine.representation.backbone
    normalise = {"inside_model": True}
    if backbone is not None and hasattr(backbone, "mean"):
        normalise.update(mean=[float(v) for v in backbone.mean.flatten()], std=[float(v) for v in backbone.std.flatten()],
                         resized_to=getattr(backbone, "input_size", 0) or h)
    history = [r for r in engine.history if r.get("round") == trained.round]
    accuracy = history[-1].get("accuracy") if history else None
    return {
        "format": 1,
        "file": MODEL_FILE,
        "framework": f"torchscript (torch {torch.__version__.split('+')[0]})",
        "load": f"torch.jit.load('{MODEL_FILE}')",
        "run_id": trained.folder.run_id,
        "round": trained.round,
        "labelled": engine.labelled_count,
        "accuracy": accuracy if accuracy is not None and accuracy == accuracy else None,
        "accuracy_split": engine.cfg.task.evaluate_on if accuracy is not None and accuracy == accuracy else None,
        "model": {"backbone": cfg.task.model, "weights": cfg.task.weights, "train": cfg.task.train,
                  "head": cfg.task.head},
        "classes": list(trained.classes),
        "input": {
            "dtype": "uint8", "layout": "NCHW", "channels": c, "height": h, "width": w,
            "channel_order": "L" if c == 1 else "RGB", "value_range": [0, 255], "pixel_scale": FILE_SCALE,
            "resize": (f"shorter side to {h} px (bilinear), then the centred {h} x {w} square"
                       if folder_pool else f"images as the dataset stores them, {h} x {w}; other sizes: shorter "
                                           f"side to {h} px (bilinear), centre crop"),
        },
        "normalisation": normalise,
        "output": "probabilities (N, classes), softmax, in the order of `classes`",
    }


def _row_label(labels: np.ndarray, rejected: np.ndarray, i: int, classes) -> tuple[str, str]:
    if labels[i] >= 0:
        return "yes", classes[labels[i]]
    return ("no", "rejected") if rejected[i] else ("no", "")


def write_predictions(trained: TrainedModel, staged: StagedExport) -> Generator[tuple[int, int], None, np.ndarray]:
    """predictions.csv: every pool item, its path (folder pools), predicted class, probability,
    margin to the runner-up, and whether (and how) it was labelled. Returns the probabilities."""
    probs = yield from trained.pool_probabilities()
    engine, classes = trained.engine, trained.classes
    paths = engine.dataset.pool_paths
    fh, _ = staged.open_text(PREDICTIONS)
    w = csv.writer(fh)
    header = ["pool_index", "predicted", "probability", "margin", "labelled", "label"]
    if paths is not None:
        header.insert(1, "path")
    w.writerow(header)
    top2 = np.sort(probs, axis=1)[:, -2:] if probs.shape[1] > 1 else np.concatenate([np.zeros_like(probs), probs], 1)
    predicted = probs.argmax(1)
    labels, rejected = engine.pool.labels, engine.pool.rejected
    for i in range(len(probs)):
        labelled, given = _row_label(labels, rejected, i, classes)
        row = [i, classes[predicted[i]], f"{top2[i, 1]:.6f}", f"{top2[i, 1] - top2[i, 0]:.6f}", labelled, given]
        if paths is not None:
            row.insert(1, os.path.abspath(paths[i]))
        w.writerow(row)
    staged.close(fh)
    return probs


def safe_name(name: str) -> str:
    """A class name as a folder name: no separators, no dots-only names."""
    cleaned = re.sub(r"[\\/\x00]", "_", name).strip()
    return cleaned if cleaned.strip(".") else f"class_{cleaned or 'unnamed'}"


def write_imagefolder(trained: TrainedModel, staged: StagedExport) -> int:
    """The labelled pool items as DIR/<class>/<file>: the original files linked (or copied) for a
    folder pool, PNGs of the pool's pixels for the others. Returns how many."""
    from PIL import Image

    engine, classes = trained.engine, trained.classes
    paths = engine.dataset.pool_paths
    labels = engine.pool.labels
    taken: set[str] = set()
    count = 0
    for i in np.flatnonzero(labels >= 0):
        folder = safe_name(classes[labels[i]])
        if paths is not None:
            source = Path(paths[i])
            name = source.name
            if f"{folder}/{name}" in taken:  # two files of one name in different sub-folders
                name = f"{source.stem}-{i}{source.suffix}"
            staged.link_or_copy(source, f"{folder}/{name}")
        else:
            name = f"{i}.png"
            pixels = engine.dataset.pool_images[i]
            scaled = np.clip(np.rint(pixels.astype(np.float32) * (FILE_SCALE / engine.dataset.pixel_scale)), 0, 255)
            image = Image.fromarray(scaled.astype(np.uint8)[0] if pixels.shape[0] == 1
                                    else scaled.astype(np.uint8).transpose(1, 2, 0))
            buf = io.BytesIO()
            image.save(buf, format="PNG")
            staged.write_bytes(f"{folder}/{name}", buf.getvalue())
        taken.add(f"{folder}/{name}")
        count += 1
    return count


def export_model(trained: TrainedModel, staged: StagedExport, layout: str = "files"
                 ) -> Generator[tuple[int, int], None, None]:
    """Stage model.pt, model.json, predictions.csv (and with layout imagefolder the class folders);
    yields (done, total) while the pool is predicted."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.export is for deployment graphs; jit loads anywhere
        torch.jit.save(traced(trained), buf)
    staged.write_bytes(MODEL_FILE, buf.getvalue())
    staged.write_text(MODEL_JSON, json.dumps(describe(trained), indent=1) + "\n")
    yield from write_predictions(trained, staged)
    if layout == "imagefolder":
        write_imagefolder(trained, staged)
