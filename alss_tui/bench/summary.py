"""A bench's summary as typed, frozen values: what `alss-tui bench --json` writes and every reader reads.

`BenchSummary.to_json()` is the document `alss-tui bench --json` prints, with
`"format": 2`. `BenchSummary.from_json()` reads it and the files written before
the key existed (format 1): those lacking a field a later bench records get it
from what they do record (the split: test; a strategy's seeds: those with a run
id; its per-seed AUC: from its per-seed curves), or are refused with one line.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from alss_tui.bench.figures import normalised_auc
from alss_tui.bench.paired import Paired
from alss_tui.config import fill_added_later
from alss_tui.errors import BenchError

FORMAT = 2


@dataclass(frozen=True)
class MeanStd:
    """Mean and sample std over seeds (std 0 for one value; both None without any)."""

    mean: float | None
    std: float | None
    n: int

    @classmethod
    def of(cls, values) -> "MeanStd":
        import numpy as np

        arr = np.asarray([v for v in values if v is not None and not math.isnan(v)], float)
        if len(arr) == 0:
            return cls(None, None, 0)
        return cls(float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0, int(len(arr)))

    def to_json(self) -> dict:
        return {"mean": self.mean, "std": self.std, "n": self.n}

    @classmethod
    def from_json(cls, doc: dict) -> "MeanStd":
        return cls(doc["mean"], doc["std"], doc["n"])


@dataclass(frozen=True)
class Auc(MeanStd):
    """The normalised area under the curve, with each seed's value."""

    per_seed: tuple[float, ...] = ()

    def to_json(self) -> dict:
        return {**super().to_json(), "per_seed": list(self.per_seed)}


@dataclass(frozen=True)
class Reach:
    """Labels to reach one target: each seed's (None: never), and mean and std over those that did."""

    per_seed: tuple[int | None, ...]
    reached: int
    of: int
    labels: MeanStd

    def to_json(self) -> dict:
        return {"per_seed": list(self.per_seed), "reached": self.reached, "of": self.of, **self.labels.to_json()}

    @classmethod
    def from_json(cls, doc: dict) -> "Reach":
        return cls(tuple(doc["per_seed"]), doc["reached"], doc["of"], MeanStd.from_json(doc))


@dataclass(frozen=True)
class CurvePoint:
    labelled: int
    accuracy: MeanStd
    per_seed: tuple[float, ...]

    def to_json(self) -> dict:
        return {"labelled": self.labelled, "accuracy": self.accuracy.to_json(), "per_seed": list(self.per_seed)}

    @classmethod
    def from_json(cls, doc: dict) -> "CurvePoint":
        return cls(doc["labelled"], MeanStd.from_json(doc["accuracy"]), tuple(doc["per_seed"]))


@dataclass(frozen=True)
class FinalRecall:
    """Per-class recall at the budget (mean over seeds) and the worst class's."""

    per_class_mean: tuple[float, ...]
    worst_class: MeanStd

    def to_json(self) -> dict:
        return {"per_class_mean": list(self.per_class_mean), "worst_class": self.worst_class.to_json()}


@dataclass(frozen=True)
class StrategySummary:
    """One strategy's figures over the seeds it finished; per-seed values follow `seeds`."""

    runs: int
    run_ids: tuple[str | None, ...]  # by the bench's seeds, None where this strategy has no finished run
    seeds: tuple[int, ...]
    curve: tuple[CurvePoint, ...]
    labels_to_reach: dict[str, Reach]  # keyed by the target as "0.95"
    auc: Auc
    largest_drop: MeanStd
    selection_seconds_per_round: MeanStd
    forward_passes_per_round: MeanStd
    backward_passes_per_round: MeanStd
    phase_seconds_per_round: dict[str, MeanStd]
    selection_share_of_round: MeanStd
    final_recall: FinalRecall | None
    paired: Paired | None = None  # against the bench's reference (None for the reference itself)

    def per_seed_curves(self) -> list[list[float]]:
        """Each seed's accuracy at every labelled count, in the order of `seeds`."""
        return [list(run) for run in zip(*(p.per_seed for p in self.curve))]

    def at_seeds(self, values, seeds) -> list | None:
        """`values` (aligned with `seeds` of this strategy) at `seeds`; None when one of them is missing."""
        by_seed = dict(zip(self.seeds, values))
        return [by_seed[s] for s in seeds] if all(s in by_seed for s in seeds) else None

    def auc_at(self, seeds) -> list[float] | None:
        """Each of `seeds`' AUC; None when one of them has no run."""
        return self.at_seeds(self.auc.per_seed, seeds)

    def to_json(self, with_paired: bool) -> dict:
        doc = {"runs": self.runs, "run_ids": list(self.run_ids), "seeds": list(self.seeds),
               "curve": [p.to_json() for p in self.curve],
               "labels_to_reach": {t: r.to_json() for t, r in self.labels_to_reach.items()},
               "auc": self.auc.to_json(), "largest_drop": self.largest_drop.to_json(),
               "selection_seconds_per_round": self.selection_seconds_per_round.to_json(),
               "forward_passes_per_round": self.forward_passes_per_round.to_json(),
               "backward_passes_per_round": self.backward_passes_per_round.to_json(),
               "phase_seconds_per_round": {k: v.to_json() for k, v in self.phase_seconds_per_round.items()},
               "selection_share_of_round": self.selection_share_of_round.to_json(),
               "final_recall": self.final_recall.to_json() if self.final_recall else None}
        if with_paired:
            doc["paired"] = self.paired.to_json() if self.paired else None
        return doc

    @classmethod
    def from_json(cls, doc: dict, bench_seeds: list[int]) -> "StrategySummary":
        curve = tuple(CurvePoint.from_json(p) for p in doc["curve"])
        seeds = doc.get("seeds")
        if seeds is None:  # format 1 before seeds were listed: the seeds with a run, in the bench's order
            seeds = [s for s, run_id in zip(bench_seeds, doc["run_ids"]) if run_id]
            if len(seeds) != doc["runs"] or len(doc["run_ids"]) != len(bench_seeds):
                raise ValueError("a strategy lists no seeds and its run ids do not say them")
        auc = doc["auc"]
        per_seed = auc.get("per_seed")
        if per_seed is None:  # format 1 before per-seed AUCs: each seed's curve gives it
            labelled = [p.labelled for p in curve]
            per_seed = [normalised_auc(labelled, list(run)) for run in zip(*(p.per_seed for p in curve))]
        recall = doc["final_recall"]
        return cls(
            doc["runs"], tuple(doc["run_ids"]), tuple(seeds), curve,
            {t: Reach.from_json(r) for t, r in doc["labels_to_reach"].items()},
            Auc(auc["mean"], auc["std"], auc["n"], tuple(per_seed)),
            MeanStd.from_json(doc["largest_drop"]), MeanStd.from_json(doc["selection_seconds_per_round"]),
            MeanStd.from_json(doc["forward_passes_per_round"]), MeanStd.from_json(doc["backward_passes_per_round"]),
            {k: MeanStd.from_json(v) for k, v in doc["phase_seconds_per_round"].items()},
            MeanStd.from_json(doc["selection_share_of_round"]),
            FinalRecall(tuple(recall["per_class_mean"]), MeanStd.from_json(recall["worst_class"])) if recall else None,
            Paired.from_json(doc["paired"]) if doc.get("paired") else None)


@dataclass(frozen=True)
class BenchSummary:
    bench_id: str
    config: dict  # the recorded base config, as the manifest holds it
    seeds: tuple[int, ...]
    targets: tuple[float, ...]
    split: str  # the held-out split every round was scored on
    against: str | None  # the reference of the paired differences, when the bench has one
    vae_seconds: dict[str, float]
    strategies: dict[str, StrategySummary] = field(default_factory=dict)

    def settings(self) -> dict[str, object]:
        """The recorded config as {"section.key": value}; a key added after the bench ran reads as it ran."""
        out = {}
        for section, keys in fill_added_later(copy.deepcopy(self.config)).items():
            if isinstance(keys, dict):
                out.update({f"{section}.{key}": value for key, value in keys.items()})
            else:
                out[section] = keys
        return out

    def representation(self) -> str:
        """The backbone its runs used, in a few words ("cnn (none, trained)")."""
        from alss_tui.config import RunConfig, TaskConfig, VaeConfig
        from alss_tui.config.describe import representation

        s = self.settings()
        task = TaskConfig(**{k: s[f"task.{k}"] for k in ("model", "weights", "train", "head") if f"task.{k}" in s})
        return representation(RunConfig(task=task, vae=VaeConfig(input=s.get("vae.input", "pixels"))))

    def joined(self, other: "BenchSummary") -> "BenchSummary":
        """This bench and `other`, another part of it: the same bench id, run with other strategies
        (perhaps at other seeds, in another home). The pairing each part recorded against its own
        reference is dropped, since the parts' seeds may differ; a verdict pairs by seed itself.
        A strategy in both parts, or another bench id, raises ValueError."""
        # The bench id is the recipe (its split included; less what it does not read, such as an
        # unused encoder's epochs).
        if other.bench_id != self.bench_id:
            raise ValueError("not parts of one bench (another recipe)")
        both = [name for name in other.strategies if name in self.strategies]
        if both:
            raise ValueError(f"both have {both[0]}")
        seeds = tuple(sorted(set(self.seeds) | set(other.seeds)))
        strategies = {}
        for part in (self, other):  # run ids follow the bench's seeds: realign each part's to the union
            for name, s in part.strategies.items():
                by_seed = dict(zip(part.seeds, s.run_ids))
                strategies[name] = replace(s, run_ids=tuple(by_seed.get(seed) for seed in seeds), paired=None)
        return BenchSummary(self.bench_id, self.config, seeds, tuple(sorted(set(self.targets) & set(other.targets))),
                            self.split, None, {**self.vae_seconds, **other.vae_seconds}, strategies)

    def to_json(self) -> dict:
        with_paired = self.against is not None
        return {"format": FORMAT, "bench_id": self.bench_id, "config": self.config, "seeds": list(self.seeds),
                "targets": list(self.targets), "split": self.split, "against": self.against,
                "vae_seconds": self.vae_seconds,
                "strategies": {name: s.to_json(with_paired) for name, s in self.strategies.items()}}

    @classmethod
    def from_json(cls, doc: object, source: str = "bench summary") -> "BenchSummary":
        """Read a summary of format 1 or 2; anything else is a BenchError naming `source`."""
        if not isinstance(doc, dict) or "strategies" not in doc or "bench_id" not in doc:
            raise BenchError(f"{source}: not a bench summary (an `alss-tui bench --json` document)")
        fmt = doc.get("format", 1)
        if fmt not in (1, FORMAT):
            raise BenchError(f"{source}: bench summary format {fmt!r}; this alss-tui reads formats 1 and {FORMAT}")
        try:
            seeds = list(doc["seeds"])
            return cls(doc["bench_id"], doc["config"], tuple(seeds), tuple(doc["targets"]),
                       doc.get("split", "test"), doc.get("against"), doc["vae_seconds"],
                       {name: StrategySummary.from_json(s, seeds) for name, s in doc["strategies"].items()})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            what = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
            raise BenchError(f"{source}: a malformed bench summary ({what})") from None

    @classmethod
    def load(cls, path: Path) -> "BenchSummary":
        return cls.from_json(read_document(path), str(path))


def read_document(path: Path) -> object:
    """A JSON file's content; a missing or broken file is one line naming it."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"{path}: not a readable bench JSON (no such file)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchError(f"{path}: not a readable bench JSON ({exc.__class__.__name__}: {exc})") from None


# Keys of a summary that measure the machine, not the method: two runs of one grid
# (sequential or parallel, today or tomorrow) agree on everything else.
TIMING_KEYS = ("seconds", "selection_share", "run_ids")


def without_timings(obj):
    """A summary document (or any part of one) without its timing keys, for comparing two runs of a grid."""
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if not any(t in k for t in TIMING_KEYS)}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj
