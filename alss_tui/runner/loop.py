"""Drive the engine round by round, recording every event and checkpointing.

A round: propose -> oracle labels -> apply -> train -> evaluate -> checkpoint.
Round choices draw from generators seeded by (run seed, round), so a run
resumed from the checkpoint of round r repeats exactly what an uninterrupted
run does from r + 1 on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from alss_tui.core.engine import Engine
from alss_tui.core.events import (
    Event, LabelsRequested, PhaseStarted, RunFinished, RunStarted,
)
from alss_tui.config import to_dict
from alss_tui.runner.oracle import Oracle
from alss_tui.runner.review_material import review_material
from alss_tui.store.jsonl import JsonlWriter
from alss_tui.store.run_folder import RunFolder

KEEP_ROUND_CHECKPOINTS = 2

Listener = Callable[[Event], None]


class EventRecorder:
    """Appends each event to events.jsonl (with a wall-clock stamp) and passes it on."""

    def __init__(self, folder: RunFolder, listeners: Iterable[Listener] = ()):
        self.writer = JsonlWriter(folder.events_path)
        self.listeners = list(listeners)

    def __call__(self, event: Event) -> None:
        record = event.to_dict()
        record["t"] = round(time.time(), 3)
        self.writer.write(record)
        for listener in self.listeners:
            listener(event)

    def sync(self) -> None:
        self.writer.sync()

    def close(self) -> None:
        self.writer.close()


def run_loop(engine: Engine, oracle: Oracle, folder: RunFolder, emit: EventRecorder,
             resumed: bool = False, on_checkpoint: Callable[[Engine], None] | None = None) -> None:
    cfg = engine.cfg
    emit(RunStarted(folder.run_id, to_dict(cfg), len(engine.pool), len(engine.test_y),
                    tuple(engine.dataset.classes), resumed))
    run_start = time.perf_counter()
    # The representation first (a pool encoder to train, features to compute): the VAE may model
    # the features, and a resumed run recomputes (or reopens) features its checkpoint does not hold.
    for event in engine.prepare_representation():
        emit(event)
    if engine.vae is None:
        for event in engine.fit_vae():
            emit(event)
        _checkpoint(engine, folder, "vae", emit, on_checkpoint)
    if not folder.latent_map_path.exists():
        folder.write_latent_map(engine.latent_map())

    round_no = engine.round + 1
    while round_no == 0 or not engine.finished:
        if engine.round_size() == 0:
            break
        phase_seconds: dict[str, float] = {}
        round_start = time.perf_counter()

        def timed(phase: str, events: Iterable[Event]) -> None:
            start = time.perf_counter()
            for event in events:
                emit(event)
            phase_seconds[phase] = phase_seconds.get(phase, 0.0) + time.perf_counter() - start

        timed("propose", engine.propose(round_no))
        selection = engine.pending
        assert selection is not None
        _write_review(engine, folder, round_no, selection, oracle)
        # A runner restarted after a person's submit finds the round answered: nothing is requested.
        if not getattr(oracle, "answered", lambda _: False)(round_no):
            emit(LabelsRequested(round_no, len(selection.candidates), oracle.name))
        start = time.perf_counter()
        emit(PhaseStarted("label", round_no, len(selection.candidates)))
        labels = oracle.label(round_no, selection.candidates, selection.synthetic)
        phase_seconds["label"] = time.perf_counter() - start
        timed("label", engine.apply_labels(round_no, labels))
        timed("task", engine.train_task(round_no))
        timed("evaluate", engine.evaluate(round_no))
        for event in engine.finish_round(round_no, time.perf_counter() - round_start, phase_seconds):
            emit(event)
        _checkpoint(engine, folder, f"round-{round_no:03d}", emit, on_checkpoint)
        round_no += 1
    emit(RunFinished(engine.round, engine.labelled_count, engine.last_accuracy,
                     time.perf_counter() - run_start, engine.accuracy_split))
    emit.sync()


def _write_review(engine: Engine, folder: RunFolder, round_no: int, selection, oracle: Oracle | None = None) -> None:
    import dataclasses

    document = {"round": round_no, "strategy": cfg_strategy(engine, round_no),
                "classes": list(engine.dataset.classes),
                "candidates": [dataclasses.asdict(c) for c in selection.candidates]}
    # An oracle that can only suggest (a labelling function beside a person) says so in the review.
    suggest = getattr(oracle, "suggest", None)
    if suggest is not None:
        suggestions = suggest(selection.candidates, selection.synthetic)
        for cand in document["candidates"]:
            if suggestions.get(cand["item"]) is not None:
                cand["suggestion"] = int(suggestions[cand["item"]])
    paths = engine.dataset.pool_paths
    if paths is not None:
        # Absolute: the review screen may run from another directory than the runner.
        for cand in document["candidates"]:
            if cand["kind"] == "pool":
                cand["path"] = os.path.abspath(paths[cand["item"]])
            if cand.get("seed_index") is not None:
                cand["seed_path"] = os.path.abspath(paths[cand["seed_index"]])
    folder.write_review(round_no, document, review_material(engine, selection))


def cfg_strategy(engine: Engine, round_no: int) -> str:
    initial = engine.cfg.sampling.initial_strategy
    if round_no == 0:
        return "initial" if initial == "random" else f"initial:{initial}"
    return engine.cfg.sampling.strategy


def _checkpoint(engine: Engine, folder: RunFolder, tag: str, emit: EventRecorder,
                on_checkpoint: Callable[[Engine], None] | None) -> None:
    emit.sync()  # the log is durable up to the checkpoint it describes
    folder.save_checkpoint(tag, engine.state_dict())
    rounds = sorted(folder.checkpoint_dir.glob("round-*.pt"))
    for old in rounds[:-KEEP_ROUND_CHECKPOINTS]:
        old.unlink(missing_ok=True)
    if on_checkpoint is not None:
        on_checkpoint(engine)

