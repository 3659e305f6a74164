"""Choose the task-model training recipe on a validation split, never on the test split.

    python experiments/tune_recipe.py --data-root ../shared/data/mnist [--json OUT]

A validation split of `--validation-size` images is carved from the training pool
(`data.validation_size`, the same carve-out a run uses). Nested random labelled
sets of the sizes a bench visits (100 ... 1,000) are drawn once from the rest of
the pool. Every candidate recipe trains a fresh model on each set with several
initialisation seeds, through the engine's own training loop, and is scored on the
validation split only:

* mean validation accuracy per labelled count, and its area (the bench's AUC);
* training noise: the std over initialisation seeds on the *same* labelled set.
  With a fresh model each round this is what makes a curve jump between rounds,
  so a recipe that converges keeps it well under a point;
* seconds per training.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace

import numpy as np
import torch

from alss_tui.config import DataConfig, TaskConfig
from alss_tui.core import training
from alss_tui.data.loaders import load_dataset
from alss_tui.data.pool import to_float
from alss_tui.models.classifier import SmallCNN
from alss_tui.runner.bench_report import normalised_auc

CPU = torch.device("cpu")
SIZES = (100, 200, 400, 700, 1000)

BASE = TaskConfig(width=16, steps=300, batch_size=64, lr=2e-3, weight_decay=5e-4,
                  lr_schedule="constant", augment_shift=0)

# Name -> changes to BASE. BASE itself is the recipe the first grids used.
CANDIDATES: dict[str, dict] = {
    "constant lr 2e-3 (first grids)": {},
    "constant lr 1e-3": {"lr": 1e-3},
    "cosine lr 2e-3": {"lr_schedule": "cosine"},
    "cosine lr 5e-3": {"lr_schedule": "cosine", "lr": 5e-3},
    "cosine lr 2e-3, 500 steps": {"lr_schedule": "cosine", "steps": 500},
    "cosine lr 2e-3, shift 2 px": {"lr_schedule": "cosine", "augment_shift": 2},
    "cosine lr 5e-3, shift 2 px": {"lr_schedule": "cosine", "lr": 5e-3, "augment_shift": 2},
}


def nested_sets(n_pool: int, seed: int) -> dict[int, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n_pool)
    return {size: order[:size] for size in SIZES}


def train_and_score(cfg: TaskConfig, x, y, val_x, val_y, shape, n_classes, seed: int) -> float:
    model = SmallCNN(shape, n_classes, cfg.width)
    for _ in training.train_classifier(model, x, y, cfg, seed, CPU, round=0):
        pass
    pred = training.predict_logits(model, val_x, CPU).argmax(1)
    return float((pred == val_y).float().mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--validation-size", type=int, default=5000)
    ap.add_argument("--init-seeds", type=int, default=3)
    ap.add_argument("--set-seed", type=int, default=0, help="draw of the nested labelled sets")
    ap.add_argument("--only", default="", help="comma-separated candidate names (default: all)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default="", help="write the results to this file")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    ds = load_dataset(DataConfig(dataset=args.dataset, data_root=args.data_root,
                                 validation_size=args.validation_size))
    pool_x = torch.as_tensor(to_float(ds.pool_images, ds.pixel_scale))
    pool_y = torch.as_tensor(ds.pool_truth).long()
    val_x = torch.as_tensor(to_float(ds.validation.images, ds.pixel_scale))
    val_y = torch.as_tensor(ds.validation.labels).long()
    shape, n_classes = tuple(pool_x.shape[1:]), len(ds.classes)
    sets = nested_sets(len(pool_x), args.set_seed)
    wanted = [n for n in args.only.split(",") if n] or list(CANDIDATES)

    results = {}
    print(f"pool {len(pool_x)}, validation {len(val_x)}, labelled sets {SIZES}, "
          f"{args.init_seeds} init seeds per set")
    for name in wanted:
        cfg = replace(BASE, **CANDIDATES[name])
        per_size, seconds = {}, []
        for size, idx in sets.items():
            accs = []
            for s in range(args.init_seeds):
                start = time.perf_counter()
                accs.append(train_and_score(cfg, pool_x[idx], pool_y[idx], val_x, val_y,
                                            shape, n_classes, training.derive_seed("tune", s, size)))
                seconds.append(time.perf_counter() - start)
            per_size[size] = {"mean": 100 * statistics.mean(accs), "std": 100 * statistics.stdev(accs),
                              "runs": [100 * a for a in accs]}
        means = [per_size[s]["mean"] for s in SIZES]
        auc = normalised_auc(list(SIZES), means)  # the bench's own area, on validation
        results[name] = {"recipe": cfg.__dict__, "per_size": per_size, "val_auc": auc,
                         "init_std_mean": statistics.mean(per_size[s]["std"] for s in SIZES),
                         "init_std_max": max(per_size[s]["std"] for s in SIZES),
                         "seconds_per_training": statistics.mean(seconds)}
        r = results[name]
        print(f"{name:32s} val AUC {auc:6.2f}  acc@{' / '.join(f'{m:.1f}' for m in means)}  "
              f"init std mean {r['init_std_mean']:.2f} max {r['init_std_max']:.2f}  "
              f"{r['seconds_per_training']:.1f} s", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"dataset": args.dataset, "validation_size": args.validation_size,
                       "sizes": SIZES, "init_seeds": args.init_seeds, "results": results}, fh, indent=1)


if __name__ == "__main__":
    main()
