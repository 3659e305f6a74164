"""The human oracle's pieces that need no runner: suggestions from a labelling function."""

from types import SimpleNamespace

import numpy as np

from alss_tui.config import OracleConfig, RunConfig
from alss_tui.core.events import Candidate
from alss_tui.core.strategies.base import Selection
from alss_tui.runner.human import HumanOracle
from alss_tui.runner.loop import _write_review
from alss_tui.runner.oracle import make_oracle
from alss_tui.store.review import load_review
from alss_tui.store.run_folder import RunFolder


def test_a_labelling_function_beside_a_person_suggests_labels_for_synthetic_images(tmp_path, monkeypatch):
    classes = tuple("0123456789")
    folder = RunFolder.create(tmp_path / "runs", RunConfig())
    oracle = make_oracle(OracleConfig(kind="human", function="review_helpers:brightness_class"), None, classes,
                         folder)
    assert isinstance(oracle, HumanOracle)
    candidates = [Candidate(item=-1, kind="synthetic", prediction=2), Candidate(item=-2, kind="synthetic"),
                  Candidate(item=5, prediction=3)]
    synthetic = {-1: np.full((1, 8, 8), 0.75, np.float32), -2: np.zeros((1, 8, 8), np.float32)}
    assert oracle.suggest(candidates, synthetic) == {-1: 7, -2: None}

    engine = SimpleNamespace(dataset=SimpleNamespace(classes=classes, pool_paths=None), cfg=RunConfig())
    monkeypatch.setattr("alss_tui.runner.loop.review_material",
                        lambda engine, sel: {"items": np.array([c.item for c in sel.candidates]),
                                             "images": np.zeros((3, 1, 8, 8), np.uint8)})
    _write_review(engine, folder, 2, Selection(candidates, synthetic=synthetic), oracle)
    review = load_review(folder, 2)
    assert review.candidates[0]["suggestion"] == 7
    assert [review.suggestion(k) for k in range(3)] == [7, None, 3]  # the function first, else the model


def test_without_a_function_a_person_gets_only_the_models_predictions(tmp_path):
    folder = RunFolder.create(tmp_path / "runs", RunConfig())
    oracle = make_oracle(OracleConfig(kind="human"), None, ("a", "b"), folder)
    assert oracle.suggest([Candidate(item=-1, kind="synthetic")], {-1: np.ones((1, 4, 4))}) == {}
