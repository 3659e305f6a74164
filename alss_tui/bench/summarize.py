"""A finished bench's summary, read back from each run's event log.

Per strategy: mean and std of held-out accuracy (the test split, or the
validation split of a bench evaluated on it) at each labelled count, labels
needed to reach accuracy targets, area under the accuracy-vs-labels curve,
selection seconds and task-model passes per round, per-class recall, and the
paired differences from a reference strategy (`paired.py`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from alss_tui.bench.figures import labels_to_reach, largest_drop, normalised_auc
from alss_tui.bench.manifest import Manifest
from alss_tui.bench.paired import paired_against
from alss_tui.bench.summary import Auc, BenchSummary, CurvePoint, FinalRecall, MeanStd, Reach, StrategySummary
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


def _phase_means(curves: list[dict]) -> dict[str, MeanStd]:
    """Seconds per phase (propose, label, task, evaluate, and the whole round) over mining rounds."""
    phases = sorted({k for c in curves for p in c["phase_seconds"][1:] for k in p})
    out = {ph: MeanStd.of([float(np.mean([p.get(ph, 0.0) for p in c["phase_seconds"][1:]]))
                           for c in curves if len(c["phase_seconds"]) > 1]) for ph in phases}
    out["round"] = MeanStd.of([float(np.mean([sum(p.values()) for p in c["phase_seconds"][1:]]))
                               for c in curves if len(c["phase_seconds"]) > 1])
    return out


def _per_round(curves: list[dict], key: str) -> MeanStd:
    return MeanStd.of([float(np.mean(c[key])) for c in curves if c[key]])


def _run_id(manifest: Manifest, strategy: str, seed: int) -> str | None:
    cell = manifest.cells.get(f"{strategy}/s{seed}")
    return cell.run_id if cell is not None else None


def evaluated_split(config: dict) -> str:
    """The split a bench's runs were scored on: "test", or "validation"."""
    return config.get("task", {}).get("evaluate_on", "test")


def _strategy(manifest: Manifest, strategy: str, curves: list[dict], seeds: list[int],
              targets) -> StrategySummary:
    counts = sorted(set(curves[0]["labelled"]).intersection(*(c["labelled"] for c in curves[1:])))
    by_count = []
    for n in counts:
        accs = [c["accuracy"][c["labelled"].index(n)] for c in curves]
        by_count.append(CurvePoint(n, MeanStd.of(accs), tuple(accs)))
    reach = {}
    for t in targets:
        per_seed = [labels_to_reach(c["labelled"], c["accuracy"], t) for c in curves]
        reached = [p for p in per_seed if p is not None]
        # mean and std are over the `reached` seeds only; every reader shows "(reached/of)" beside them.
        reach[f"{t:.2f}"] = Reach(tuple(per_seed), len(reached), len(per_seed), MeanStd.of(reached))
    final_recall = [c["recall"][-1] for c in curves if c["recall"] and c["recall"][-1]]
    recall = None
    if final_recall:
        arr = np.asarray(final_recall, float)
        recall = FinalRecall(tuple(float(v) for v in np.nanmean(arr, 0)),
                             MeanStd.of([float(np.nanmin(r)) for r in arr]))
    aucs = [normalised_auc(c["labelled"], c["accuracy"]) for c in curves]
    auc = MeanStd.of(aucs)
    share = MeanStd.of([float(np.sum([p.get("propose", 0.0) for p in c["phase_seconds"][1:]])
                              / np.sum([sum(p.values()) for p in c["phase_seconds"][1:]]))
                        for c in curves if len(c["phase_seconds"]) > 1])
    return StrategySummary(
        runs=len(curves), run_ids=tuple(_run_id(manifest, strategy, s) for s in manifest.seeds),
        seeds=tuple(seeds), curve=tuple(by_count), labels_to_reach=reach,
        auc=Auc(auc.mean, auc.std, auc.n, tuple(aucs)),
        largest_drop=MeanStd.of([largest_drop(c["accuracy"]) for c in curves]),
        selection_seconds_per_round=_per_round(curves, "selection_seconds"),
        forward_passes_per_round=_per_round(curves, "forward_passes"),
        backward_passes_per_round=_per_round(curves, "backward_passes"),
        phase_seconds_per_round=_phase_means(curves), selection_share_of_round=share, final_recall=recall)


def summarize(manifest: Manifest, runs_dir: Path, targets=DEFAULT_TARGETS, against: str | None = None) -> BenchSummary:
    """The bench's figures; with `against` (a strategy of the bench), paired differences from it."""
    split = evaluated_split(manifest.config)
    strategies = {}
    for strategy in manifest.strategies:
        curves, seeds = [], []
        for seed in manifest.seeds:
            cell = manifest.cells.get(f"{strategy}/s{seed}")  # a grid read whole may lack some cells
            if cell is not None and cell.status == "finished" and cell.run_id:
                curves.append(run_curve(RunFolder(runs_dir / cell.run_id), split))
                seeds.append(seed)
        if curves:
            strategies[strategy] = _strategy(manifest, strategy, curves, seeds, targets)
    reference = against if against in strategies else None
    if reference is not None:
        for name, paired in paired_against(strategies, reference).items():
            strategies[name] = replace(strategies[name], paired=paired)
    return BenchSummary(manifest.bench_id, manifest.config, tuple(manifest.seeds), tuple(targets), split,
                        reference, manifest.vae_seconds, strategies)
