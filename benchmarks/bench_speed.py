"""Speed of the loop itself; every ratio compares two things measured in this one run.

    python benchmarks/bench_speed.py --data-root ../shared/data/mnist [--threads 1] [--json]

1. task-model training: the engine's loop against a bare PyTorch loop (same model,
   data, batch size, optimiser), in samples per second (target >= 0.95);
2. SNN mining for 1,000 seeds over the 60k pool, split into ascent, faiss search
   and prediction of the retrieved images, as a share of a round (mining + task
   training + test evaluation) (target < 5%); the ascent also against the plain
   implementation (all codes at once, batch norm unfolded), and the share at
   fewer ascent steps or fewer seeds;
3. faiss exact search against brute-force torch cdist + topk;
4. selection time against pool size (10k, 60k, a synthetic 1M-code index) for
   snn and full-pool entropy.

The VAE is trained for `--vae-epochs` (default 1) so codes and ascended codes sit
where a real run's do; the task model used for mining is the one trained in the
timed round, on the real labels of its 1,000 labelled images. Times are medians
of `--repeats`, in wall seconds and in process CPU seconds (with one thread the
latter hardly move when other jobs load the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
from torch.nn import functional as F

from alss_tui.config import DataConfig, SamplingConfig, TaskConfig, VaeConfig
from alss_tui.core import training
from alss_tui.core.ascent import ASCENT_CHUNK, ascend
from alss_tui.core.latent_index import LatentIndex
from alss_tui.core.pool_images import Images, PoolImages
from alss_tui.core.strategies import get_strategy
from alss_tui.core.strategies.base import SelectionState
from alss_tui.data.loaders import load_dataset
from alss_tui.data.pool import Pool, to_float
from alss_tui.models.classifier import SmallCNN
from alss_tui.models.vae import ConvVAE

CPU = torch.device("cpu")


def timed(fn, repeats: int = 3) -> float:
    """Median wall seconds of `repeats` calls."""
    return timed_cpu(fn, repeats)[0]


def timed_cpu(fn, repeats: int = 3) -> tuple[float, float]:
    """Median (wall, process CPU) seconds of `repeats` calls. On a loaded machine the
    CPU seconds of a one-thread job stay close to its cost; the wall seconds do not."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def bare_loop(model, x, y, cfg: TaskConfig, seed: int) -> None:
    gen = training.torch_generator(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    for step in range(cfg.steps):
        for group in opt.param_groups:  # the recipe's learning-rate schedule, as any loop would set it
            group["lr"] = training.scheduled_lr(cfg, step, cfg.steps)
        idx = torch.randint(len(x), (cfg.batch_size,), generator=gen)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def engine_loop(model, x, y, cfg: TaskConfig, seed: int) -> None:
    for _ in training.train_classifier(model, x, y, cfg, seed, CPU, 1):
        pass


def task_training(ds, cfg: TaskConfig, repeats: int) -> dict:
    x, y = torch.from_numpy(to_float(ds.pool_images[:1000], ds.pixel_scale)), torch.from_numpy(ds.pool_truth[:1000])
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


def make_state(images: np.ndarray, codes: np.ndarray, vae, model, labels: np.ndarray, n_labelled: int,
               rng: np.random.Generator, scale: float = 255.0) -> SelectionState:
    pool = Pool(images, None)
    first = rng.choice(len(images), size=n_labelled, replace=False)
    pool.add(first, labels[first])
    n_classes = int(labels.max()) + 1
    return SelectionState(pool, PoolImages(images, scale), codes, LatentIndex(codes), vae, model, CPU, 1, n_classes)


def plain_ascent(decoder, model, codes, targets, steps: int, step_size: float) -> torch.Tensor:
    """The paper's ascent written the straightforward way: all codes in one batch, the
    modules as they are (batch norm unfolded), weights frozen. The reference for `ascend`."""
    params = [p for m in (decoder, model) for p in m.parameters()]
    for p in params:
        p.requires_grad_(False)
    z = codes.clone().requires_grad_(True)
    for _ in range(steps):
        loss = F.cross_entropy(model(decoder.decode(z)), targets, reduction="none")
        (grad,) = torch.autograd.grad(loss.sum(), z)
        with torch.no_grad():
            z += step_size * grad / grad.norm(dim=1, keepdim=True).clamp_min(1e-12)
    with torch.no_grad():
        F.cross_entropy(model(decoder.decode(z)), targets, reduction="none")
    for p in params:
        p.requires_grad_(True)
    return z.detach()


def mining_share(ds, vae, codes, cfg: TaskConfig, rng, repeats: int) -> tuple[dict, SmallCNN]:
    """SNN mining for 1,000 seeds against a round of the recipe, with the task model
    trained on the 1,000 labelled images the seeds come from (real labels, so the
    ascended codes and their nearest-neighbour collisions are those of a real round)."""
    state = make_state(ds.pool_images, codes, vae, None, ds.pool_truth, 1000, rng, ds.pixel_scale)
    labelled = state.pool.labelled_indices
    x, y = state.images.batch(labelled), torch.from_numpy(state.pool.labels[labelled])
    state.model = SmallCNN(ds.shape, len(ds.classes), cfg.width)
    task = timed_cpu(lambda: engine_loop(state.model, x, y, cfg, 0), 1)  # also the model mining uses
    test_x = PoolImages(ds.test.images, ds.pixel_scale)
    evaluate = timed_cpu(lambda: training.predict_logits(state.model, test_x, CPU), repeats)
    snn = get_strategy("snn", cfg=SamplingConfig())
    s = snn.cfg
    select = timed_cpu(lambda: snn.select(state, 1000, np.random.default_rng(0)), repeats)
    # The parts of mining, on the seeds `select` drew.
    seeds = np.random.default_rng(0).choice(labelled, size=1000)
    z0, targets = torch.from_numpy(codes[seeds]), torch.from_numpy(state.pool.labels[seeds])

    def ascent(n: int, steps: int):
        return ascend(vae, state.model, z0[:n], targets[:n], steps, s.ascent_step_size, s.ascent_normalize)

    moved = ascent(1000, s.ascent_steps).codes
    plain = plain_ascent(vae, state.model, z0, targets, s.ascent_steps, s.ascent_step_size)
    drift = torch.linalg.vector_norm(plain - moved, dim=1)
    found = state.index.nearest_available(moved.numpy(), state.pool.available_mask)
    found_plain = state.index.nearest_available(plain.numpy(), state.pool.available_mask)
    items = np.array([hits[0][0] for hits in found])
    parts = {
        "ascent": timed_cpu(lambda: ascent(1000, s.ascent_steps), repeats),
        "search": timed_cpu(lambda: state.index.nearest_available(moved.numpy(), state.pool.available_mask), repeats),
        "predict": timed_cpu(lambda: training.predict_logits(state.model, state.images.batch(items), CPU), repeats),
    }
    plain_s = timed_cpu(lambda: plain_ascent(vae, state.model, z0, targets, s.ascent_steps, s.ascent_step_size),
                        repeats)
    round_wall, round_cpu = task[0] + evaluate[0], task[1] + evaluate[1]  # a round without its mining

    def share(mining: tuple[float, float]) -> dict:
        return {"wall": round(mining[0] / (mining[0] + round_wall), 4),
                "cpu": round(mining[1] / (mining[1] + round_cpu), 4)}

    def rounded(pair: tuple[float, float]) -> dict:
        return {"wall": round(pair[0], 3), "cpu": round(pair[1], 3)}

    # What a user can turn down: ascent steps (search and prediction cost the same) or seeds.
    options = {}
    for steps in (5, 2, 1):
        t = timed_cpu(lambda: ascent(1000, steps), repeats)
        mining = tuple(t[i] + parts["search"][i] + parts["predict"][i] for i in (0, 1))
        options[f"1000_seeds_{steps}_steps"] = {"mining_seconds": rounded(mining), "share_of_round": share(mining)}
    mining = timed_cpu(lambda: snn.select(state, 100, np.random.default_rng(0)), repeats)
    options[f"100_seeds_{s.ascent_steps}_steps"] = {"mining_seconds": rounded(mining), "share_of_round": share(mining)}
    return {
        "seeds": 1000, "ascent_steps": s.ascent_steps, "ascent_chunk": ASCENT_CHUNK,
        "mining_seconds": rounded(select), "share_of_round": share(select),
        "parts_seconds": {name: rounded(v) for name, v in parts.items()},
        "task_training_seconds": rounded(task), "evaluate_10k_seconds": rounded(evaluate),
        "plain_ascent_seconds": rounded(plain_s),
        "ascent_speedup_over_plain": {"wall": round(plain_s[0] / parts["ascent"][0], 2),
                                      "cpu": round(plain_s[1] / parts["ascent"][1], 2)},
        "plain_vs_fast_codes": {"max_distance": round(float(drift.max()), 5),
                                "codes_moved_over_1e-3": int((drift > 1e-3).sum()),
                                "same_snn_pick": round(float(np.mean([a[0][0] == b[0][0] for a, b in
                                                                      zip(found, found_plain)])), 4)},
        "fewer_steps_or_seeds": options,
    }, state.model


def search_speed(codes: np.ndarray, rng, queries: int = 1000, k: int = 10) -> dict:
    index = LatentIndex(codes)
    q = codes[rng.choice(len(codes), size=queries, replace=False)] + 0.1 * rng.standard_normal((queries, codes.shape[1])).astype(np.float32)
    tc, tq = torch.from_numpy(codes), torch.from_numpy(q)
    faiss_s, faiss_cpu = timed_cpu(lambda: index.search(q, k), 5)
    torch_s, torch_cpu = timed_cpu(lambda: torch.topk(torch.cdist(tq, tc), k, largest=False), 5)
    fi = index.search(q, k)[1]
    ti = torch.topk(torch.cdist(tq, tc), k, largest=False).indices.numpy()
    agree = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(fi, ti)]))
    import faiss

    return {"queries": queries, "k": k, "pool": len(codes),
            # torch.set_num_threads also sets the OpenMP thread count faiss uses (one runtime)
            "faiss_threads": faiss.omp_get_max_threads(),
            "faiss_seconds": {"wall": round(faiss_s, 4), "cpu": round(faiss_cpu, 4)},
            "torch_cdist_topk_seconds": {"wall": round(torch_s, 4), "cpu": round(torch_cpu, 4)},
            "speedup_faiss": {"wall": round(torch_s / faiss_s, 2), "cpu": round(torch_cpu / faiss_cpu, 2)},
            "same_neighbours": round(agree, 4)}


def selection_vs_pool(ds, vae, codes, model, rng, per_round: int = 100) -> dict:
    out = {}
    for size in (10_000, 60_000):
        state = make_state(ds.pool_images[:size], codes[:size], vae, model, ds.pool_truth[:size], 1000, rng,
                           ds.pixel_scale)
        row = {}
        for name in ("snn", "entropy"):
            strategy = get_strategy(name, cfg=SamplingConfig())
            row[name] = round(timed(lambda: strategy.select(state, per_round, np.random.default_rng(0)), 2), 3)
        out[str(size)] = row
    # 1M codes: a synthetic index around the real codes. snn reads pool images only to
    # predict its retrieved items; item i of the synthetic pool shows real image i mod 60k.
    big = codes[rng.integers(0, len(codes), size=1_000_000)] + 0.05 * rng.standard_normal(
        (1_000_000, codes.shape[1])).astype(np.float32)
    labels = ds.pool_truth[np.arange(1_000_000) % len(ds.pool_truth)]
    state = make_state(np.zeros((1_000_000, 1, 1, 1), np.uint8), big, vae, model, labels, 1000, rng)
    state.images = _CyclicImages(PoolImages(ds.pool_images, ds.pixel_scale))
    snn = get_strategy("snn", cfg=SamplingConfig())
    snn_1m = timed(lambda: snn.select(state, per_round, np.random.default_rng(0)), 2)
    per_image = out["60000"]["entropy"] / 59_000  # full-pool entropy is linear in the unlabelled pool
    out["1000000"] = {"snn": round(snn_1m, 3), "entropy_extrapolated": round(per_image * 999_000, 1)}
    return out


class _CyclicImages(Images):
    """Pool images for a synthetic 1M pool: item i shows real image i mod N (only indexed, never copied)."""

    def __init__(self, images: PoolImages):
        self.images = images

    def batch(self, indices):
        return self.images.batch(np.asarray(indices) % len(self.images))

    def __len__(self) -> int:
        return 1_000_000


def trained_vae(ds, epochs: int) -> tuple[ConvVAE, np.ndarray]:
    """The recipe's VAE after `epochs` epochs over the pool (0: untrained), and the pool's codes.
    Its cost per image does not depend on the weights; the codes (where ascended codes
    land, how often two of them share a nearest neighbour) do."""
    torch.manual_seed(0)
    vae = ConvVAE(ds.shape, 16, 32)
    images = PoolImages(ds.pool_images, ds.pixel_scale)
    for _ in training.train_vae(vae, images, VaeConfig(epochs=epochs), 0, CPU) if epochs else ():
        pass
    vae.eval()
    return vae, training.encode_means(vae, images, CPU)


def summary(result: dict) -> str:
    m, t = result["mining"], result["task_training"]
    parts = ", ".join(f"{k} {v['wall']:.2f} s" for k, v in m["parts_seconds"].items())
    return "\n".join([
        f"task training, engine vs bare loop: {t['ratio_engine_over_bare']:.3f}",
        f"SNN mining, 1,000 seeds: {m['mining_seconds']['wall']:.2f} s ({parts}), "
        f"{m['share_of_round']['wall']:.1%} of a round (CPU time: {m['share_of_round']['cpu']:.1%})",
        f"ascent vs the plain implementation: {m['ascent_speedup_over_plain']['wall']:.2f}x faster",
        f"faiss vs torch cdist+topk: {result['search']['speedup_faiss']['wall']:.2f}x faster",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="../shared/data/mnist")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--task-width", type=int, default=16)
    parser.add_argument("--vae-epochs", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the full results as JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    ds = load_dataset(DataConfig(dataset="mnist", data_root=args.data_root))
    # This benchmark times compute on an in-memory float pool.
    ds.pool_images = to_float(ds.pool_images, ds.pixel_scale)
    ds.test.images = to_float(ds.test.images, ds.pixel_scale)
    cfg = TaskConfig(width=args.task_width)
    result = {"threads": args.threads, "task_width": args.task_width, "vae_epochs": args.vae_epochs,
              "load_average_at_start": list(os.getloadavg())}
    result["task_training"] = task_training(ds, cfg, args.repeats)
    vae, codes = trained_vae(ds, args.vae_epochs)
    result["mining"], model = mining_share(ds, vae, codes, cfg, rng, args.repeats)
    result["search"] = search_speed(codes, rng)
    result["selection_seconds_vs_pool"] = selection_vs_pool(ds, vae, codes, model, rng)
    result["load_average_at_end"] = list(os.getloadavg())
    print(json.dumps(result, indent=1) if args.json else summary(result))


if __name__ == "__main__":
    main()
