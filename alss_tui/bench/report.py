"""Figures of a finished bench, read back from each run's event log.

Per strategy: mean and std of held-out accuracy (the test split, or the
validation split of a bench evaluated on it) at each labelled count, labels
needed to reach accuracy targets, area under the accuracy-vs-labels curve,
selection seconds and task-model passes per round, per-class recall, and the
paired differences from a reference strategy (`paired.py`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from alss_tui.bench.manifest import Manifest
from alss_tui.bench.paired import paired_against
from alss_tui.store.run_fold import fold_log
from alss_tui.store.run_folder import RunFolder

DEFAULT_TARGETS = (0.90, 0.95)


def run_curve(folder: RunFolder, split: str = "test") -> dict:
    """One run's finished rounds scored on `split`, from its event log (the fold: a round logged
    twice counts once)."""
    fold, _ = fold_log(folder.events_path)
    rounds = [r for r in fold.finished_rounds() if r.evaluated_on == split]
    mining = [r for r in rounds if r.round > 0 and r.selection_seconds is not None]
    return {
        "labelled": [r.labelled for r in rounds],
        "accuracy": [r.accuracy for r in rounds],
        "recall": [list(r.recall) for r in rounds],
        "selection_seconds": [r.selection_seconds for r in mining],
        "forward_passes": [r.forward_passes for r in mining],
        "backward_passes": [r.backward_passes for r in mining],
        "phase_seconds": [dict(r.phase_seconds) for r in rounds],
    }


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


def _mean_std(values: list[float]) -> dict:
    arr = np.asarray([v for v in values if v is not None and not math.isnan(v)], float)
    if len(arr) == 0:
        return {"mean": None, "std": None, "n": 0}
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0, "n": int(len(arr))}


def _phase_means(curves: list[dict]) -> dict:
    """Seconds per phase (propose, label, task, evaluate, and the whole round) over mining rounds."""
    phases = sorted({k for c in curves for p in c["phase_seconds"][1:] for k in p})
    out = {ph: _mean_std([float(np.mean([p.get(ph, 0.0) for p in c["phase_seconds"][1:]]))
                          for c in curves if len(c["phase_seconds"]) > 1]) for ph in phases}
    out["round"] = _mean_std([float(np.mean([sum(p.values()) for p in c["phase_seconds"][1:]]))
                              for c in curves if len(c["phase_seconds"]) > 1])
    return out


def evaluated_split(config: dict) -> str:
    """The split a bench's runs were scored on: "test", or "validation"."""
    return config.get("task", {}).get("evaluate_on", "test")


def summarize(manifest: Manifest, runs_dir: Path, targets=DEFAULT_TARGETS, against: str | None = None) -> dict:
    """The bench's figures; with `against` (a strategy of the bench), paired differences from it."""
    split = evaluated_split(manifest.config)
    strategies = {}
    for strategy in manifest.strategies:
        curves, seeds = [], []
        for seed in manifest.seeds:
            cell = manifest.cells[f"{strategy}/s{seed}"]
            if cell.status == "finished" and cell.run_id:
                curves.append(run_curve(RunFolder(runs_dir / cell.run_id), split))
                seeds.append(seed)
        if not curves:
            continue
        counts = sorted(set(curves[0]["labelled"]).intersection(*(c["labelled"] for c in curves[1:])))
        by_count = []
        for n in counts:
            accs = [c["accuracy"][c["labelled"].index(n)] for c in curves]
            by_count.append({"labelled": n, "accuracy": _mean_std(accs), "per_seed": accs})
        reach = {}
        for t in targets:
            per_seed = [labels_to_reach(c["labelled"], c["accuracy"], t) for c in curves]
            reached = [p for p in per_seed if p is not None]
            # mean and std are over the `reached` seeds only; every reader shows "(reached/of)" beside them.
            reach[f"{t:.2f}"] = {"per_seed": per_seed, "reached": len(reached), "of": len(per_seed),
                                 **_mean_std(reached)}
        final_recall = [c["recall"][-1] for c in curves if c["recall"] and c["recall"][-1]]
        recall = None
        if final_recall:
            arr = np.asarray(final_recall, float)
            recall = {"per_class_mean": [float(v) for v in np.nanmean(arr, 0)],
                      "worst_class": _mean_std([float(np.nanmin(r)) for r in arr])}
        aucs = [normalised_auc(c["labelled"], c["accuracy"]) for c in curves]
        strategies[strategy] = {
            "runs": len(curves),
            "run_ids": [manifest.cells[f"{strategy}/s{s}"].run_id for s in manifest.seeds],
            "seeds": seeds,  # the seed of each per-seed value below
            "curve": by_count,
            "labels_to_reach": reach,
            "auc": {**_mean_std(aucs), "per_seed": aucs},
            "largest_drop": _mean_std([largest_drop(c["accuracy"]) for c in curves]),
            "selection_seconds_per_round": _mean_std([float(np.mean(c["selection_seconds"]))
                                                      for c in curves if c["selection_seconds"]]),
            "forward_passes_per_round": _mean_std([float(np.mean(c["forward_passes"]))
                                                   for c in curves if c["forward_passes"]]),
            "backward_passes_per_round": _mean_std([float(np.mean(c["backward_passes"]))
                                                    for c in curves if c["backward_passes"]]),
            "phase_seconds_per_round": _phase_means(curves),
            "selection_share_of_round": _mean_std([
                float(np.sum([p.get("propose", 0.0) for p in c["phase_seconds"][1:]])
                      / np.sum([sum(p.values()) for p in c["phase_seconds"][1:]]))
                for c in curves if len(c["phase_seconds"]) > 1]),
            "final_recall": recall,
        }
    if against is not None and against in strategies:
        for name, paired in paired_against(strategies, against).items():
            strategies[name]["paired"] = paired
    return {"bench_id": manifest.bench_id, "config": manifest.config, "seeds": manifest.seeds,
            "targets": list(targets), "split": split, "against": against if against in strategies else None,
            "vae_seconds": manifest.vae_seconds, "strategies": strategies}


# Keys of a summary that measure the machine, not the method: two runs of one grid
# (sequential or parallel, today or tomorrow) agree on everything else.
TIMING_KEYS = ("seconds", "selection_share", "run_ids")


def without_timings(obj):
    """A summary (or any part of one) without its timing keys, for comparing two runs of a grid."""
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if not any(t in k for t in TIMING_KEYS)}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj


def plot(summary: dict, out: Path) -> Path:
    """Mean accuracy vs labels with a one-std band, one colour per strategy (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=130)
    names = list(summary["strategies"])
    colours = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    for k, (strategy, s) in enumerate(summary["strategies"].items()):
        x = np.array([p["labelled"] for p in s["curve"]])
        m = np.array([p["accuracy"]["mean"] for p in s["curve"]])
        sd = np.array([p["accuracy"]["std"] for p in s["curve"]])
        latent = strategy.startswith(("snn", "si"))  # ALSS strategies dashed, baselines solid
        (line,) = ax.plot(x, m, marker="o", markersize=3, color=colours(k), linestyle="--" if latent else "-",
                          label=f"{strategy} (n={s['runs']})")
        ax.fill_between(x, m - sd, m + sd, color=line.get_color(), alpha=0.12, linewidth=0)
    cfg = summary["config"]
    ax.set_xlabel("labelled images")
    ax.set_ylabel(f"{summary.get('split', 'test')} accuracy")
    imb = cfg["data"].get("imbalance", 1.0)
    ax.set_title(f"{cfg['data']['dataset']}" + (f", imbalance {imb:g}" if imb > 1 else "")
                 + f": mean ± std over {len(summary['seeds'])} seeds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
