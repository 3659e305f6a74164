"""Drive the engine round by round, recording every event and checkpointing.

A round: propose -> oracle labels -> apply -> train -> evaluate -> the stopping
signal -> checkpoint, until the budget is spent (or, with sampling.stop = stable, the
predictions stop changing). The first round needs no model: it is proposed before
the representation and the VAE train, so a person labels while they do.
Round choices draw from generators seeded by (run seed, round), so a run
resumed from the checkpoint of round r repeats exactly what an uninterrupted
run does from r + 1 on.
"""

from __future__ import annotations

import os
import time

import numpy as np
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from alss_tui.core.engine import Engine
from alss_tui.core.strategies.base import Selection
from alss_tui.core.events import (
    Event, LabelsRequested, PhaseStarted, RunFinished, RunStarted,
)
from alss_tui.config import to_dict
from alss_tui.runner.oracle import Oracle
from alss_tui.runner.review_material import review_material
from alss_tui.store.jsonl import JsonlWriter
from alss_tui.store.labels import LabelLog
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
    round_no = engine.round + 1
    # A round that needs no model (the random first one) is proposed before anything trains: a
    # person labels it while the representation and the VAE train. Its picks draw from their own
    # seeded generator, so proposing it first changes nothing the run chooses.
    early: _Opened | None = None
    if engine.vae is None and not engine.needs_model(round_no) and engine.round_size() > 0:
        early = _open_round(engine, oracle, folder, emit, round_no)
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

    while engine.stop_reason is None and engine.round_size() > 0:
        opened = early if early is not None and early.round == round_no else \
            _open_round(engine, oracle, folder, emit, round_no)
        phase_seconds = opened.phase_seconds
        round_start = time.perf_counter() - opened.seconds  # an early round's wait for training is not its own

        def timed(phase: str, events: Iterable[Event]) -> None:
            start = time.perf_counter()
            for event in events:
                emit(event)
            phase_seconds[phase] = phase_seconds.get(phase, 0.0) + time.perf_counter() - start

        start = time.perf_counter()
        emit(PhaseStarted("label", round_no, len(opened.selection.candidates)))
        labels = oracle.label(round_no, opened.selection.candidates, opened.selection.synthetic)
        phase_seconds["label"] = time.perf_counter() - start
        timed("label", engine.apply_labels(round_no, labels))
        timed("label", engine.correct_labels(round_no, second_looks(engine, oracle, folder)))
        timed("task", engine.train_task(round_no))
        timed("evaluate", engine.evaluate(round_no))
        timed("agreement", engine.measure_agreement(round_no))
        if engine.wants_suspects:
            timed("suspects", engine.find_suspects(round_no))
            write_suspects(engine, folder, round_no)
        for event in engine.finish_round(round_no, time.perf_counter() - round_start, phase_seconds):
            emit(event)
        _checkpoint(engine, folder, f"round-{round_no:03d}", emit, on_checkpoint)
        round_no += 1
    emit(RunFinished(engine.round, engine.labelled_count, engine.last_accuracy,
                     time.perf_counter() - run_start, engine.accuracy_split, engine.stop_reason or "budget"))
    emit.sync()


@dataclass
class _Opened:
    """A round proposed, its review written and its labels asked for; not yet answered."""

    round: int
    selection: Selection
    phase_seconds: dict[str, float]
    seconds: float  # spent so far on this round


def _open_round(engine: Engine, oracle: Oracle, folder: RunFolder, emit: EventRecorder, round_no: int) -> _Opened:
    start = time.perf_counter()
    for event in engine.propose(round_no):
        emit(event)
    phase_seconds = {"propose": time.perf_counter() - start}
    selection = engine.pending
    assert selection is not None
    _write_review(engine, folder, round_no, selection, oracle)
    # A runner restarted after a person's submit finds the round answered: nothing is requested.
    if not getattr(oracle, "answered", lambda _: False)(round_no):
        emit(LabelsRequested(round_no, len(selection.candidates), oracle.name))
    return _Opened(round_no, selection, phase_seconds, time.perf_counter() - start)


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


def second_looks(engine: Engine, oracle: Oracle, folder: RunFolder) -> dict[int, int | None]:
    """Decisions on suspect labels not applied yet: a person's (labels.jsonl), a simulated reviewer's."""
    out: dict[int, int | None] = {}
    labels = engine.pool.labels
    for item, label in LabelLog(folder.labels_path).reviews().items():
        if 0 <= item < len(labels) and labels[item] >= 0 and (item not in engine.reviewed or labels[item] != label):
            out[item] = label
    review = getattr(oracle, "review", None)
    if review is not None:
        out.update(review([s.item for s in engine.suspects if s.item not in out]))
    return out


def write_suspects(engine: Engine, folder: RunFolder, round_no: int) -> None:
    """review/suspects.json + .npz: the queue as the Review screen shows it (given and suggested
    label, their probabilities, the pixels; for folder pools the file)."""
    paths = engine.dataset.pool_paths
    candidates = []
    for s in engine.suspects:
        cand = {"item": s.item, "kind": "pool", "given": s.given, "prediction": s.suggested,
                "probability": s.probability, "given_probability": s.given_probability}
        if paths is not None:
            cand["path"] = os.path.abspath(paths[s.item])
        candidates.append(cand)
    items = np.array([s.item for s in engine.suspects], dtype=np.int64)
    pixels = engine.images.batch(items).numpy() if len(items) else np.zeros((0, *engine.dataset.shape), np.float32)
    images = np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8)
    folder.write_suspects({"round": round_no, "strategy": "suspects", "classes": list(engine.dataset.classes),
                           "candidates": candidates}, {"items": items, "images": images})


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

