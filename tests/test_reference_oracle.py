"""The stand-in oracle for SI: a reference CNN trained on the whole pool, cached."""

from __future__ import annotations

import numpy as np

from alss_tui.config import DataConfig, TaskConfig
from alss_tui.data.loaders import load_dataset
from alss_tui.data.pool import to_float
from alss_tui.runner import reference_oracle

SMALL = TaskConfig(width=8, steps=150, batch_size=64, epochs=0)


def test_reference_labeller_trains_once_caches_and_labels_like_its_accuracy(home):
    data = DataConfig(dataset="digits")
    _, accuracy = reference_oracle._reference(data, SMALL)
    assert accuracy > 0.85
    assert len(list((home / "cache").glob("reference-*.pt"))) == 1
    reference_oracle._loaded.clear()  # a new process: loads from the cache, same model
    _, again = reference_oracle._reference(data, SMALL)
    assert again == accuracy
    ds = load_dataset(data)
    test = ds.test
    # A labelling function gets float images (what SI decodes), so the stored bytes are converted.
    labels = np.array(reference_oracle._label(data, to_float(test.images, ds.pixel_scale), SMALL))
    assert abs(np.mean(labels == test.labels) - accuracy) < 1e-6


def test_the_reference_key_does_not_move_with_a_run_s_recipe_defaults():
    # The key also seeds the reference's training: a moved key is another oracle, and SI
    # figures recorded with the old one no longer reproduce. This is the MNIST reference's
    # key as it was before warm start and class_balance came into the run recipe.
    assert reference_oracle.reference_key(DataConfig(dataset="mnist", data_root="x")) == "73ff00aef4c02f2def94"
    leaning = TaskConfig(**{**vars(reference_oracle.REFERENCE_RECIPE), "class_balance": 0.5})
    assert reference_oracle.reference_key(DataConfig(dataset="mnist", data_root="x"), leaning) != "73ff00aef4c02f2def94"
