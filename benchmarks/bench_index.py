"""Exact vs approximate nearest-neighbour search over latent codes: build and search
seconds, recall@1 against exact search, at 100k and 1M 16-dimensional codes.

    python benchmarks/bench_index.py                        # synthetic codes, 100k and 1M
    python benchmarks/bench_index.py --real-codes codes.npy # also a real VAE's codes

Synthetic codes look like a VAE's latent means: a mixture of 10 clusters in 10
active dimensions, 6 nearly collapsed ones. Queries are what SNN searches with:
pool codes moved 1.0 in a random direction (ten ascent steps of 0.2 move at most
2.0). Each approximate kind is built once and searched with several settings
(IVF nprobe, HNSW efSearch); the settings in core/latent_index.py are the
cheapest that keep recall@1 >= 0.95 here. The total cost of a run's searches,
build included, decides `auto`'s threshold: the pool size above which an
approximate index costs less than exact search over QUERIES_PER_RUN queries.
Writes benchmarks/results/index.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "index.json"
QUERIES = 1000
QUERIES_PER_RUN = 10_000  # a generous run: budget-many SNN queries, each widened once or twice
IVF_PROBES = (4, 8, 16, 32, 64)
HNSW_EF = (16, 32, 64, 128)


def synthetic_codes(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    active = 10
    centres = rng.normal(size=(10, active)) * 1.5
    x = np.empty((n, d), dtype=np.float32)
    x[:, :active] = centres[rng.integers(0, 10, n)] + rng.normal(size=(n, active))
    x[:, active:] = 0.05 * rng.normal(size=(n, d - active))
    return x


def snn_queries(codes: np.ndarray, n: int, rng: np.random.Generator, length: float = 1.0) -> np.ndarray:
    start = codes[rng.integers(0, len(codes), n)]
    step = rng.normal(size=start.shape)
    step *= length / np.linalg.norm(step, axis=1, keepdims=True)
    return (start + step).astype(np.float32)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def bench(codes: np.ndarray, queries: np.ndarray, label: str) -> dict:
    import faiss

    from alss_tui.core import latent_index as li

    n = len(codes)
    print(f"{label}: {n:,} codes", flush=True)
    flat, build = timed(lambda: li.build_faiss_index(codes, "flat"))
    (_, exact), search = timed(lambda: flat.search(queries, 1))
    out = {"codes": n, "dim": codes.shape[1], "queries": len(queries),
           "flat": {"build_s": round(build, 3), "search_s": round(search, 3), "recall_at_1": 1.0}}
    print(f"  flat  build {build:.2f}s  search {search:.2f}s", flush=True)

    ivf, build = timed(lambda: li.build_faiss_index(codes, "ivf"))
    sweep = []
    for probe in IVF_PROBES:
        ivf.nprobe = min(probe, ivf.nlist)
        (_, got), search = timed(lambda: ivf.search(queries, 1))
        sweep.append({"nprobe": ivf.nprobe, "search_s": round(search, 3),
                      "recall_at_1": round(float(np.mean(got[:, 0] == exact[:, 0])), 4)})
        print(f"  ivf   nlist {ivf.nlist} nprobe {ivf.nprobe:3d}  search {search:.2f}s  "
              f"recall@1 {sweep[-1]['recall_at_1']:.3f}", flush=True)
    ivf.nprobe = min(ivf.nlist, max(li.IVF_MIN_PROBE, int(np.ceil(li.IVF_PROBE_SHARE * ivf.nlist))))
    (_, got), search = timed(lambda: ivf.search(queries, 1))
    out["ivf"] = {"build_s": round(build, 3), "nlist": ivf.nlist, "sweep": sweep,
                  "default": {"nprobe": ivf.nprobe, "search_s": round(search, 3),
                              "recall_at_1": round(float(np.mean(got[:, 0] == exact[:, 0])), 4)}}
    print(f"  ivf   build {build:.2f}s  default nprobe {ivf.nprobe}: {out['ivf']['default']}", flush=True)

    hnsw, build = timed(lambda: li.build_faiss_index(codes, "hnsw"))
    sweep = []
    for ef in HNSW_EF:
        hnsw.hnsw.efSearch = ef
        (_, got), search = timed(lambda: hnsw.search(queries, 1))
        sweep.append({"efSearch": ef, "search_s": round(search, 3),
                      "recall_at_1": round(float(np.mean(got[:, 0] == exact[:, 0])), 4)})
        print(f"  hnsw  efSearch {ef:3d}  search {search:.2f}s  recall@1 {sweep[-1]['recall_at_1']:.3f}", flush=True)
    hnsw.hnsw.efSearch = li.HNSW_EF_SEARCH
    (_, got), search = timed(lambda: hnsw.search(queries, 1))
    out["hnsw"] = {"build_s": round(build, 3), "M": li.HNSW_M, "efConstruction": li.HNSW_EF_CONSTRUCTION,
                   "sweep": sweep,
                   "default": {"efSearch": li.HNSW_EF_SEARCH, "search_s": round(search, 3),
                               "recall_at_1": round(float(np.mean(got[:, 0] == exact[:, 0])), 4)}}
    print(f"  hnsw  build {build:.2f}s  default: {out['hnsw']['default']}", flush=True)
    per_query = QUERIES_PER_RUN / len(queries)
    out["run_cost_s"] = {kind: round(out[kind]["build_s"] + per_query * (out[kind]["default"]["search_s"]
                                                                       if kind != "flat" else out[kind]["search_s"]), 2)
                         for kind in ("flat", "ivf", "hnsw")}
    print(f"  cost of {QUERIES_PER_RUN:,} queries, build included: {out['run_cost_s']}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--real-codes", help=".npy of a real VAE's pool codes")
    parser.add_argument("--note", default="2-core machine shared with other jobs while measuring: seconds are indicative",
                        help="how the machine was while measuring (kept with these rows)")
    args = parser.parse_args()

    import faiss

    rng = np.random.default_rng(0)
    runs = []
    for n in (int(s) for s in args.sizes.split(",")):
        codes = synthetic_codes(n, 16, rng)
        runs.append({"data": "synthetic", **bench(codes, snn_queries(codes, QUERIES, rng), f"synthetic {n:,}")})
    if args.real_codes:
        codes = np.load(args.real_codes).astype(np.float32)
        # Queries from held-out codes moved like SNN's: never the indexed points themselves.
        perm = rng.permutation(len(codes))
        held, pool = codes[perm[:QUERIES]], np.ascontiguousarray(codes[perm[QUERIES:]])
        runs.append({"data": "real VAE codes (MNIST)", **bench(pool, snn_queries(held, QUERIES, rng), "real")})
    for run in runs:
        run["note"] = args.note
    # Rows of other sizes measured earlier stay; a size measured again replaces its row.
    earlier = json.loads(RESULTS.read_text()).get("runs", []) if RESULTS.is_file() else []
    fresh = {(r["data"], r["codes"]) for r in runs}
    runs = [r for r in earlier if (r["data"], r["codes"]) not in fresh] + runs
    record = {"runs": runs, "faiss": faiss.__version__, "omp_threads": faiss.omp_get_max_threads(),
              "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
              "queries_per_run": QUERIES_PER_RUN}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
