"""What the latent map draws, read from the run folder: numpy only, no torch.

Pool positions come from latent/map.npz (a fixed 2-D PCA of the VAE codes);
each round's review NPZ adds seeds, where the ascent moved them and the pool
images picked. "Labelled" is every pool item labelled in earlier rounds (from the
LabelsApplied events; for a log without them, every pool item proposed).
Review files are read once each and cached by round.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from dataclasses import dataclass

import numpy as np

from alss_tui.store.run_folder import RunFolder

MAX_POOL_POINTS = 2000  # enough to show the shape of the pool; more only slows the plot


@dataclass(frozen=True)
class RoundPoints:
    round: int
    strategy: str
    items: np.ndarray  # pool items proposed this round (synthetic ones excluded)
    item_xy: np.ndarray  # (n, 2); NaN rows for synthetic candidates
    seed_xy: np.ndarray | None
    ascended_xy: np.ndarray | None


@dataclass(frozen=True)
class LatentPicture:
    pool_xy: np.ndarray  # thinned
    labelled_xy: np.ndarray  # items from rounds before `current`
    current: RoundPoints | None
    rounds: tuple[int, ...]  # rounds with review files


def thin(xy: np.ndarray, limit: int = MAX_POOL_POINTS) -> np.ndarray:
    """Every k-th point: deterministic, and keeps the density picture."""
    if len(xy) <= limit:
        return xy
    step = -(-len(xy) // limit)
    return xy[::step]


class LatentView:
    def __init__(self, folder: RunFolder):
        self.folder = folder
        self.pool_xy: np.ndarray | None = None
        self._rounds: dict[int, RoundPoints] = {}

    def poll(self) -> bool:
        """Pick up a map or review files written since the last call; True if any."""
        changed = False
        if self.pool_xy is None and self.folder.latent_map_path.is_file():
            xy = self._load_npz(self.folder.latent_map_path, ("xy",))
            if xy is not None:
                self.pool_xy = xy["xy"]
                changed = True
        if not self.folder.review_dir.is_dir():
            return changed
        for path in sorted(self.folder.review_dir.glob("r*.json")):
            try:
                round_no = int(path.stem[1:])
            except ValueError:
                continue
            if round_no in self._rounds:
                continue
            points = self._load_round(round_no)
            if points is not None:
                self._rounds[round_no] = points
                changed = True
        return changed

    def _load_npz(self, path, keys) -> dict | None:
        try:
            with np.load(path) as data:
                return {k: data[k] for k in data.files if k in keys}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            return None  # being replaced right now: the next poll reads it

    def _load_round(self, round_no: int) -> RoundPoints | None:
        json_path, npz_path = self.folder.review_paths(round_no)
        try:
            doc = json.loads(json_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        arrays = self._load_npz(npz_path, ("items", "item_xy", "seed_xy", "ascended_xy"))
        if arrays is None:
            return None
        kinds = [c.get("kind", "pool") for c in doc.get("candidates", [])]
        items = np.array([c["item"] for c, k in zip(doc.get("candidates", []), kinds) if k == "pool"], dtype=np.int64)
        return RoundPoints(round_no, str(doc.get("strategy", "")), items,
                           arrays.get("item_xy", np.zeros((0, 2), np.float32)),
                           arrays.get("seed_xy"), arrays.get("ascended_xy"))

    @property
    def rounds(self) -> tuple[int, ...]:
        return tuple(sorted(self._rounds))

    def picture(self, round_no: int | None = None,
                labelled: dict[int, tuple[int, ...]] | None = None) -> LatentPicture | None:
        """The map for `round_no` (default: the latest round with a review).

        `labelled`: round -> pool items that got a label; rounds missing from it
        count every pool item proposed in them.
        """
        if self.pool_xy is None:
            return None
        rounds = self.rounds
        if round_no is None or round_no not in self._rounds:
            round_no = rounds[-1] if rounds else None
        labelled = labelled or {}
        earlier = [np.asarray(labelled[r], dtype=np.int64) if r in labelled else self._rounds[r].items
                   for r in rounds if round_no is not None and r < round_no]
        items = np.concatenate(earlier) if earlier else np.zeros(0, np.int64)
        items = items[(items >= 0) & (items < len(self.pool_xy))]
        current = self._rounds.get(round_no) if round_no is not None else None
        return LatentPicture(thin(self.pool_xy), self.pool_xy[items], self._placed(current), rounds)

    def _placed(self, points: RoundPoints | None) -> RoundPoints | None:
        """A round proposed before the VAE existed (the first round of a run that proposes it while
        the VAE trains) has NaN positions: its pool items sit where the map puts them."""
        if points is None or self.pool_xy is None or len(points.items) != len(points.item_xy) \
                or not np.isnan(points.item_xy).all() or not len(points.items):
            return points
        items = points.items[(points.items >= 0) & (points.items < len(self.pool_xy))]
        if len(items) != len(points.items):
            return points
        return dataclasses.replace(points, item_xy=self.pool_xy[items])
