"""A run's pool: opened through the data layer's one path, checked and recorded in the run folder.

`open_run_pool` is what `execute` calls: it reads which pool the run started with
(`pool.json`), opens it (`data.loaders.open_pool`, its decode progress turned into
`Progress("decode")` events for the run's log, so the dashboard shows a bar for a
detached runner), refuses a pool whose data changed under a resumed run, and writes
`pool.json` and `skipped.txt` the first time. A resume reopens the pool under the
recorded key, so a run keeps the exact images it started with after the folder changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator

from alss_tui.errors import DataError, StoreError
from alss_tui.store.run_folder import RunFolder, atomic_write_bytes

POOL_FILE = "pool.json"
SKIPPED_FILE = "skipped.txt"


def drive(opening: Generator, on_progress: Callable[[int, int], None] | None = None):
    """Run an `open_pool` generator to its end, passing each (done, total) on; returns the dataset."""
    while True:
        try:
            done, total = next(opening)
        except StopIteration as finished:
            return finished.value
        if on_progress is not None:
            on_progress(done, total)


def open_run_pool(folder: RunFolder, cfg, cache_dir, emit) -> object:
    """The run's dataset, opened as `pool.json` says (or afresh), with decode events sent to `emit`."""
    from alss_tui.data.loaders import open_pool

    recorded = recorded_pool_key(folder)
    dataset = drive(open_pool(cfg.data, cache_dir, pool_key=recorded), _decode_events(emit))
    record_pool(folder, dataset, cfg.data)
    return dataset


def _decode_events(emit) -> Callable[[int, int], None]:
    """A folder's first decode as Progress("decode") events, at most a few a second."""
    from alss_tui.core.progress import ProgressThrottle

    throttle: ProgressThrottle | None = None

    def report(done: int, total: int) -> None:
        nonlocal throttle
        if throttle is None or throttle.total != total:
            throttle = ProgressThrottle("decode", 0, total)
        if (event := throttle(done)) is not None:
            emit(event)

    return report


def recorded_pool_key(folder: RunFolder) -> str | None:
    path = folder.path / POOL_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("key")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError):
        raise StoreError(f"{path}: not a readable pool record") from None


def record_pool(folder: RunFolder, dataset, data_cfg) -> None:
    """pool.json with the pool key and counts; skipped.txt listing unreadable images (path, reason).

    A pool that is not the one recorded (the data changed under a resumed run) is refused.
    """
    recorded = recorded_pool_key(folder)
    if recorded is not None:
        if dataset.pool_key is not None and recorded != dataset.pool_key:
            raise DataError(f"{data_cfg.data_root or data_cfg.dataset}: the data changed since this run started "
                            f"(pool {recorded}, now {dataset.pool_key})")
        return
    doc = {"key": dataset.pool_key, "dataset": dataset.name, "pool": len(dataset.pool_images),
           "test": len(dataset.test), "validation": len(dataset.validation) if dataset.validation else 0,
           "shape": list(dataset.shape), "pixel_scale": dataset.pixel_scale, "skipped": len(dataset.skipped)}
    if dataset.skipped:
        lines = "".join(f"{path}\t{reason}\n" for path, reason in dataset.skipped)
        atomic_write_bytes(folder.path / SKIPPED_FILE, lines.encode("utf-8"))
    atomic_write_bytes(folder.path / POOL_FILE, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))
