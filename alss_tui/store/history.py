"""A run's history, folded from its event log: rounds, labels and why they were picked.

The event log is the record; this is a read model for `show`, `export` and the
registry rebuild. After a resume a round can appear twice: the last one wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alss_tui.store.jsonl import JsonlReader, finite_or_none
from alss_tui.store.run_folder import RunFolder


@dataclass
class LabelRecord:
    item: int
    label: int | None  # None: rejected
    round: int
    strategy: str
    why: dict  # the candidate's reasons: seed, distance, losses, prediction, score


@dataclass
class RunHistory:
    run_id: str
    rounds: dict[int, dict] = field(default_factory=dict)
    labels: dict[int, LabelRecord] = field(default_factory=dict)
    classes: tuple[str, ...] = ()
    started: float | None = None
    last_event: float | None = None
    finished: bool = False
    error: str | None = None
    vae_seconds: float | None = None
    bad_lines: int = 0

    @property
    def round_rows(self) -> list[dict]:
        return [self.rounds[k] for k in sorted(self.rounds)]

    @property
    def last_round(self) -> dict | None:
        return self.rounds[max(self.rounds)] if self.rounds else None


def load_history(folder: RunFolder) -> RunHistory:
    reader = JsonlReader(folder.events_path)
    history = RunHistory(folder.run_id)
    proposed: dict[int, tuple[str, dict[int, dict]]] = {}
    vae_start = None
    for e in reader.read_new():
        kind, t = e.get("type"), e.get("t")
        try:
            if history.started is None and isinstance(t, (int, float)):
                history.started = t
            history.last_event = t if isinstance(t, (int, float)) else history.last_event
            if kind == "RunStarted":
                history.classes = tuple(e.get("classes", ()))
                history.finished, history.error = False, None
            elif kind == "PhaseStarted" and e["phase"] == "vae":
                vae_start = t
            elif kind == "PhaseStarted" and e["phase"] == "encode" and vae_start is not None:
                history.vae_seconds = t - vae_start
            elif kind == "CandidatesProposed":
                proposed[e["round"]] = (e["strategy"], {c["item"]: c for c in e["candidates"]})
                history.rounds.setdefault(e["round"], {})["selection_seconds"] = e.get("seconds")
            elif kind == "LabelsApplied":
                strategy, cands = proposed.get(e["round"], ("?", {}))
                for item, label in zip(e.get("items", ()), e.get("labels", ())):
                    why = {k: v for k, v in cands.get(item, {}).items() if k not in ("item", "kind")}
                    history.labels[item] = LabelRecord(item, label, e["round"], strategy, why)
            elif kind == "RoundFinished":
                row = history.rounds.setdefault(e["round"], {})
                row.update({"round": e["round"], "labelled": e["labelled"], "accuracy": finite_or_none(e["accuracy"]),
                            "seconds": e["seconds"], "phase_seconds": e.get("phase_seconds", {})})
            elif kind == "RunFinished":
                history.finished = True
            elif kind == "RunFailed":
                history.error = e.get("error")
        except (KeyError, TypeError, ValueError):
            history.bad_lines += 1  # a well-formed line that is not a well-formed event
    # Rounds proposed but never finished (crashed mid-round) have no row.
    history.rounds = {k: v for k, v in history.rounds.items() if "labelled" in v}
    history.bad_lines += len(reader.bad_lines)
    return history
