"""The suspects queue on MNIST with a share of the simulated labels flipped.

    python benchmarks/measure_suspects.py --data-root ../shared/data/mnist [--labels 400] [--flip 0.05]
        [--seeds 0,1,2] [--pool 5000] [--json]
    python benchmarks/measure_suspects.py --dataset digits --labels 300 --flip 0.1 --pool 0

For each seed: a random labelled set of `--labels` pool items whose answers come from the
simulated oracle with `oracle.flip` (the same wrong answers a run would get), the task model
trained on them, the queue found at the default `suspects.*` settings. Printed: the queue's
precision (queued items that were flipped) and recall (flipped items that were queued), also at
other margins than the default from the same scores, and
test accuracy trained on the noisy labels, on the labels after fixing the queue (the truth for
each queued item, as a person would give it), and on clean labels; "recovered" is
(fixed - noisy) / (clean - noisy). The three models train from one seed, so only the labels
differ. Run with OMP_NUM_THREADS=1 to leave the other cores alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace

import numpy as np
import torch

from alss_tui.config import DataConfig, OracleConfig, RunConfig, SamplingConfig, TaskConfig
from alss_tui.core.engine import Engine
from alss_tui.core.events import Evaluated, SuspectsFound
from alss_tui.data.loaders import load_dataset
from alss_tui.runner.oracle import wrong_answers

THRESHOLDS = (0.0, 0.25, 0.5, 0.75)


def accuracy(cfg: RunConfig, dataset, labels: dict[int, int]) -> float:
    """Test accuracy of the task model trained on `labels` (round 0, the run's own recipe)."""
    engine = Engine(cfg, dataset)
    list(engine.prepare_representation())
    list(engine.propose(0))
    list(engine.apply_labels(0, labels))
    list(engine.train_task(0))
    return next(e.accuracy for e in engine.evaluate(0) if isinstance(e, Evaluated))


def one_seed(cfg: RunConfig, dataset, flip: float) -> dict:
    truth = dataset.pool_truth
    answers = wrong_answers(truth, flip, cfg.seed, len(dataset.classes))
    engine = Engine(cfg, dataset)
    list(engine.prepare_representation())
    list(engine.propose(0))
    items = [c.item for c in engine.pending.candidates]
    noisy = {i: int(answers[i]) for i in items}
    list(engine.apply_labels(0, noisy))
    list(engine.train_task(0))
    # Every confident-learning candidate (no margin floor), so one scoring gives each threshold.
    engine.cfg = replace(cfg, suspects=replace(cfg.suspects, threshold=-1.0))
    start = time.perf_counter()
    found = next(e for e in engine.find_suspects(0) if isinstance(e, SuspectsFound))
    seconds = time.perf_counter() - start
    flipped = {i for i in items if answers[i] != truth[i]}
    margins = {i: p - q for i, p, q in zip(found.items, found.probability, found.given_probability)}
    sweep = {}
    for t in THRESHOLDS:
        at = {i for i, m in margins.items() if m >= t}
        sweep[t] = (len(at & flipped) / len(at) if at else float("nan"), len(at & flipped) / len(flipped), len(at))
    queued = {i for i, m in margins.items() if m >= cfg.suspects.threshold}
    hit = len(queued & flipped)
    fixed = {i: (int(truth[i]) if i in queued else y) for i, y in noisy.items()}
    acc = {"noisy": accuracy(cfg, dataset, noisy), "fixed": accuracy(cfg, dataset, fixed),
           "clean": accuracy(cfg, dataset, {i: int(truth[i]) for i in items})}
    gap = acc["clean"] - acc["noisy"]
    return {"seed": cfg.seed, "labels": len(items), "flipped": len(flipped), "queued": len(queued), "hits": hit,
            "precision": hit / len(queued) if queued else float("nan"),
            "recall": hit / len(flipped) if flipped else float("nan"),
            "accuracy": acc, "recovered": (acc["fixed"] - acc["noisy"]) / gap if gap > 0 else float("nan"),
            "suspects_seconds": seconds, "sweep": sweep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist", choices=("mnist", "digits"))
    parser.add_argument("--data-root", default="../shared/data/mnist")
    parser.add_argument("--labels", type=int, default=400)
    parser.add_argument("--flip", type=float, default=0.05)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--pool", type=int, default=5000, help="first N pool images (0 = all 60,000)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    base = RunConfig(name="suspects", device="cpu",
                     data=DataConfig(dataset=args.dataset, data_root=args.data_root if args.dataset == "mnist" else "",
                                     pool_limit=args.pool),
                     task=TaskConfig(restart_each_round=True),
                     sampling=SamplingConfig(strategy="random", initial=args.labels, budget=args.labels),
                     oracle=OracleConfig(flip=args.flip))
    dataset = load_dataset(base.data)
    results = []
    for seed in (int(s) for s in args.seeds.split(",")):
        r = one_seed(replace(base, seed=seed), dataset, args.flip)
        results.append(r)
        a = r["accuracy"]
        print(f"seed {seed}: {r['flipped']} of {r['labels']} labels flipped, {r['queued']} queued, {r['hits']} flipped"
              f" · precision {r['precision']:.3f} recall {r['recall']:.3f} · accuracy noisy {a['noisy']:.4f}"
              f" fixed {a['fixed']:.4f} clean {a['clean']:.4f} · recovered {r['recovered']:.2f}"
              f" · queue {r['suspects_seconds']:.1f} s", flush=True)
        print("  by threshold (precision, recall, queued): "
              + "; ".join(f"{t}: {p:.2f} {q:.2f} {n}" for t, (p, q, n) in r["sweep"].items()), flush=True)

    def mean(f):
        values = [f(r) for r in results if f(r) == f(r)]
        return statistics.mean(values) if values else float("nan")

    print(f"mean over {len(results)} seeds: precision {mean(lambda r: r['precision']):.3f} recall "
          f"{mean(lambda r: r['recall']):.3f} · accuracy noisy {mean(lambda r: r['accuracy']['noisy']):.4f} fixed "
          f"{mean(lambda r: r['accuracy']['fixed']):.4f} clean {mean(lambda r: r['accuracy']['clean']):.4f}"
          f" · recovered {mean(lambda r: r['recovered']):.2f}")
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
