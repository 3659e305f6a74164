"""How much of a fall between two rounds is the held-out split, not the model.

    python experiments/archive/held_out_noise.py BENCH.json --strategy margin-sub [--seeds 1,4] [--threads 1] [--json OUT]

Reruns the bench's runs of one strategy (their recorded configs, the bench home's
cached VAE and pool: `ALSS_HOME` as for the bench) and scores every round's task
model on *both* held-out splits, validation and test. A rerun must reproduce the
recorded curve on the split the bench scored, to the last digit, or the script
stops: the models it scores are then the bench's own.

For each step from one round to the next it prints the change in accuracy on each
split and how many held-out images are right under one model and wrong under the
other ("flips"). Those flips bound what one split can say: the change measured on
n images has a standard error of about sqrt(flips) / n from the choice of images
alone (the paired, McNemar-style view), however good the recipe is.

Needs data.validation_size > 0 (both splits exist). Chooses nothing: it reads the
test split only to measure evaluation noise, after every verdict.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

import numpy as np

from alss_tui.bench.figures import largest_drop
from alss_tui.bench.summary import read_document
from alss_tui.errors import AlssError

SPLITS = ("validation", "test")


def transitions(labelled: list[int], correct: list[np.ndarray]) -> list[dict]:
    """Round-to-round change on one split, from each round's per-image correctness (bool arrays)."""
    rows = []
    for k in range(1, len(correct)):
        before, after = correct[k - 1], correct[k]
        flips = int((before != after).sum())
        n = len(after)
        rows.append({"from": labelled[k - 1], "to": labelled[k],
                     "change": float(after.mean() - before.mean()), "flips": flips,
                     "se": math.sqrt(flips) / n})
    return rows


def largest_fall(correct: list[np.ndarray]) -> float:
    """The bench's largest drop, on the accuracy each round's correctness gives."""
    return largest_drop([float(c.mean()) for c in correct])


def round_mismatch(labelled: int, accuracy: float, want: tuple[int, float] | None) -> str | None:
    """Why a rerun's round is not the recorded one (`want`: recorded (labelled, accuracy)), or None."""
    if want is not None and want[0] == labelled and abs(want[1] - accuracy) <= 1e-6:
        return None
    return (f"the rerun does not reproduce the recorded run ({accuracy:.4f} at {labelled} labels, "
            f"recorded {want}); its models are not the bench's")


class NotReproduced(Exception):
    pass


def rerun_scores(run_id: str, home: Path, recorded_curve: list[tuple[int, float]], threads: int) -> dict:
    """Rerun one recorded run; each round's labelled count and per-image correctness on both splits.

    Each round is checked against `recorded_curve` ((labelled, accuracy) on the bench's
    split) as it finishes, so a rerun that has drifted stops at once.
    """
    import torch

    # Float sums depend on the thread count: a run reproduces only with its bench's threads.
    torch.set_num_threads(threads)

    from alss_tui.core import training
    from alss_tui.core.events import RoundFinished
    from alss_tui.core.pool_images import PoolImages
    from alss_tui.bench.vae_state import VaeCache
    from alss_tui.runner.execute import execute, prepare
    from alss_tui.store.home import pool_cache_dir
    from alss_tui.store.run_folder import RunFolder

    recorded = RunFolder(home / "runs" / run_id)
    if not recorded.config_path.is_file():
        raise SystemExit(f"run {run_id}: not in {home / 'runs'} (set ALSS_HOME to the bench's home)")
    cfg = recorded.load_config()
    engine = prepare(cfg, pool_cache_dir(home))
    ds = engine.dataset
    if ds.validation is None:
        raise SystemExit(f"run {run_id}: its config has no validation split (data.validation_size = 0)")
    VaeCache(home).attach(engine)
    held_out = {name: (PoolImages(split.images, ds.pixel_scale), torch.from_numpy(split.labels))
                for name, split in (("validation", ds.validation), ("test", ds.test))}
    out = {"split": cfg.task.evaluate_on, "labelled": [], "accuracy": [],
           "correct": {name: [] for name in SPLITS}}

    def score_both(event) -> None:
        if not isinstance(event, RoundFinished):
            return
        out["labelled"].append(event.labelled)
        out["accuracy"].append(event.accuracy)
        k = len(out["labelled"]) - 1
        why = round_mismatch(event.labelled, event.accuracy, recorded_curve[k] if k < len(recorded_curve) else None)
        if why:
            raise NotReproduced(f"{why} (--threads must be the bench's threads per run)")
        for name, (x, y) in held_out.items():
            pred = training.predict_logits(engine.model, x, engine.device).argmax(1)
            out["correct"][name].append((pred == y).numpy())

    with tempfile.TemporaryDirectory() as scratch:
        try:
            execute(RunFolder.create(Path(scratch) / "runs", cfg), [score_both], engine=engine)
        except NotReproduced as exc:
            raise SystemExit(f"run {run_id}: {exc}") from None
    return out


def check_reproduced(seed: int, rerun: dict, labelled: list[int], accuracy: list[float]) -> None:
    if rerun["labelled"] != labelled:
        raise SystemExit(f"seed {seed}: the rerun visited {rerun['labelled']} labels, the bench {labelled}")
    for n, ours, theirs in zip(labelled, rerun["accuracy"], accuracy):
        if why := round_mismatch(n, ours, (n, theirs)):
            raise SystemExit(f"seed {seed}: {why}")


def seed_report(seed: int, run_id: str, rerun: dict) -> dict:
    per_split = {name: transitions(rerun["labelled"], rerun["correct"][name]) for name in SPLITS}
    both = [np.concatenate([v, t]) for v, t in zip(rerun["correct"]["validation"], rerun["correct"]["test"])]
    return {"seed": seed, "run_id": run_id, "sizes": {name: len(rerun["correct"][name][0]) for name in SPLITS},
            "transitions": per_split, "pooled": transitions(rerun["labelled"], both),
            "largest_fall": {**{name: largest_fall(rerun["correct"][name]) for name in SPLITS},
                             "pooled": largest_fall(both)}}


def markdown(report: dict) -> str:
    sizes = report["sizes"]
    lines = [f"seed {report['seed']} (run {report['run_id']}; validation {sizes['validation']}, "
             f"test {sizes['test']} images)", "",
             "| labels | validation change | flips | se | test change | flips | se | both splits change |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    val, test, pooled = report["transitions"]["validation"], report["transitions"]["test"], report["pooled"]
    for v, t, p in zip(val, test, pooled):
        lines.append(f"| {v['from']} -> {v['to']} | {v['change'] * 100:+.2f} | {v['flips']} | {v['se'] * 100:.2f} "
                     f"| {t['change'] * 100:+.2f} | {t['flips']} | {t['se'] * 100:.2f} | {p['change'] * 100:+.2f} |")
    falls = report["largest_fall"]
    lines += ["", f"largest fall: validation {falls['validation'] * 100:.2f}, test {falls['test'] * 100:.2f}, "
                  f"both splits {falls['pooled'] * 100:.2f} points", ""]
    return "\n".join(lines)


def run_id_of(doc: dict, sdoc: dict, seed: int) -> str:
    """The run of `seed`: a bench lists run ids by *its* seeds (None where a strategy has no run)."""
    bench_seeds = doc.get("seeds", sdoc["seeds"])
    ids = sdoc["run_ids"]
    run_id = ids[bench_seeds.index(seed)] if len(ids) == len(bench_seeds) else ids[sdoc["seeds"].index(seed)]
    if not run_id:
        raise SystemExit(f"seed {seed}: the bench records no run id for it")
    return run_id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench", type=Path, help="an `alss-tui bench --json` document")
    parser.add_argument("--strategy", required=True)
    parser.add_argument("--seeds", help="comma-separated seeds (default: every seed of the strategy)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads, as the bench gave each run (1 with --jobs 2 on two cores)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    if args.threads < 1:
        raise SystemExit(f"--threads {args.threads}: must be at least 1")
    try:
        doc = read_document(args.bench)  # the document as written: only its runs and curves are read
    except AlssError as exc:
        raise SystemExit(str(exc)) from None
    sdoc = doc.get("strategies", {}).get(args.strategy)
    if sdoc is None:
        raise SystemExit(f"{args.bench}: no strategy {args.strategy!r} "
                         f"(it has {', '.join(doc.get('strategies', {})) or 'none'})")
    try:
        wanted = [int(s) for s in args.seeds.split(",")] if args.seeds else list(sdoc["seeds"])
    except ValueError:
        raise SystemExit(f"--seeds {args.seeds!r}: expected comma-separated integers") from None
    missing = [s for s in wanted if s not in sdoc["seeds"]]
    if missing:
        raise SystemExit(f"{args.bench}: {args.strategy} has no run at seed(s) {missing} (it has {sdoc['seeds']})")

    from alss_tui.store.home import resolve_home

    home = resolve_home()
    labelled = [point["labelled"] for point in sdoc["curve"]]
    reports = []
    for seed in wanted:
        k = sdoc["seeds"].index(seed)
        run_id = run_id_of(doc, sdoc, seed)
        recorded = [point["per_seed"][k] for point in sdoc["curve"]]
        try:
            rerun = rerun_scores(run_id, home, list(zip(labelled, recorded)), args.threads)
        except AlssError as exc:  # a run folder, pool or cache that cannot be read: one line
            raise SystemExit(f"seed {seed} (run {run_id}): {exc}") from None
        check_reproduced(seed, rerun, labelled, recorded)
        reports.append(seed_report(seed, run_id, rerun))
        print(markdown(reports[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"bench_id": doc.get("bench_id"), "strategy": args.strategy,
                                         "recorded_split": doc.get("split"), "seeds": reports}, indent=1) + "\n")


if __name__ == "__main__":
    main()
