"""Figures a run produces, recorded once and compared after any change to how pixels are read.

`python tests/streaming_figures.py` writes tests/fixtures/streaming-figures.json;
tests/test_pool_streaming.py recomputes the same figures and asserts equality.
The fixture was recorded from the loader that held the pool as float32 in memory,
so the test pins the streamed uint8 pool to exactly that behaviour.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "streaming-figures.json"
sys.path.insert(0, str(HERE))

# SI is not here: its figures were recorded under the old seed rule, and labelled synthetic
# images now seed later rounds, so its picks changed for a reason that is not storage.
DIGITS_STRATEGIES = ("random", "snn", "margin-sub", "coreset")
MNIST_STRATEGIES = ("random", "snn")


def environment() -> dict:
    """What float results depend on besides the code: CPU kernels, library versions, threads."""
    import torch

    return {"machine": platform.machine(), "cpu_model": cpu_model(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "torch": torch.__version__.split("+")[0], "numpy": np.__version__,
            "threads": torch.get_num_threads()}


def cpu_model() -> str:
    """The CPU's model name: two models of one instruction set round float sums differently
    (their LAPACK and reduction kernels differ), and after a VAE epoch the picks differ."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def float_pool_strides(channel_stride_by_size: dict[int, int]):
    """Streamed batches with the strides the float32 pool's batches had, by pool size
    (see tests/test_pool_streaming.py for why the MNIST figures need them); undo() restores."""
    from alss_tui.core.pool_images import PoolImages

    plain = PoolImages._converted

    def restrided(self, batch_u8):
        out = plain(self, batch_u8)
        n, c, h, w = out.shape
        return out.as_strided(out.shape, (c * h * w, channel_stride_by_size[len(self)], w, 1))

    PoolImages._converted = restrided
    return lambda: setattr(PoolImages, "_converted", plain)


MNIST_STRIDES = {3000: 1, 10_000: 0}


def digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def configs(mnist_root: str | None) -> dict:
    from alss_tui.config import DataConfig, VaeConfig
    from conftest import tiny_config

    def recorded_recipe(**sampling):
        # The figures were recorded when every round trained a fresh model on items drawn
        # alike: keep that recipe.
        cfg = tiny_config(**sampling)
        return replace(cfg, task=replace(cfg.task, restart_each_round=True, class_balance=0.0))

    out = {f"digits-{s}": recorded_recipe(strategy=s) for s in DIGITS_STRATEGIES}
    if mnist_root:
        for s in MNIST_STRATEGIES:
            cfg = recorded_recipe(strategy=s)
            out[f"mnist-{s}"] = replace(cfg, data=DataConfig(dataset="mnist", data_root=mnist_root, pool_limit=3000),
                                        vae=VaeConfig(epochs=1, width=16))
    return out


def figures(cfg) -> dict:
    """Every round's picks, accuracy and test loss, the VAE's epoch losses and the review pixels."""
    from alss_tui.core.engine import Engine
    from alss_tui.core.events import EpochEnded, Evaluated
    from alss_tui.runner.review_material import review_material
    from alss_tui.data.loaders import load_dataset

    engine = Engine(cfg, load_dataset(cfg.data))
    truth = engine.dataset.pool_truth
    vae_losses = [e.losses["loss"] for e in engine.fit_vae() if isinstance(e, EpochEnded)]
    rounds = []
    for r in range(cfg.rounds + 1):
        list(engine.propose(r))
        sel = engine.pending
        review = review_material(engine, sel)
        # Synthetic (SI) images take their seed's label: a stand-in oracle for a figure, not a benchmark.
        labels = {c.item: int(c.seed_label if c.kind == "synthetic" else truth[c.item]) for c in sel.candidates}
        list(engine.apply_labels(r, labels))
        list(engine.train_task(r))
        evaluated = [e for e in engine.evaluate(r) if isinstance(e, Evaluated)][0]
        list(engine.finish_round(r, 0.0, {}))
        rounds.append({"picked": [c.item for c in sel.candidates], "accuracy": evaluated.accuracy,
                       "loss": evaluated.loss,
                       "review": {k: digest(v) for k, v in sorted(review.items())}})
    return {"vae_losses": vae_losses, "codes": digest(engine.codes), "rounds": rounds}


def main() -> None:
    from conftest import SHARED_DATA

    mnist = SHARED_DATA / "mnist"
    runs = {}
    for name, cfg in configs(str(mnist) if mnist.is_dir() else None).items():
        undo = float_pool_strides(MNIST_STRIDES) if name.startswith("mnist") else (lambda: None)
        try:
            runs[name] = figures(cfg)
        finally:
            undo()
    out = {"environment": environment(), "runs": runs}
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {FIXTURE}: {', '.join(out['runs'])}")


if __name__ == "__main__":
    main()
