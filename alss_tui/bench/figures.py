"""The figures of one accuracy-vs-labels curve: labels to reach a target, area under it, its largest fall."""

from __future__ import annotations

import math

import numpy as np


def labels_to_reach(labelled: list[int], accuracy: list[float], target: float) -> int | None:
    for n, acc in zip(labelled, accuracy):
        if acc >= target:
            return n
    return None


def normalised_auc(labelled: list[int], accuracy: list[float]) -> float:
    """Trapezoid area under accuracy vs labels, divided by the label range (a mean accuracy)."""
    if len(labelled) < 2:
        return float(accuracy[0]) if accuracy else math.nan
    x, y = np.asarray(labelled, float), np.asarray(accuracy, float)
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2) / (x[-1] - x[0]))


def largest_drop(accuracy: list[float]) -> float:
    """The biggest fall in accuracy from one round to the next (0 if it never falls).

    Labels only ever get added, so a fall is training noise: the figure a recipe
    that converges keeps well under a point.
    """
    return float(max([0.0] + [a - b for a, b in zip(accuracy, accuracy[1:])]))
