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
from collections.abc import Sequence

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


def paired_interval(differences: Sequence[float], confidence: float = CONFIDENCE) -> dict:
    """Mean of paired differences with its two-sided Student-t interval.

    {"n", "mean", "low", "high", "separable"}; with n < 2, low/high/separable are None.
    """
    d = np.asarray([x for x in differences if x is not None and not math.isnan(x)], float)
    n = len(d)
    if n == 0:
        return {"n": 0, "mean": None, "low": None, "high": None, "separable": None}
    mean = float(d.mean())
    if n < 2:
        return {"n": n, "mean": mean, "low": None, "high": None, "separable": None}
    half = student_t_quantile(0.5 + confidence / 2, n - 1) * float(d.std(ddof=1)) / math.sqrt(n)
    low, high = mean - half, mean + half
    return {"n": n, "mean": mean, "low": low, "high": high, "separable": bool(low > 0 or high < 0)}


def paired_against(strategies: dict, against: str) -> dict[str, dict | None]:
    """Per strategy of a bench summary, its paired differences from `against`.

    Each summary strategy needs "seeds" (the seed of each per-seed value), "auc"
    {"per_seed"} and "curve" [{"labelled", "per_seed"}]. The reference itself gets None.
    """
    ref = strategies[against]
    out: dict[str, dict | None] = {}
    for name, s in strategies.items():
        if name == against:
            out[name] = None
            continue
        common = [seed for seed in s["seeds"] if seed in ref["seeds"]]
        mine, theirs = _by_seed(s), _by_seed(ref)
        auc = paired_interval([mine["auc"][seed] - theirs["auc"][seed] for seed in common])
        by_labelled = []
        for n in sorted(set(mine["curve"]) & set(theirs["curve"])):
            diffs = [mine["curve"][n][seed] - theirs["curve"][n][seed] for seed in common]
            by_labelled.append({"labelled": n, **paired_interval(diffs)})
        entry = {"against": against, "n_seeds": len(common), "seeds": common,
                 "interval": f"Student t, {CONFIDENCE:.0%}, over paired seeds",
                 "auc": {k: auc[k] for k in ("mean", "low", "high", "separable")},
                 "by_labelled": by_labelled}
        if len(common) < 2:
            entry["note"] = f"{len(common)} paired seed{'s' if len(common) != 1 else ''}: no interval"
        out[name] = entry
    return out


def _by_seed(s: dict) -> dict:
    seeds = s["seeds"]
    return {"auc": dict(zip(seeds, s["auc"]["per_seed"])),
            "curve": {p["labelled"]: dict(zip(seeds, p["per_seed"])) for p in s["curve"]}}


def verdict(stat: dict) -> str:
    """'separable' / 'within noise' / 'no interval' for a paired_interval-like dict."""
    if stat.get("separable") is None:
        return "no interval"
    return "separable" if stat["separable"] else "within noise"
