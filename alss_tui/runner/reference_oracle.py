"""Labelling functions for synthetic (SI) images, backed by a reference classifier.

SI proposes decoded images that no person has seen, so a benchmark needs an
oracle for them. These functions stand in for the person: a task CNN trained
on the *whole* labelled training pool (far more labels than any strategy gets),
cached under $ALSS_HOME/cache. Its test accuracy is stored beside it and
printed by `reference_accuracy`; a benchmark that uses it must say so.

    --set oracle.kind=function --set oracle.function=alss_tui.runner.reference_oracle:digits
    --set oracle.function=alss_tui.runner.reference_oracle:mnist     # reads $ALSS_MNIST_ROOT
    --set oracle.function=alss_tui.runner.reference_oracle:cifar10   # reads $ALSS_CIFAR10_ROOT
"""

from __future__ import annotations

import json
import os

import numpy as np

from alss_tui.config import DataConfig, TaskConfig
from alss_tui.config.toml_io import ADDED_LATER
from alss_tui.errors import ConfigError

# Wider and longer than a strategy's recipe: the stand-in oracle should be near the data's ceiling.
REFERENCE_RECIPE = TaskConfig(width=32, steps=3000, batch_size=128, lr=2e-3, weight_decay=5e-4,
                              lr_schedule="cosine", epochs=0,  # a fixed 3,000 steps
                              class_balance=0.0, restart_each_round=True)  # whatever a run's recipe defaults to
# Recipe fields added after references were cached, at the value those were trained
# with: left out of the cache key (which also seeds the training), so they stay valid.
# evaluate_on was in the key before the config's ADDED_LATER list began, so it stays in.
_ADDED_AFTER_REFERENCES = {"class_balance": 0.0,
                           **{dotted.split(".")[1]: earlier for dotted, earlier in ADDED_LATER.items()
                              if dotted.startswith("task.") and dotted != "task.evaluate_on"}}
ROOT_VARIABLES = {"mnist": "ALSS_MNIST_ROOT", "cifar10": "ALSS_CIFAR10_ROOT"}
_loaded: dict[str, object] = {}


def reference_key(data: DataConfig, recipe: TaskConfig = REFERENCE_RECIPE) -> str:
    """The cache key of a reference model, which also seeds its training."""
    from alss_tui.config import to_dict, RunConfig
    from alss_tui.digest import digest

    fields = {k: v for k, v in vars(recipe).items() if _ADDED_AFTER_REFERENCES.get(k, object()) != v}
    return digest({"data": to_dict(RunConfig(data=data))["data"], "recipe": fields}, 20)


def _reference(data: DataConfig, recipe: TaskConfig = REFERENCE_RECIPE):
    """(model, test accuracy) for this dataset, trained once and cached."""
    import torch

    from alss_tui.core import training
    from alss_tui.core.pool_images import PoolImages
    from alss_tui.data.loaders import load_dataset
    from alss_tui.models.classifier import SmallCNN
    from alss_tui.store.home import pool_cache_dir, resolve_home

    key = reference_key(data, recipe)
    if key in _loaded:
        return _loaded[key]
    ds = load_dataset(data, pool_cache_dir(resolve_home()))
    model = SmallCNN(ds.shape, len(ds.classes), recipe.width)
    path = resolve_home() / "cache" / f"reference-{key}.pt"
    meta = path.with_suffix(".json")
    if path.is_file() and meta.is_file():
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        accuracy = json.loads(meta.read_text())["test_accuracy"]
    else:
        torch.manual_seed(training.derive_seed("reference", key))
        # Streamed from the stored bytes: the whole pool is the training set, never a float copy of it.
        x, y = PoolImages(ds.pool_images, ds.pixel_scale), torch.from_numpy(ds.pool_truth)
        for _ in training.train_classifier(model, x, y, recipe, training.derive_seed("reference-train", key),
                                           torch.device("cpu"), 0):
            pass
        logits = training.predict_logits(model, PoolImages(ds.test.images, ds.pixel_scale), torch.device("cpu"))
        accuracy = training.score(logits, torch.from_numpy(ds.test.labels), len(ds.classes))[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), path)
        meta.write_text(json.dumps({"test_accuracy": accuracy, "train_images": len(x), "recipe": vars(recipe)}))
    model.eval()
    _loaded[key] = (model, accuracy)
    return model, accuracy


def _label(data: DataConfig, images: np.ndarray, recipe: TaskConfig = REFERENCE_RECIPE) -> list[int]:
    import torch

    from alss_tui.core import training

    model, _ = _reference(data, recipe)
    logits = training.predict_logits(model, torch.from_numpy(np.asarray(images, np.float32)), torch.device("cpu"))
    return [int(c) for c in logits.argmax(1)]


def _data_config(dataset: str) -> DataConfig:
    if dataset == "digits":
        return DataConfig(dataset="digits")
    variable = ROOT_VARIABLES[dataset]
    root = os.environ.get(variable, "")
    if not root:
        raise ConfigError(f"oracle.function: the {dataset} reference labeller needs ${variable} "
                          f"(the {dataset} folder)")
    return DataConfig(dataset=dataset, data_root=root)


def digits(images: np.ndarray) -> list[int]:
    """Label 8x8 digit images with a CNN trained on the whole digits pool."""
    return _label(_data_config("digits"), images)


def mnist(images: np.ndarray) -> list[int]:
    """Label 28x28 MNIST-like images with a CNN trained on all 60,000 MNIST training images."""
    return _label(_data_config("mnist"), images)


def cifar10(images: np.ndarray) -> list[int]:
    """Label 32x32 colour images with a CNN trained on every labelled CIFAR-10 training image found."""
    return _label(_data_config("cifar10"), images)


def reference_accuracy(dataset: str) -> float:
    """Test accuracy of the reference labeller for `digits`, `mnist` or `cifar10`."""
    return float(_reference(_data_config(dataset))[1])
