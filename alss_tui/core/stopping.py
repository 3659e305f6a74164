"""When to stop labelling: how much the model still changes its mind, with no labelled test split.

Stabilising predictions (Bloodgood and Vijay-Shanker, 2009; small-text's KappaAverage):
each round the task model predicts a fixed, seeded sample of the pool (the stop set), and
Cohen's kappa between this round's and the previous round's predictions measures their
agreement beyond chance. When the mean kappa of the last `window` rounds reaches the
threshold, more labels hardly change the model: the run may stop.

Pure numpy; the engine hands in the predictions. The state (the stop set, the last
predictions, every kappa) goes into the checkpoint, so a resumed run measures what an
uninterrupted one does.
"""

from __future__ import annotations

import numpy as np


def cohen_kappa(a: np.ndarray, b: np.ndarray, n_classes: int) -> float:
    """Agreement of two labellings of the same items beyond what their class frequencies give by chance."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if len(a) == 0:
        return float("nan")
    observed = float(np.mean(a == b))
    pa = np.bincount(a, minlength=n_classes) / len(a)
    pb = np.bincount(b, minlength=n_classes) / len(b)
    chance = float(np.dot(pa, pb))
    if chance >= 1.0:  # both predict one class everywhere: they agree completely or not at all
        return 1.0 if observed == 1.0 else 0.0
    return (observed - chance) / (1.0 - chance)


class StopSignal:
    """The stop set, the previous round's predictions on it, and the kappa of each round."""

    def __init__(self, pool_size: int, sample: int, seed: int):
        rng = np.random.default_rng(seed)
        size = min(pool_size, sample)
        self.items = np.sort(rng.choice(pool_size, size=size, replace=False)).astype(np.int64)
        self.previous: np.ndarray | None = None
        self.kappas: dict[int, float] = {}  # round -> kappa against the round before

    def observe(self, round: int, predictions: np.ndarray, n_classes: int) -> float | None:
        """This round's predictions on the stop set; returns kappa against the last round's (None at first)."""
        predictions = np.asarray(predictions, dtype=np.int64)
        kappa = None if self.previous is None else cohen_kappa(self.previous, predictions, n_classes)
        self.previous = predictions
        if kappa is not None:
            self.kappas[round] = kappa
        return kappa

    def mean(self, window: int) -> float | None:
        """Mean kappa of the last `window` measured rounds; None until there are that many."""
        recent = [self.kappas[r] for r in sorted(self.kappas)[-window:]]
        return float(np.mean(recent)) if len(recent) >= window else None

    def stable(self, window: int, threshold: float) -> bool:
        mean = self.mean(window)
        return mean is not None and mean >= threshold

    def state_dict(self) -> dict:
        return {"items": self.items.tolist(), "kappas": {int(r): float(k) for r, k in self.kappas.items()},
                "previous": None if self.previous is None else self.previous.tolist()}

    def load_state_dict(self, state: dict | None) -> None:
        """A checkpoint from before the signal existed has none: measuring starts again from it."""
        if not state:
            return
        self.items = np.asarray(state["items"], dtype=np.int64)
        self.kappas = {int(r): float(k) for r, k in state["kappas"].items()}
        self.previous = None if state["previous"] is None else np.asarray(state["previous"], dtype=np.int64)
