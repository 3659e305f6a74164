"""Paired differences between strategies over seeds, with a Student-t interval.

A bench gives every strategy of one seed the same initial subset and the same
VAE, so a strategy and the reference differ, seed by seed, only in what they
chose to label. The per-seed differences are what varies; their mean over seeds
gets a 95% Student-t interval (n - 1 degrees of freedom), and a difference is
"separable" when that interval excludes zero, "within noise" when it does not.
With fewer than two paired seeds there is no spread to estimate and no interval.

The t quantile is computed here (no scipy): for integer degrees of freedom the
t distribution function has a closed form in theta = atan(t / sqrt(df)), which
is inverted by bisection.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


def student_t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with integer `df` >= 1 (closed form, exact up to rounding)."""
    if df < 1:
        raise ValueError("degrees of freedom must be >= 1")
    theta = math.atan(abs(t) / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:  # odd: (2/pi) (theta + sin cos (1 + 2/3 cos^2 + 2.4/(3.5) cos^4 + ...))
        term, series = 1.0, 1.0 if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= c2 * (2 * k) / (2 * k + 1)
            series += term
        central = 2 / math.pi * (theta + s * math.cos(theta) * series)
    else:  # even: sin (1 + 1/2 cos^2 + 1.3/(2.4) cos^4 + ...)
        term, series = 1.0, 1.0
        for k in range(1, df // 2):
            term *= c2 * (2 * k - 1) / (2 * k)
            series += term
        central = s * series
    return 0.5 + math.copysign(central / 2, t)


def student_t_quantile(p: float, df: int) -> float:
    """The t with P(T <= t) = p, for 0 < p < 1 and integer `df` >= 1."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be between 0 and 1")
    if p < 0.5:
        return -student_t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while student_t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):  # far past float resolution
        mid = (lo + hi) / 2
        if student_t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    return (lo + hi) / 2


@dataclass(frozen=True)
class Interval:
    """The mean of paired differences and its two-sided Student-t interval.

    With n < 2, low, high and separable are None (no spread to estimate).
    """

    n: int
    mean: float | None
    low: float | None
    high: float | None
    separable: bool | None

    def to_json(self) -> dict:
        return {"n": self.n, "mean": self.mean, "low": self.low, "high": self.high, "separable": self.separable}

    def without_n(self) -> dict:
        """What a bench summary records of its AUC difference (the seed count is beside it)."""
        return {"mean": self.mean, "low": self.low, "high": self.high, "separable": self.separable}


@dataclass(frozen=True)
class PairedPoint:
    """The paired difference in accuracy at one labelled count."""

    labelled: int
    interval: Interval

    def to_json(self) -> dict:
        return {"labelled": self.labelled, **self.interval.to_json()}


@dataclass(frozen=True)
class Paired:
    """A strategy minus the reference, seed by seed: in AUC and at each labelled count both have."""

    against: str
    n_seeds: int
    seeds: tuple[int, ...]
    method: str  # how the interval was made, as the summary says it
    auc: Interval
    by_labelled: tuple[PairedPoint, ...]
    note: str | None = None  # why there is no interval (fewer than two paired seeds)

    def to_json(self) -> dict:
        doc = {"against": self.against, "n_seeds": self.n_seeds, "seeds": list(self.seeds),
               "interval": self.method, "auc": self.auc.without_n(),
               "by_labelled": [p.to_json() for p in self.by_labelled]}
        if self.note is not None:
            doc["note"] = self.note
        return doc

    @classmethod
    def from_json(cls, doc: dict) -> "Paired":
        auc = doc["auc"]
        return cls(doc["against"], doc["n_seeds"], tuple(doc["seeds"]), doc["interval"],
                   Interval(doc["n_seeds"], auc["mean"], auc["low"], auc["high"], auc["separable"]),
                   tuple(PairedPoint(p["labelled"], Interval(p["n"], p["mean"], p["low"], p["high"], p["separable"]))
                         for p in doc["by_labelled"]),
                   doc.get("note"))


def paired_interval(differences: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean of paired differences (None and NaN left out) with its two-sided Student-t interval."""
    d = np.asarray([x for x in differences if x is not None and not math.isnan(x)], float)
    n = len(d)
    if n == 0:
        return Interval(0, None, None, None, None)
    mean = float(d.mean())
    if n < 2:
        return Interval(n, mean, None, None, None)
    half = student_t_quantile(0.5 + confidence / 2, n - 1) * float(d.std(ddof=1)) / math.sqrt(n)
    low, high = mean - half, mean + half
    return Interval(n, mean, low, high, bool(low > 0 or high < 0))


def paired_against(strategies: Mapping, against: str) -> dict[str, Paired | None]:
    """Per strategy of a bench summary ({name: StrategySummary}), its paired differences from `against`.

    Seeds pair by number (the same initial subset and VAE); the reference itself gets None.
    """
    ref = strategies[against]
    theirs = _by_seed(ref)
    out: dict[str, Paired | None] = {}
    for name, s in strategies.items():
        if name == against:
            out[name] = None
            continue
        common = tuple(seed for seed in s.seeds if seed in ref.seeds)
        mine = _by_seed(s)
        auc = paired_interval([mine["auc"][seed] - theirs["auc"][seed] for seed in common])
        by_labelled = []
        for n in sorted(set(mine["curve"]) & set(theirs["curve"])):
            diffs = [mine["curve"][n][seed] - theirs["curve"][n][seed] for seed in common]
            by_labelled.append(PairedPoint(n, paired_interval(diffs)))
        note = None
        if len(common) < 2:
            note = f"{len(common)} paired seed{'s' if len(common) != 1 else ''}: no interval"
        out[name] = Paired(against, len(common), common, f"Student t, {CONFIDENCE:.0%}, over paired seeds",
                           auc, tuple(by_labelled), note)
    return out


def _by_seed(s) -> dict:
    return {"auc": dict(zip(s.seeds, s.auc.per_seed)),
            "curve": {p.labelled: dict(zip(s.seeds, p.per_seed)) for p in s.curve}}
