"""Execute a run in this process: load data, build the engine, run the loop."""

from __future__ import annotations

import traceback
from pathlib import Path
from collections.abc import Iterable
from typing import TYPE_CHECKING

from alss_tui.config import RunConfig
from alss_tui.core.events import RunFailed
from alss_tui.errors import AlssError, StoreError
from alss_tui.runner.human import AwaitingLabels
from alss_tui.runner.loop import EventRecorder, Listener, run_loop
from alss_tui.runner.registry_sync import RegistrySync
from alss_tui.store.locks import RunLock
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder

if TYPE_CHECKING:  # the engine imports torch: only the functions that build one load it
    from alss_tui.core.engine import Engine


def prepare(cfg: RunConfig, cache_dir=None, progress=None, pool_key: str | None = None) -> Engine:
    """Load the data and build the engine: fails on a bad dataset or budget before any folder exists.

    cache_dir: where decoded pools live (store.home.pool_cache_dir); progress: (done, total) while decoding;
    pool_key: the pool a resumed run started with.
    """
    from alss_tui.core.engine import Engine
    from alss_tui.data.loaders import open_pool
    from alss_tui.runner.pool_open import drive

    # The pools' folder sits in the home's cache, beside the encoders and features (store.home).
    cache = Path(cache_dir).parent if cache_dir is not None else None
    return Engine(cfg, drive(open_pool(cfg.data, cache_dir, pool_key), progress), cache)


def refuse_finished(folder: RunFolder) -> None:
    """A run that spent its budget has nothing to resume: one line, and its log stays as it is."""
    from alss_tui.store.run_fold import fold_log

    if fold_log(folder.events_path)[0].finished:
        raise StoreError(f"run {folder.run_id} has finished (its budget is spent); nothing to resume. "
                         "Start a new run to label more (alss-tui new)")


def execute(folder: RunFolder, listeners: Iterable[Listener] = (), *, resume: bool = False,
            engine: Engine | None = None, registry: Registry | None = None) -> Engine:
    """Run (or resume) the run in `folder` to the end, holding its run lock; returns the engine.

    `engine`: one already built for this run's config (the CLI builds it before
    the folder exists, so bad data fails first; the bench hands it its cached
    VAE); else it is built here. `registry`: kept in step with the events.
    Domain errors are recorded as RunFailed and re-raised; any other error is
    recorded the same way, with its traceback appended to runner.log. At a label
    gate nobody has submitted yet, raises AwaitingLabels with the lock released:
    the run waits without a process, and the submit starts it again.
    """
    from alss_tui.runner.memory import fix_mmap_threshold

    if resume:
        refuse_finished(folder)
    fix_mmap_threshold()  # a runner lives for hours; keep its memory from creeping up
    try:
        with RunLock(folder.lock_path):
            return _execute_locked(folder, listeners, resume=resume, engine=engine, registry=registry)
    except AwaitingLabels as waiting:
        from alss_tui.runner.gate import continue_after_submit
        from alss_tui.store.labels import LabelLog

        # A submit that landed while this process still held the lock found it held and
        # left the restart to us. Only a submit of the round this runner waits at: another
        # submitted round (a later one, when a runner without a checkpoint starts over)
        # would start a runner that stops here again, and again.
        if LabelLog(folder.labels_path).round(waiting.round).is_submitted:
            home = registry.home if registry is not None else folder.path.parent.parent
            continue_after_submit(home, folder)
        raise


def _execute_locked(folder: RunFolder, listeners: Iterable[Listener], *, resume: bool,
                    engine: Engine | None, registry: Registry | None) -> Engine:
    from alss_tui.core.engine import Engine
    from alss_tui.runner.oracle import make_oracle
    from alss_tui.runner.pool_open import open_run_pool, record_pool
    from alss_tui.store.home import cache_root, pool_cache_dir

    cfg = folder.load_config()
    listeners = list(listeners)
    if registry is not None:
        listeners.append(RegistrySync(registry, folder.run_id))
    recorder = EventRecorder(folder, listeners)
    try:
        if engine is None:
            # A run folder lives at <home>/runs/<id>; its pools at <home>/cache/pools.
            home = folder.path.parent.parent
            engine = Engine(cfg, open_run_pool(folder, cfg, pool_cache_dir(home), recorder), cache_root(home))
        else:
            record_pool(folder, engine.dataset, cfg.data)  # built before the folder existed (or handed over by a bench)
        dataset = engine.dataset
        if resume:
            path = folder.latest_checkpoint()
            if path is not None:
                try:
                    engine.load_state_dict(folder.load_checkpoint(path))
                except (KeyError, ValueError, RuntimeError) as exc:
                    raise StoreError(f"{path}: does not fit this run ({exc})") from None
        oracle = make_oracle(cfg.oracle, dataset.pool_truth, dataset.classes, folder, cfg.seed)
        run_loop(engine, oracle, folder, recorder, resumed=resume)
        return engine
    except AwaitingLabels:
        if registry is not None:
            registry.upsert(folder.run_id, pid=None)
        raise
    except AlssError as exc:
        recorder(RunFailed(str(exc)))
        raise
    except KeyboardInterrupt:
        recorder(RunFailed("interrupted"))
        raise
    except Exception as exc:
        recorder(RunFailed(f"{exc.__class__.__name__}: {exc}"))
        with open(folder.log_path, "a", encoding="utf-8") as log:
            traceback.print_exc(file=log)
        raise
    finally:
        recorder.close()
