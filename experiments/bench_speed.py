"""Speed of the loop itself; every ratio compares two things measured in this one run.

    python experiments/bench_speed.py --data-root ../shared/data/mnist [--threads 1] [--json]

1. task-model training: the engine's loop against a bare PyTorch loop (same model,
   data, batch size, optimiser), in samples per second (target >= 0.95);
2. SNN mining (ascent + search) for 1,000 seeds over the 60k pool, as a share of
   a round (mining + task training + test evaluation) (target < 5%);
3. faiss exact search against brute-force torch cdist + topk;
4. selection time against pool size (10k, 60k, a synthetic 1M-code index) for
   snn and full-pool entropy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch
from torch.nn import functional as F

from alss_tui.config import DataConfig, SamplingConfig, TaskConfig
from alss_tui.core import training
from alss_tui.core.ascent import ascend
from alss_tui.core.latent_index import LatentIndex
from alss_tui.core.strategies import get_strategy
from alss_tui.core.strategies.base import SelectionState
from alss_tui.data.loaders import load_dataset
from alss_tui.data.pool import Pool
from alss_tui.models.classifier import SmallCNN
from alss_tui.models.vae import ConvVAE

CPU = torch.device("cpu")


def timed(fn, repeats: int = 3) -> float:
    """Median wall seconds of `repeats` calls."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return statistics.median(out)


def bare_loop(model, x, y, cfg: TaskConfig, seed: int) -> None:
    gen = training.torch_generator(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    for _ in range(cfg.steps):
        idx = torch.randint(len(x), (cfg.batch_size,), generator=gen)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def engine_loop(model, x, y, cfg: TaskConfig, seed: int) -> None:
    for _ in training.train_classifier(model, x, y, cfg, seed, CPU, 1):
        pass


def task_training(ds, cfg: TaskConfig, repeats: int) -> dict:
    x, y = torch.from_numpy(ds.pool_images[:1000]), torch.from_numpy(ds.pool_truth[:1000])
    shape, k = ds.shape, len(ds.classes)
    results = {"bare": [], "engine": []}
    for r in range(repeats):  # interleaved, fresh model each time: both see the same load
        for name, loop in (("bare", bare_loop), ("engine", engine_loop)):
            torch.manual_seed(r)
            model = SmallCNN(shape, k, cfg.width)
            start = time.perf_counter()
            loop(model, x, y, cfg, r)
            results[name].append(cfg.steps * cfg.batch_size / (time.perf_counter() - start))
    bare, eng = statistics.median(results["bare"]), statistics.median(results["engine"])
    return {"bare_samples_per_s": round(bare, 1), "engine_samples_per_s": round(eng, 1),
            "ratio_engine_over_bare": round(eng / bare, 3), "steps": cfg.steps, "batch_size": cfg.batch_size}


def make_state(images: np.ndarray, codes: np.ndarray, vae, model, n_labelled: int, n_classes: int,
               rng: np.random.Generator) -> SelectionState:
    pool = Pool(images, None)
    first = rng.choice(len(images), size=n_labelled, replace=False)
    pool.add(first, rng.integers(0, n_classes, size=n_labelled))
    return SelectionState(pool, torch.from_numpy(images), codes, LatentIndex(codes), vae, model, CPU, 1, n_classes)


def mining_share(ds, vae, codes, model, cfg: TaskConfig, rng) -> dict:
    state = make_state(ds.pool_images, codes, vae, model, 1000, len(ds.classes), rng)
    snn = get_strategy("snn", cfg=SamplingConfig())
    mining = timed(lambda: snn.select(state, 1000, np.random.default_rng(0)), 2)
    # The two parts of mining: the ascent (decoder + task model, forward and backward) and the search.
    seeds = np.random.default_rng(0).choice(state.pool.labelled_indices, size=1000)
    z0, targets = torch.from_numpy(codes[seeds]), torch.from_numpy(state.pool.labels[seeds])
    s = snn.cfg
    moved = ascend(vae, model, z0, targets, s.ascent_steps, s.ascent_step_size, s.ascent_normalize).codes.numpy()
    ascent = timed(lambda: ascend(vae, model, z0, targets, s.ascent_steps, s.ascent_step_size, s.ascent_normalize), 2)
    search = timed(lambda: state.index.nearest_available(moved, state.pool.available_mask), 2)
    labelled = state.pool.labelled_indices
    x, y = torch.from_numpy(ds.pool_images[labelled]), torch.from_numpy(state.pool.labels[labelled])
    task = timed(lambda: engine_loop(SmallCNN(ds.shape, len(ds.classes), cfg.width), x, y, cfg, 0), 1)
    test_x = torch.from_numpy(ds.test.images)
    evaluate = timed(lambda: training.predict_logits(model, test_x, CPU), 1)
    round_s = mining + task + evaluate
    return {"mining_seconds_1000_seeds": round(mining, 3), "ascent_seconds": round(ascent, 3),
            "search_seconds": round(search, 3), "task_training_seconds": round(task, 3),
            "evaluate_seconds": round(evaluate, 3), "mining_share_of_round": round(mining / round_s, 4)}


def search_speed(codes: np.ndarray, rng, queries: int = 1000, k: int = 10) -> dict:
    index = LatentIndex(codes)
    q = codes[rng.choice(len(codes), size=queries, replace=False)] + 0.1 * rng.standard_normal((queries, codes.shape[1])).astype(np.float32)
    tc, tq = torch.from_numpy(codes), torch.from_numpy(q)
    faiss_s = timed(lambda: index.search(q, k))
    torch_s = timed(lambda: torch.topk(torch.cdist(tq, tc), k, largest=False))
    fi = index.search(q, k)[1]
    ti = torch.topk(torch.cdist(tq, tc), k, largest=False).indices.numpy()
    agree = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(fi, ti)]))
    return {"queries": queries, "k": k, "pool": len(codes), "faiss_seconds": round(faiss_s, 4),
            "torch_cdist_topk_seconds": round(torch_s, 4), "speedup_faiss": round(torch_s / faiss_s, 2),
            "same_neighbours": round(agree, 4)}


def selection_vs_pool(ds, vae, codes, model, rng, per_round: int = 100) -> dict:
    out = {}
    n_classes = len(ds.classes)
    for size in (10_000, 60_000):
        state = make_state(ds.pool_images[:size], codes[:size], vae, model, 1000, n_classes, rng)
        row = {}
        for name in ("snn", "entropy"):
            strategy = get_strategy(name, cfg=SamplingConfig())
            row[name] = round(timed(lambda: strategy.select(state, per_round, np.random.default_rng(0)), 2), 3)
        out[str(size)] = row
    # 1M codes: a synthetic index around the real codes. snn reads pool images only to
    # predict its retrieved items; item i of the synthetic pool shows real image i mod 60k.
    big = codes[rng.integers(0, len(codes), size=1_000_000)] + 0.05 * rng.standard_normal(
        (1_000_000, codes.shape[1])).astype(np.float32)
    state = make_state(np.zeros((1_000_000, 1), np.uint8), big, vae, model, 1000, n_classes, rng)
    state.images = _CyclicImages(torch.from_numpy(ds.pool_images))
    snn = get_strategy("snn", cfg=SamplingConfig())
    snn_1m = timed(lambda: snn.select(state, per_round, np.random.default_rng(0)), 2)
    per_image = out["60000"]["entropy"] / 59_000  # full-pool entropy is linear in the unlabelled pool
    out["1000000"] = {"snn": round(snn_1m, 3), "entropy_extrapolated": round(per_image * 999_000, 1)}
    return out


class _CyclicImages:
    """Pool images for a synthetic 1M pool: item i shows real image i mod N (only indexed, never copied)."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __getitem__(self, idx):
        return self.images[torch.as_tensor(idx) % len(self.images)]

    def __len__(self) -> int:
        return 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="../shared/data/mnist")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--task-width", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    ds = load_dataset(DataConfig(dataset="mnist", data_root=args.data_root))
    cfg = TaskConfig(width=args.task_width)
    result = {"threads": args.threads, "task_width": args.task_width}
    result["task_training"] = task_training(ds, cfg, args.repeats)
    torch.manual_seed(0)
    vae = ConvVAE(ds.shape, 16, 32).eval()  # untrained: cost does not depend on the weights
    codes = training.encode_means(vae, torch.from_numpy(ds.pool_images), CPU)
    model = SmallCNN(ds.shape, len(ds.classes), args.task_width).eval()
    result["mining"] = mining_share(ds, vae, codes, model, cfg, rng)
    result["search"] = search_speed(codes, rng)
    result["selection_seconds_vs_pool"] = selection_vs_pool(ds, vae, codes, model, rng)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
