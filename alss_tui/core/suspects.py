"""Labels worth a second look: confident learning on out-of-sample probabilities.

Every labelled pool item is scored by a model that did not train on it: the labelled set is
split into `folds`, and a fresh task model trained briefly on the other folds predicts each
fold (with a frozen backbone that is a head on cached features, and costs little). Then, as
cleanlab's confident learning does (Northcutt et al., 2021): the threshold of class j is the
mean probability of j over the items labelled j (its self-confidence); an item is suspect when
another class reaches its own threshold while the given class stays under its threshold, and
the queue is ranked by the margin between the likeliest such class and the given one.

Training draws from generators seeded by (run seed, "suspects", round, fold) inside a forked
torch RNG, so finding suspects changes nothing the run goes on to choose, and a resumed run
finds what an uninterrupted one does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from alss_tui.config import RunConfig
from alss_tui.core import training
from alss_tui.core.events import Event, Progress
from alss_tui.core.pool_images import Images


@dataclass(frozen=True)
class Suspect:
    item: int
    given: int
    suggested: int
    probability: float  # of the suggested class
    given_probability: float

    @property
    def margin(self) -> float:
        return self.probability - self.given_probability


def confident_learning(probs: np.ndarray, given: np.ndarray, threshold: float = 0.0) -> list[tuple[int, int, float, float]]:
    """Rows whose label the probabilities confidently contradict: (row, suggested, p_suggested, p_given),
    largest margin first; only margins of at least `threshold`."""
    n, k = probs.shape
    thresholds = np.full(k, np.inf)
    for j in range(k):
        mine = given == j
        if mine.any():
            thresholds[j] = probs[mine, j].mean()
    rows = []
    for i in range(n):
        y = int(given[i])
        if probs[i, y] >= thresholds[y]:
            continue
        above = probs[i] >= thresholds
        above[y] = False
        if not above.any():
            continue
        j = int(np.argmax(np.where(above, probs[i], -1.0)))
        if probs[i, j] - probs[i, y] >= threshold:
            rows.append((i, j, float(probs[i, j]), float(probs[i, y])))
    rows.sort(key=lambda r: (-(r[2] - r[3]), r[0]))
    return rows


def out_of_sample_probabilities(new_model: Callable[[], nn.Module], inputs: Images, items: np.ndarray,
                                labels: np.ndarray, cfg: RunConfig, round: int, device: torch.device,
                                n_classes: int) -> Iterator[Event | np.ndarray]:
    """k-fold probabilities of `items` (labels `labels`); yields Progress, then the (n, classes) array."""
    s = cfg.suspects
    task = replace(cfg.task, steps=s.steps, epochs=0.0, restart_each_round=True)
    if cfg.task.train == "head":
        task = replace(task, augment_shift=0)
    folds = min(s.folds, len(items))
    order = np.random.default_rng(training.derive_seed(cfg.seed, "suspect-folds", round)).permutation(len(items))
    probs = np.zeros((len(items), n_classes), np.float32)
    with torch.random.fork_rng(devices=[]):
        for fold in range(folds):
            held = order[fold::folds]
            train = np.setdiff1d(np.arange(len(items)), held)
            torch.manual_seed(training.derive_seed(cfg.seed, "suspects-init", round, fold))
            model = new_model()
            x, y = inputs.batch(items[train]), torch.as_tensor(labels[train], dtype=torch.int64)
            for _ in training.train_classifier(model, x, y, task, training.derive_seed(cfg.seed, "suspects", round, fold),
                                               device, round, training.make_task_optimizer(model, task)):
                pass
            probs[held] = torch.softmax(training.predict_logits(model, inputs.batch(items[held]), device), 1).numpy()
            yield Progress("suspects", round, fold + 1, folds)
    yield probs


def find(new_model: Callable[[], nn.Module], inputs: Images, labels: np.ndarray, reviewed: set[int],
         cfg: RunConfig, round: int, device: torch.device, n_classes: int) -> Iterator[Event | list[Suspect]]:
    """Suspects among the labelled pool items (`labels`: -1 where not labelled), none a person
    already looked at; yields Progress, then the list, largest margin first."""
    items = np.flatnonzero(labels >= 0)
    given = labels[items]
    if len(items) < 2 * max(2, cfg.suspects.folds) or len(np.unique(given)) < 2:
        yield []
        return
    probs = None
    for out in out_of_sample_probabilities(new_model, inputs, items, given, cfg, round, device, n_classes):
        if isinstance(out, np.ndarray):
            probs = out
        else:
            yield out
    rows = confident_learning(probs, given, cfg.suspects.threshold)
    yield [Suspect(int(items[i]), int(given[i]), j, p, q) for i, j, p, q in rows if int(items[i]) not in reviewed]
