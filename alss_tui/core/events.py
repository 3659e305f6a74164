"""Events the engine yields. Frozen, JSON-friendly, named in the past tense.

The CLI, the dashboard, the store and the tests all consume the same stream.
No torch here: the dashboard reads events without loading it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Candidate:
    """One item proposed for labelling, and why it was picked.

    `item` is a pool index for real images; for synthetic (SI) images it is a
    negative id, unique in the run, whose pixels live in the round's review file.
    """

    item: int
    kind: str = "pool"  # "pool" | "synthetic"
    seed_index: int | None = None  # the seed the ascent started from: pool index, or synthetic id (< 0)
    seed_label: int | None = None
    distance: float | None = None  # latent L2 from the ascended code to this image
    loss_before: float | None = None  # task loss of the decoded seed before ascent
    loss_after: float | None = None  # ... and after
    prediction: int | None = None  # the task model's current prediction
    score: float | None = None  # the strategy's own ranking score (entropy, margin, ...)


@dataclass(frozen=True)
class Event:
    def to_dict(self) -> dict[str, Any]:
        out = {"type": type(self).__name__}
        out.update(dataclasses.asdict(self))
        return out


@dataclass(frozen=True)
class RunStarted(Event):
    run_id: str
    config: dict
    pool_size: int
    test_size: int
    classes: tuple[str, ...]
    resumed: bool = False


@dataclass(frozen=True)
class PhaseStarted(Event):
    phase: str  # "vae" | "encode" | "task" | "evaluate" | "propose" | "label"
    round: int
    total: int  # units of work (steps, images); 0 when unknown


@dataclass(frozen=True)
class Progress(Event):
    """Transient; consumers may drop these. The engine coalesces to a few per second."""

    phase: str
    round: int
    done: int
    total: int


@dataclass(frozen=True)
class EpochEnded(Event):
    phase: str
    round: int
    epoch: int
    losses: dict[str, float]


@dataclass(frozen=True)
class Evaluated(Event):
    round: int
    labelled: int
    accuracy: float
    loss: float
    per_class_recall: tuple[float, ...] = ()
    split: str = "test"


@dataclass(frozen=True)
class PseudoLabelled(Event):
    """The unlabelled items a round's training used with a guessed class (never labels)."""

    round: int
    method: str  # task.semi
    count: int
    accuracy: float | None = None  # the share that are right, where the truth is known (simulated oracle)


@dataclass(frozen=True)
class CandidatesProposed(Event):
    round: int
    strategy: str
    candidates: tuple[Candidate, ...]
    seconds: float
    forward_passes: int = 0
    backward_passes: int = 0


@dataclass(frozen=True)
class LabelsRequested(Event):
    round: int
    count: int
    oracle: str


@dataclass(frozen=True)
class LabelsApplied(Event):
    round: int
    added: int
    rejected: int
    labelled: int
    class_counts: dict[str, int] = field(default_factory=dict)
    # The answers themselves (class index, or None = rejected), aligned: the event
    # log alone can tell who got which label in which round.
    items: tuple[int, ...] = ()
    labels: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class RoundFinished(Event):
    round: int
    labelled: int
    accuracy: float
    seconds: float
    phase_seconds: dict[str, float] = field(default_factory=dict)
    # The split `accuracy` was measured on; None when nothing is held out (and in logs
    # written before rounds said it: their accuracy is the test split's).
    split: str | None = None


@dataclass(frozen=True)
class SuspectsFound(Event):
    """Labelled items whose label out-of-sample probabilities confidently contradict
    (core/suspects.py), largest margin first; aligned tuples. None a person already reviewed."""

    round: int
    items: tuple[int, ...] = ()
    given: tuple[int, ...] = ()
    suggested: tuple[int, ...] = ()
    probability: tuple[float, ...] = ()  # of the suggested class
    given_probability: tuple[float, ...] = ()
    scored: int = 0  # labelled items scored


@dataclass(frozen=True)
class LabelsCorrected(Event):
    """Second looks at labelled items, applied before the round trains: each item's new label
    (the same label: kept; null: rejected, no longer labelled) and the label it had."""

    round: int
    items: tuple[int, ...] = ()
    labels: tuple[int | None, ...] = ()
    previous: tuple[int, ...] = ()


@dataclass(frozen=True)
class AgreementMeasured(Event):
    """The stopping signal of a round (core/stopping.py): Cohen's kappa between this round's and
    the previous round's predictions on the stop set, and its mean over the last `window` rounds."""

    round: int
    kappa: float | None  # None in round 0: nothing to compare with
    mean: float | None  # None until `window` kappas exist
    window: int = 3
    threshold: float = 0.99
    stable: bool = False  # mean >= threshold


@dataclass(frozen=True)
class RunFinished(Event):
    rounds: int
    labelled: int
    accuracy: float
    seconds: float
    split: str | None = None  # as RoundFinished.split
    # Why it ended: "budget" (every label spent), "pool" (nothing left to label) or "stable"
    # (sampling.stop = stable: the predictions stopped changing). Older logs read "budget".
    reason: str = "budget"


@dataclass(frozen=True)
class RunFailed(Event):
    error: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        RunStarted, PhaseStarted, Progress, EpochEnded, Evaluated, CandidatesProposed,
        LabelsRequested, LabelsApplied, LabelsCorrected, SuspectsFound, PseudoLabelled, AgreementMeasured,
        RoundFinished, RunFinished, RunFailed,
    )
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its JSON form; raises ValueError for unknown shapes."""
    if not isinstance(data, dict):
        raise ValueError("event is not a JSON object")
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    if cls is CandidatesProposed:
        kwargs["candidates"] = tuple(Candidate(**c) for c in kwargs.get("candidates", ()))
    for key in ("classes", "per_class_recall", "items", "labels", "given", "suggested", "probability",
                "given_probability", "previous"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"malformed {kind} event: {exc}") from None
