"""Peak memory of a runner on a whole pool: peak RSS and peak anonymous memory.

    python benchmarks/measure_runner_memory.py PATH/TO/MNIST --label after
    python benchmarks/measure_runner_memory.py PATH/TO/PHOTOS --dataset folder --image-size 96 \
        --cache PATH/TO/CACHE --strategies margin-sub,snn --label photos-100k-96px

Runs what a runner runs (the fixed mmap threshold, the VAE, then for each strategy the
initial subset and two rounds, task training and evaluation) in this process, while a thread
samples /proc/self/status every 10 ms. Peak RSS is the kernel's own high-water mark
(VmHWM); peak RssAnon is the largest sample: anonymous pages are the process's own
memory, while file-backed pages of a memory-mapped pool are the kernel's to drop.
Appends one record to benchmarks/results/runner-memory.json. Linux only.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from proc_status import AnonSampler, status_kb  # this folder is on sys.path when run as a script

RESULTS = Path(__file__).resolve().parent / "results" / "runner-memory.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_root", help="the dataset's data.data_root")
    parser.add_argument("--dataset", default="mnist", help="data.dataset (mnist, folder, array, ...)")
    parser.add_argument("--image-size", type=int, default=32, help="data.image_size (folders)")
    parser.add_argument("--note", default="2-core machine shared with other jobs: seconds are indicative, "
                        "memory is this process's own", help="how the machine was when measured")
    parser.add_argument("--cache", help="pool cache folder: the pool is decoded once and memory-mapped")
    parser.add_argument("--label", required=True, help="what this measurement is of, e.g. before/after")
    parser.add_argument("--strategies", default="snn",
                        help="comma-separated; the VAE is trained once and every strategy runs on it in turn")
    parser.add_argument("--vae-epochs", type=int, default=1)
    parser.add_argument("--save-codes", help="write the pool's VAE codes to this .npy (for bench_index.py)")
    args = parser.parse_args()

    from alss_tui.runner.memory import fix_mmap_threshold

    fix_mmap_threshold()
    sampler = AnonSampler()
    sampler.start()
    baseline_anon = status_kb("RssAnon")

    import torch

    from alss_tui.config import DataConfig, RunConfig, SamplingConfig, TaskConfig, VaeConfig
    from alss_tui.core.engine import Engine
    from alss_tui.data.loaders import load_dataset
    from alss_tui.runner.oracle import SimulatedOracle

    strategies = args.strategies.split(",")
    cfg = RunConfig(name="memory", seed=0, device="cpu", data=DataConfig(dataset=args.dataset, data_root=args.data_root,
                                                                    image_size=args.image_size),
                    vae=VaeConfig(epochs=args.vae_epochs), task=replace(TaskConfig(), width=16, steps=100, epochs=0),  # fixed: as in earlier records
                    sampling=SamplingConfig(strategy=strategies[0], initial=100, per_round=100, budget=300))
    start = time.perf_counter()
    phases, accuracy = {}, {}

    def lap(name: str) -> None:
        phases[name] = time.perf_counter() - start - sum(phases.values())

    sampler.phase = "load"
    dataset = load_dataset(cfg.data, Path(args.cache) if args.cache else None)
    engine = Engine(cfg, dataset)
    lap("load")
    oracle = SimulatedOracle(engine.dataset.pool_truth)
    sampler.phase = "vae"
    list(engine.fit_vae())
    lap("vae+encode")
    vae_state, codes = engine.vae.state_dict(), engine.codes
    for strategy in strategies:
        if strategy != strategies[0]:  # the same VAE and codes, as a bench's cells of one seed
            engine = Engine(replace(cfg, sampling=replace(cfg.sampling, strategy=strategy)), dataset)
            engine.use_vae(vae_state, codes)
        for r in range(cfg.rounds + 1):
            sampler.phase = f"{strategy} round {r}"
            list(engine.propose(r))
            list(engine.apply_labels(r, oracle.label(r, engine.pending.candidates, engine.pending.synthetic)))
            list(engine.train_task(r))
            list(engine.evaluate(r))
            list(engine.finish_round(r, 0.0, {}))
            lap(f"{strategy} round {r}")
        accuracy[strategy] = engine.last_accuracy
    sampler.stop()
    if args.save_codes:
        import numpy as np

        np.save(args.save_codes, codes)
    record = {
        "label": args.label, "dataset": args.dataset, "shape": list(engine.dataset.shape), "pool": len(engine.pool),
        "strategies": strategies, "rounds": cfg.rounds, "vae_epochs": args.vae_epochs, "accuracy": accuracy,
        "peak_rss_mb": round(status_kb("VmHWM") / 1024, 1),
        "peak_rss_anon_mb": round(sampler.peak_kb / 1024, 1), "peak_anon_phase": sampler.peak_phase,
        "anon_at_start_mb": round(baseline_anon / 1024, 1),
        "peak_anon_mb_by_phase": {k: round(v / 1024, 1) for k, v in sampler.by_phase.items()},
        "seconds": {k: round(v, 1) for k, v in phases.items()},
        "torch_threads": torch.get_num_threads(),
        "note": args.note,
    }
    print(json.dumps(record, indent=1))
    records = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps([r for r in records if r["label"] != args.label] + [record], indent=1) + "\n")


if __name__ == "__main__":
    main()
