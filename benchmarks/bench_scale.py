"""How the pool store scales: decoding a photo folder, re-opening it, and the memory it takes.

Makes its own data (nothing is downloaded): folders of N JPEGs at 256 px in ten
class sub-folders, each a CIFAR-10 image from the local subset upscaled, tinted,
flipped and lightly noised so no two files are alike. Then, each in a fresh
process, measures the first open (decode into the pool cache) with one worker
and with every core, the cached re-open, and the peak memory of a process that
opens the cache and reads every pixel once in batches.

    python benchmarks/bench_scale.py --sizes 10000,100000 --work /big/disk/scale
    python benchmarks/bench_scale.py --synthetic-pool 1000000 --work /big/disk/scale
    python benchmarks/bench_scale.py --sizes 10000,100000 --synthetic-pool 1000000 --runner --work DIR

`--runner` also runs a whole runner on each pool (benchmarks/measure_runner_memory.py
under `/usr/bin/time -v`: the VAE, then two rounds each of `margin-sub` and `snn`)
and records peak RSS, peak anonymous memory and seconds per phase.

`--synthetic-pool N` writes an `array` dataset (images.npy uint8 (N, 3, 32, 32) +
labels.npy) that `data.dataset = "array"` maps without a copy: the pool for
runner-memory figures at a million images.

Figures go to benchmarks/results/scale-decode.json (merged by size and image side).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from proc_status import AnonSampler  # this folder is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ALSS_SHARED_DATA", REPO.parent / "shared" / "data"))
RESULTS = REPO / "benchmarks" / "results" / "scale-decode.json"
PHOTO_SIDE = 256
NOTE = "2 shared cores; other jobs ran at the same time"  # --note replaces it

# --- making the data ------------------------------------------------------------

_SOURCE: tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None = None


def _source() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """CIFAR-10 subset images (N, 32, 32, 3) uint8, labels, class names; read once per process."""
    global _SOURCE
    if _SOURCE is None:
        from alss_tui.config import DataConfig
        from alss_tui.data.loaders import load_dataset

        root = SHARED / "cifar10-subset"
        if not root.is_dir():
            sys.exit(f"needs the CIFAR-10 subset in {root} (set ALSS_SHARED_DATA)")
        ds = load_dataset(DataConfig(dataset="cifar10", data_root=str(root)))
        images = np.concatenate([ds.pool_images, ds.test.images]).transpose(0, 2, 3, 1)
        labels = np.concatenate([ds.pool_truth, ds.test.labels])
        _SOURCE = (np.ascontiguousarray(images), labels, ds.classes)
    return _SOURCE


def _variant(i: int) -> tuple[np.ndarray, int]:
    """Image i: source image i mod N, tinted, maybe mirrored, with a little noise (32 x 32 x 3)."""
    images, labels, _ = _source()
    rng = np.random.default_rng(i)
    k = i % len(images)
    img = images[k].astype(np.float32) * rng.uniform(0.6, 1.2, size=3)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    return np.clip(img, 0, 255).astype(np.uint8), int(labels[k])


def _write_photos(root: str, indices: list[int]) -> int:
    from PIL import Image

    _, _, classes = _source()
    for i in indices:
        small, label = _variant(i)
        rng = np.random.default_rng(i + 1)
        big = np.asarray(Image.fromarray(small).resize((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.BICUBIC),
                         dtype=np.float32)
        big = np.clip(big + rng.normal(0, 4, big.shape), 0, 255).astype(np.uint8)  # sensor-like grain
        Image.fromarray(big).save(os.path.join(root, classes[label], f"{i:07d}.jpg"), quality=90)
    return len(indices)


def make_photo_folder(n: int, root: Path) -> float:
    """n JPEGs at 256 px in ten class sub-folders, written in parallel; returns seconds (0 if already made)."""
    marker = root / ".complete"
    if marker.is_file() and marker.read_text().strip() == str(n):
        return 0.0
    shutil.rmtree(root, ignore_errors=True)
    for name in _source()[2]:
        (root / name).mkdir(parents=True)
    start = time.perf_counter()
    chunks = [list(range(i, min(n, i + 500))) for i in range(0, n, 500)]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(_write_photos, [str(root)] * len(chunks), chunks))
    marker.write_text(str(n))
    return time.perf_counter() - start


def make_synthetic_pool(n: int, side: int, out_dir: Path) -> Path:
    """An `array` dataset of n uint8 (3, side, side) images + labels, written in chunks (never all in memory)."""
    from PIL import Image

    out_dir.mkdir(parents=True, exist_ok=True)
    images = np.lib.format.open_memmap(out_dir / "images.npy", mode="w+", dtype=np.uint8, shape=(n, 3, side, side))
    labels = np.lib.format.open_memmap(out_dir / "labels.npy", mode="w+", dtype=np.int64, shape=(n,))
    src, src_labels, _ = _source()
    step = 20000
    for start in range(0, n, step):
        idx = np.arange(start, min(n, start + step))
        rng = np.random.default_rng(start)
        tint = rng.uniform(0.6, 1.2, size=(len(idx), 1, 1, 3))
        batch = np.clip(src[idx % len(src)].astype(np.float32) * tint, 0, 255).astype(np.uint8)
        if side != batch.shape[1]:
            batch = np.stack([np.asarray(Image.fromarray(b).resize((side, side), Image.Resampling.BILINEAR))
                              for b in batch])
        images[idx] = batch.transpose(0, 3, 1, 2)
        labels[idx] = src_labels[idx % len(src)]
    images.flush()
    labels.flush()
    del images, labels
    return out_dir


# --- measuring, in a fresh process each time ------------------------------------

def child_open(args) -> None:
    """Open (first time: decode) the folder's pool; then read every pixel once as float batches."""
    import resource

    from alss_tui.config import DataConfig
    from alss_tui.data.loaders import load_dataset
    from alss_tui.data.pool import to_float

    anon = AnonSampler(interval=0.02)
    anon.start()
    cfg = DataConfig(dataset=args.kind, data_root=args.root, image_size=args.image_size,
                     decode_workers=args.workers)
    start, cpu = time.perf_counter(), time.process_time()
    ds = load_dataset(cfg, Path(args.cache) if args.cache else None)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    # CPU seconds of this process and its finished decode workers: on a shared, overloaded
    # machine the wall clock says more about the neighbours than about the code.
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    after_open_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    total = 0.0
    t = time.perf_counter()
    for i in range(0, len(ds.pool_images), 4096):  # what a streaming pass costs: float per batch
        total += float(to_float(ds.pool_images[i:i + 4096], ds.pixel_scale).sum())
    pass_seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu,
                      "worker_cpu_seconds": workers.ru_utime + workers.ru_stime, "pool": len(ds.pool_images), "test": len(ds.test),
                      "skipped": len(ds.skipped), "memmap": isinstance(ds.pool_images, np.memmap),
                      "peak_rss_mb_after_open": after_open_kb / 1024,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "peak_anon_mb": anon.stop() / 1024, "full_pass_seconds": pass_seconds}))


def _run_child(kind: str, root: Path, cache: Path | None, image_size: int, workers: int) -> dict:
    cmd = [sys.executable, __file__, "--child", "--kind", kind, "--root", str(root), "--cache", str(cache or ""),
           "--image-size", str(image_size), "--workers", str(workers)]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start  # with interpreter start and imports
    return result


def measure_folder(n: int, work: Path, image_size: int, cores: int, reopen_repeats: int = 3) -> dict:
    root = work / f"photos-{n}"
    generated = make_photo_folder(n, root)
    row: dict = {"images": n, "photo_side": PHOTO_SIDE, "image_size": image_size, "cores": cores,
                 "generate_seconds": round(generated, 1) if generated else None,
                 "folder_mb": round(sum(f.stat().st_size for f in root.rglob("*.jpg")) / 2**20, 1)}
    for workers in (1, cores):
        cache = work / f"cache-{n}-{image_size}-w{workers}"
        shutil.rmtree(cache, ignore_errors=True)
        first = _run_child("folder", root, cache, image_size, workers)
        row[f"first_open_w{workers}"] = first
        row[f"first_open_seconds_w{workers}"] = round(first["seconds"], 2)
        row[f"images_per_second_w{workers}"] = round(n / first["seconds"], 1)
        print(f"{n} photos -> {image_size} px, {workers} worker(s): first open {first['seconds']:.1f} s "
              f"({n / first['seconds']:.0f} images/s)", flush=True)
    row["parallel_speedup"] = round(row["first_open_seconds_w1"] / row[f"first_open_seconds_w{cores}"], 2)
    reopen = [_run_child("folder", root, work / f"cache-{n}-{image_size}-w{cores}", image_size, cores)
              for _ in range(reopen_repeats)]
    row["reopen"] = reopen
    row["reopen_seconds_median"] = round(statistics.median(r["seconds"] for r in reopen), 3)
    row["reopen_cpu_seconds_median"] = round(statistics.median(r["cpu_seconds"] for r in reopen), 3)
    row["reopen_peak_rss_mb"] = round(max(r["peak_rss_mb_after_open"] for r in reopen), 1)
    row["reopen_and_full_pass_peak_rss_mb"] = round(max(r["peak_rss_mb"] for r in reopen), 1)
    row["reopen_and_full_pass_peak_anon_mb"] = round(max(r["peak_anon_mb"] for r in reopen), 1)
    print(f"{n} photos: cached re-open {row['reopen_seconds_median']:.3f} s (median of {reopen_repeats}); "
          f"peak RSS {row['reopen_and_full_pass_peak_rss_mb']:.0f} MB, anon {row['reopen_and_full_pass_peak_anon_mb']:.0f} MB "
          f"after reading every pixel", flush=True)
    shutil.rmtree(work / f"cache-{n}-{image_size}-w1", ignore_errors=True)  # the all-cores cache stays for re-use
    return row


def measure_synthetic(n: int, work: Path) -> dict:
    out = work / f"array-{n}"
    start = time.perf_counter()
    if not (out / "labels.npy").is_file() or len(np.load(out / "labels.npy", mmap_mode="r")) != n:
        make_synthetic_pool(n, 32, out)
    made = time.perf_counter() - start
    opened = [_run_child("array", out, None, 32, 1) for _ in range(3)]
    row = {"images": n, "side": 32, "make_seconds": round(made, 1),
           "npy_mb": round((out / "images.npy").stat().st_size / 2**20, 1), "open": opened,
           "open_seconds_median": round(statistics.median(r["seconds"] for r in opened), 4),
           "open_and_full_pass_peak_anon_mb": round(max(r["peak_anon_mb"] for r in opened), 1),
           "open_and_full_pass_peak_rss_mb": round(max(r["peak_rss_mb"] for r in opened), 1)}
    print(f"array pool of {n}: open {row['open_seconds_median']:.4f} s; peak anon "
          f"{row['open_and_full_pass_peak_anon_mb']:.0f} MB after reading every pixel", flush=True)
    return row


def _merge(results: dict, path: Path) -> None:
    doc = json.loads(path.read_text()) if path.is_file() else {}
    for section, rows in results.items():
        doc.setdefault(section, {}).update(rows)
    doc["machine"] = {"cores": os.cpu_count(), "note": NOTE, "load_average_at_end": list(os.getloadavg())}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")


def measure_reopen(n: int, work: Path, image_size: int, cores: int, repeats: int = 3) -> dict:
    """Only the cached re-open (the entry made by an earlier full measurement)."""
    reopen = [_run_child("folder", work / f"photos-{n}", work / f"cache-{n}-{image_size}-w{cores}", image_size, cores)
              for _ in range(repeats)]
    return {"reopen": reopen, "reopen_seconds_median": round(statistics.median(r["seconds"] for r in reopen), 3),
            "reopen_cpu_seconds_median": round(statistics.median(r["cpu_seconds"] for r in reopen), 3),
            "reopen_peak_rss_mb": round(max(r["peak_rss_mb_after_open"] for r in reopen), 1),
            "reopen_and_full_pass_peak_rss_mb": round(max(r["peak_rss_mb"] for r in reopen), 1),
            "reopen_and_full_pass_peak_anon_mb": round(max(r["peak_anon_mb"] for r in reopen), 1),
            "load_average_at_reopen": list(os.getloadavg())}


def measure_runner(kind: str, root: Path, cache: Path | None, image_size: int, label: str, strategies: str,
                   note: str) -> dict:
    """A whole runner (VAE, then two rounds of each strategy) under `/usr/bin/time -v`, in a fresh process.

    benchmarks/measure_runner_memory.py does the run and samples RssAnon; its record
    lands in results/runner-memory.json. Here we add the kernel's own peak RSS as
    `/usr/bin/time -v` reports it for the whole process.
    """
    cmd = [sys.executable, str(REPO / "benchmarks" / "measure_runner_memory.py"), str(root), "--dataset", kind,
           "--image-size", str(image_size), "--strategies", strategies, "--label", label, "--note", note]
    if cache is not None:
        cmd += ["--cache", str(cache)]
    time_bin = shutil.which("time") or "/usr/bin/time"
    done = subprocess.run([time_bin, "-v", *cmd], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"runner on {root} failed:\n{done.stderr[-2000:]}")
    peak_kb = next(int(line.split(":")[1]) for line in done.stderr.splitlines()
                   if "Maximum resident set size" in line)
    record = json.loads(done.stdout[done.stdout.index("{"):])
    record["time_v_peak_rss_mb"] = round(peak_kb / 1024, 1)
    print(f"runner {label}: peak anonymous {record['peak_rss_anon_mb']:.0f} MB, peak RSS "
          f"{record['time_v_peak_rss_mb']:.0f} MB, seconds {record['seconds']}", flush=True)
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000", help="photo folder sizes, comma separated")
    ap.add_argument("--image-size", type=int, default=32, help="data.image_size of the decoded pool")
    ap.add_argument("--synthetic-pool", type=int, default=0, help="also write and open an array pool of N images")
    ap.add_argument("--work", default="", help="where the folders and caches go (default: a temp folder)")
    ap.add_argument("--reopen-only", action="store_true", help="re-measure only the cached re-open")
    ap.add_argument("--runner", action="store_true",
                    help="also run a whole runner (VAE + two rounds of margin-sub and snn) on each pool")
    ap.add_argument("--runner-image-size", type=int, default=96, help="data.image_size of the photo runners")
    ap.add_argument("--note", default="", help="how the machine was while measuring (kept with the figures)")
    ap.add_argument("--out", default=str(RESULTS), help="results JSON (merged by size)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--kind", default="folder", help=argparse.SUPPRESS)
    ap.add_argument("--root", default="", help=argparse.SUPPRESS)
    ap.add_argument("--cache", default="", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_open(args)
        return
    if args.note:
        global NOTE
        NOTE = args.note
    import tempfile

    work = Path(args.work or tempfile.mkdtemp(prefix="alss-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    cores = len(os.sched_getaffinity(0))
    for n in [int(s) for s in args.sizes.split(",") if s]:
        if args.reopen_only:
            doc = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
            row = doc.get("folders", {}).get(f"{n}@{args.image_size}px", {})
            row.update(measure_reopen(n, work, args.image_size, cores))
            print(f"{n} photos: cached re-open {row['reopen_seconds_median']:.3f} s wall, "
                  f"{row['reopen_cpu_seconds_median']:.3f} s CPU (median)", flush=True)
            _merge({"folders": {f"{n}@{args.image_size}px": row}}, Path(args.out))
            continue
        _merge({"folders": {f"{n}@{args.image_size}px": measure_folder(n, work, args.image_size, cores)}},
               Path(args.out))
        if args.runner:
            side = args.runner_image_size
            record = measure_runner("folder", work / f"photos-{n}", work / "cache-runner", side,
                                    f"photos-{n // 1000}k-{side}px", "margin-sub,snn", NOTE)
            _merge({"runners": {f"photos-{n}@{side}px": record}}, Path(args.out))
    if args.synthetic_pool:
        _merge({"array_pools": {str(args.synthetic_pool): measure_synthetic(args.synthetic_pool, work)}},
               Path(args.out))
        if args.runner:
            n = args.synthetic_pool
            record = measure_runner("array", work / f"array-{n}", None, 32, f"array-{n // 1000}k-32px",
                                    "margin-sub,snn", NOTE)
            _merge({"runners": {f"array-{n}@32px": record}}, Path(args.out))
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
