"""Reading one strategy of an `alss-tui bench --json` document seed by seed (for the rule scripts)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from alss_tui.config import fill_added_later
from types import SimpleNamespace

from alss_tui.bench import paired as _paired
from alss_tui.bench.figures import largest_drop


def load(path: Path) -> dict:
    """A bench's JSON; a missing or broken file ends the script with one line, not a traceback."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SystemExit(f"{path}: not a readable bench JSON ({exc.__class__.__name__}: {exc})") from None


def flat_config(doc: dict) -> dict[str, object]:
    """The bench's config as {"section.key": value}; a key added after the bench was recorded reads as it ran."""
    out = {}
    for section, keys in fill_added_later(copy.deepcopy(doc["config"])).items():
        if isinstance(keys, dict):
            out.update({f"{section}.{key}": value for key, value in keys.items()})
        else:
            out[section] = keys
    return out


def at_seeds(sdoc: dict, values: list, seeds: tuple[int, ...]) -> list | None:
    """`values` (aligned with the strategy's seeds) at `seeds`, or None when one of them is missing."""
    by_seed = dict(zip(sdoc["seeds"], values))
    return [by_seed[s] for s in seeds] if all(s in by_seed for s in seeds) else None


def seed_drops(sdoc: dict) -> list[float]:
    """Each seed's largest fall between two rounds, aligned with the strategy's seeds."""
    return [largest_drop(list(run)) for run in zip(*(p["per_seed"] for p in sdoc["curve"]))]


def mean_labels(sdoc: dict | None, target: str, seeds: tuple[int, ...]) -> float | None:
    """Mean labels to `target` over `seeds`; None unless every one of them reached it."""
    r = sdoc and sdoc["labels_to_reach"].get(target)
    per = at_seeds(sdoc, r["per_seed"], seeds) if r else None
    if not per or any(x is None for x in per):
        return None
    return sum(per) / len(per)


def fewest(doc: dict, target: str, seeds: tuple[int, ...] | None = None) -> tuple[float, str] | None:
    """(labels, strategy) needing the fewest labels among those reaching on every seed (`seeds`, or all each has)."""
    reached = {n: v for n, s in doc["strategies"].items()
               if (v := mean_labels(s, target, seeds if seeds is not None else tuple(s["seeds"]))) is not None}
    if not reached:
        return None
    best = min(reached, key=reached.get)
    return reached[best], best


def paired_interval(differences: list[float]) -> dict:
    """The bench's paired interval as the rule scripts read it (a dict)."""
    return _paired.paired_interval(differences).to_json()


def paired_against(strategies: dict, against: str) -> dict[str, dict | None]:
    """The bench's paired differences, on strategy documents, as dicts."""
    def typed(s: dict) -> SimpleNamespace:
        return SimpleNamespace(seeds=s["seeds"], auc=SimpleNamespace(per_seed=s["auc"]["per_seed"]),
                               curve=[SimpleNamespace(labelled=p["labelled"], per_seed=p["per_seed"]) for p in s["curve"]])

    out = _paired.paired_against({name: typed(s) for name, s in strategies.items()}, against)
    return {name: p.to_json() if p else None for name, p in out.items()}
