"""Reading a run's review files (review/rNNN.json + rNNN.npz) and finding the round that waits.

The runner writes a round's review before it asks the oracle; a run whose label
source is a person waits on the newest review round until it is submitted in
labels.jsonl.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np

from alss_tui.errors import StoreError
from alss_tui.store.labels import SUSPECTS, LabelLog
from alss_tui.store.run_folder import RunFolder

_ROUND_FILE = re.compile(r"^r(\d{3,})\.json$")


@dataclass
class ReviewRound:
    round: int | str  # a round number, or labels.SUSPECTS for the queue of suspect labels
    strategy: str
    classes: tuple[str, ...]
    # Candidate fields, in proposal order; folder pools add "path" (the candidate's own
    # file) and "seed_path" (the file of the pool item its ascent started from).
    candidates: list[dict]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # images, seeds, decoded, ...

    @property
    def items(self) -> list[int]:
        return [int(c["item"]) for c in self.candidates]

    def image(self, k: int) -> np.ndarray:
        """Pixels (C, H, W) uint8 of candidate k: the pool image, or the synthetic one (SI)."""
        return self.arrays["images"][k]

    def decoded(self, k: int) -> np.ndarray | None:
        """The decoded hard sample behind candidate k (latent strategies), if any."""
        arr = self.arrays.get("decoded")
        return None if arr is None or k >= len(arr) else arr[k]

    def companion(self, k: int) -> tuple[np.ndarray, str] | None:
        """What to show beside candidate k: for a retrieved image (SNN), the decoded hard
        sample that led to it; for a synthetic image (SI), the seed it was grown from."""
        if self.candidates[k].get("kind") == "synthetic":
            seeds = self.arrays.get("seeds")
            return None if seeds is None or k >= len(seeds) else (seeds[k], "seed it came from")
        decoded = self.decoded(k)
        return None if decoded is None else (decoded, "decoded hard sample")

    def source(self, k: int) -> str | None:
        """The original file of candidate k (folder pools), None for other pools and SI images."""
        return self.candidates[k].get("path") or None

    def companion_source(self, k: int) -> str | None:
        """The original file of what `companion(k)` shows, when that is a pool item: the seed of
        a synthetic image. A decoded hard sample exists only as pixels."""
        if self.candidates[k].get("kind") == "synthetic":
            return self.candidates[k].get("seed_path") or None
        return None

    def suggestion(self, k: int) -> int | None:
        """The label to accept with one key: the labelling function's answer when the run has
        one (synthetic images), else the model's current prediction, when there is one."""
        c = self.candidates[k]
        for key in ("suggestion", "prediction"):
            value = c.get(key)
            if value is not None and 0 <= int(value) < len(self.classes):
                return int(value)
        return None


def review_rounds(folder: RunFolder) -> list[int]:
    if not folder.review_dir.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.review_dir.iterdir() if (m := _ROUND_FILE.match(p.name)))


def load_review(folder: RunFolder, round: int) -> ReviewRound:
    return _load_pair(folder, *folder.review_paths(round), round=round)


def _load_pair(folder: RunFolder, json_path, npz_path, round: int | None = None) -> ReviewRound:
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        what = f"round {round} has no review" if round is not None else f"{json_path.name} is missing"
        raise StoreError(f"run {folder.run_id}: {what}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{json_path}: not a readable review ({exc.__class__.__name__})") from None
    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as exc:
        raise StoreError(f"{npz_path}: not readable ({exc.__class__.__name__})") from None
    try:
        review = ReviewRound(int(doc["round"]), str(doc.get("strategy", "")), tuple(doc["classes"]),
                             list(doc["candidates"]), arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"{json_path}: not a review document ({exc})") from None
    if "images" not in arrays or len(arrays["images"]) != len(review.candidates):
        raise StoreError(f"{npz_path}: images do not match the {len(review.candidates)} candidates")
    return review


def load_suspects(folder: RunFolder) -> ReviewRound | None:
    """The newest queue of suspect labels as a review (its round is `labels.SUSPECTS`), or None."""
    json_path, _ = folder.suspects_paths()
    if not json_path.is_file():
        return None
    review = _load_pair(folder, *folder.suspects_paths())
    return ReviewRound(SUSPECTS, review.strategy, review.classes, review.candidates, review.arrays)


def open_suspects(folder: RunFolder) -> int | None:
    """Suspects in the newest queue that nobody has taken a second look at; None: no queue."""
    json_path, _ = folder.suspects_paths()
    try:
        items = {int(c["item"]) for c in json.loads(json_path.read_text(encoding="utf-8"))["candidates"]}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{json_path}: not a readable queue ({exc.__class__.__name__})") from None
    return len(items - set(LabelLog(folder.labels_path).reviews()))


def waits_for_person(folder: RunFolder) -> bool:
    return folder.load_config().oracle.kind == "human"


def pending_round(folder: RunFolder) -> int | None:
    """The round waiting for a person's labels: the newest review, unless it is submitted.

    None if the run's labels come from elsewhere or nothing waits. The runner may
    be dead: labels submitted for its round are picked up when it resumes.
    """
    if not waits_for_person(folder):
        return None
    rounds = review_rounds(folder)
    if not rounds:
        return None
    newest = rounds[-1]
    return None if LabelLog(folder.labels_path).round(newest).is_submitted else newest


def latest_round(folder: RunFolder) -> int | None:
    rounds = review_rounds(folder)
    return rounds[-1] if rounds else None
