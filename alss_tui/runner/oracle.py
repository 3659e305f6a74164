"""Who answers "what class is this?": ground truth, a CSV file, or a labelling function.

An oracle returns {item: class index, or None to reject} for the proposed candidates.
"""

from __future__ import annotations

import csv
import importlib
from pathlib import Path
from typing import Protocol

import numpy as np

from alss_tui.config import OracleConfig
from alss_tui.core.events import Candidate
from alss_tui.errors import ConfigError, LabelError


class Oracle(Protocol):
    name: str

    def label(self, round: int, candidates: list[Candidate], synthetic: dict[int, np.ndarray]) -> dict[int, int | None]: ...


class SimulatedOracle:
    """Answers with the pool's hidden ground truth (benchmarks, the default demo).

    With `flip` > 0 it gets a fixed share of pool items wrong (the same items, the same wrong
    class, in every run of that seed): a labeller who errs, for measuring the suspects queue.
    With `review` it also takes a second look at the suspect labels each round, with the truth.
    """

    name = "simulated"

    def __init__(self, truth: np.ndarray | None, flip: float = 0.0, seed: int = 0, review: bool = False,
                 n_classes: int = 0):
        if truth is None:
            raise ConfigError("oracle.kind: 'simulated' needs a dataset with known labels")
        self.true_labels = np.asarray(truth)
        classes = n_classes or (int(self.true_labels.max()) + 1 if len(self.true_labels) else 1)
        self.truth = wrong_answers(self.true_labels, flip, seed, classes) if flip > 0 else self.true_labels
        self.reviews = review

    def review(self, items: list[int]) -> dict[int, int]:
        """A second look at labelled items: the truth for each."""
        return {int(i): int(self.true_labels[i]) for i in items} if self.reviews else {}

    def label(self, round, candidates, synthetic):
        out: dict[int, int | None] = {}
        for c in candidates:
            if c.kind == "synthetic":
                raise LabelError("a simulated oracle cannot label synthetic images; "
                                 "set oracle.kind = 'function' with oracle.function")
            out[c.item] = int(self.truth[c.item])
        return out


class FunctionOracle(SimulatedOracle):
    """Synthetic images go to `module:function(images) -> labels`; pool images to the truth."""

    name = "function"

    def __init__(self, truth: np.ndarray | None, spec: str):
        super().__init__(truth)
        self.spec = spec
        self.fn = load_function(spec)

    def label(self, round, candidates, synthetic):
        real = [c for c in candidates if c.kind != "synthetic"]
        out = super().label(round, real, synthetic)
        fake = [c for c in candidates if c.kind == "synthetic"]
        if fake:
            images = np.stack([synthetic[c.item] for c in fake])
            answers = list(self.fn(images))
            if len(answers) != len(fake):
                raise LabelError(f"{self.spec} returned {len(answers)} labels for {len(fake)} images")
            for c, y in zip(fake, answers):
                out[c.item] = None if y is None else int(y)
        return out


def wrong_answers(truth: np.ndarray, flip: float, seed: int, n_classes: int) -> np.ndarray:
    """The truth with a seeded share `flip` of items answered as another class (fixed per item)."""
    rng = np.random.default_rng([seed, 0x5EED, 25])
    flipped = rng.random(len(truth)) < flip
    k = max(2, n_classes)
    shift = rng.integers(1, k, len(truth))
    out = truth.copy()
    out[flipped] = (truth[flipped] + shift[flipped]) % k
    return out


def load_function(spec: str):
    module_name, _, attr = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"oracle.function: cannot load {spec!r} ({exc})") from None
    if not callable(fn):
        raise ConfigError(f"oracle.function: {spec!r} is not callable")
    return fn


class FileOracle:
    """Labels from a CSV with columns `index,label` (label = class index or class name)."""

    name = "file"

    def __init__(self, path: str, classes: tuple[str, ...]):
        self.path = Path(path).expanduser()
        self.labels = read_label_csv(self.path, classes)

    def label(self, round, candidates, synthetic):
        missing = [c.item for c in candidates if c.item not in self.labels]
        if missing:
            raise LabelError(f"{self.path}: no label for pool index {missing[0]} "
                             f"({len(missing)} of round {round}'s {len(candidates)} missing)")
        return {c.item: self.labels[c.item] for c in candidates}


def read_label_csv(path: Path, classes: tuple[str, ...]) -> dict[int, int | None]:
    """`index,label` rows; an empty label or `reject` rejects the item."""
    by_name = {name: i for i, name in enumerate(classes)}
    out: dict[int, int | None] = {}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise LabelError(f"{path}: no such label file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    for n, row in enumerate(rows, start=1):
        if not row or (n == 1 and row[0].strip().lower() in ("index", "item")):
            continue
        if len(row) < 2:
            raise LabelError(f"{path}:{n}: expected index,label")
        try:
            item = int(row[0])
        except ValueError:
            raise LabelError(f"{path}:{n}: index {row[0]!r} is not a whole number") from None
        raw = row[1].strip()
        if raw == "" or raw.lower() == "reject":
            out[item] = None
        elif raw in by_name:
            out[item] = by_name[raw]
        elif raw.isdigit() and int(raw) < len(classes):
            out[item] = int(raw)
        else:
            raise LabelError(f"{path}:{n}: unknown class {raw!r} (classes: {', '.join(classes)})")
    return out


def make_oracle(cfg: OracleConfig, truth: np.ndarray | None, classes: tuple[str, ...], folder=None,
                seed: int = 0) -> Oracle:
    """The oracle the config asks for; `folder` (the run folder) is where a person's labels arrive."""
    if cfg.kind == "simulated":
        return SimulatedOracle(truth, cfg.flip, seed, cfg.review_suspects, len(classes))
    if cfg.kind == "function":
        return FunctionOracle(truth, cfg.function)
    if cfg.kind == "file":
        return FileOracle(cfg.path, classes)
    if cfg.kind == "human" and folder is not None:
        from alss_tui.runner.human import HumanOracle

        return HumanOracle(folder, function=load_function(cfg.function) if cfg.function else None)
    raise ConfigError(f"oracle.kind: {cfg.kind!r} is not available in this runner")
