"""One run's folder: config, event log, label log, review files, checkpoints, lock."""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alss_tui import config as config_mod
from alss_tui.config import RunConfig
from alss_tui.durable import fsync_path
from alss_tui.errors import ConfigError, StoreError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def _write_pair(json_path: Path, npz_path: Path, document: dict, arrays: dict) -> None:
    """A document and its pixels; pixels first, so a JSON that exists always has its images."""
    import io
    import json

    import numpy as np

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(npz_path, buf.getvalue())
    atomic_write_bytes(json_path, json.dumps(document, indent=1).encode())


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def config_path(self) -> Path:
        return self.path / "config.toml"

    @property
    def events_path(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def labels_path(self) -> Path:
        return self.path / "labels.jsonl"

    @property
    def review_dir(self) -> Path:
        return self.path / "review"

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def lock_path(self) -> Path:
        return self.path / "run.lock"

    @property
    def log_path(self) -> Path:
        return self.path / "runner.log"

    @property
    def latent_map_path(self) -> Path:
        return self.path / "latent" / "map.npz"

    def review_paths(self, round: int) -> tuple[Path, Path]:
        """(candidates JSON, pixels NPZ) of a round's review."""
        stem = self.review_dir / f"r{round:03d}"
        return stem.with_suffix(".json"), stem.with_suffix(".npz")

    def write_review(self, round: int, document: dict, arrays: dict) -> None:
        """The round's candidates (JSON) and their pixels (NPZ); pixels first, so a
        JSON that exists always has its images."""
        _write_pair(*self.review_paths(round), document, arrays)

    def suspects_paths(self) -> tuple[Path, Path]:
        """(queue JSON, pixels NPZ) of the suspect labels found after the newest round."""
        stem = self.review_dir / "suspects"
        return stem.with_suffix(".json"), stem.with_suffix(".npz")

    def write_suspects(self, document: dict, arrays: dict) -> None:
        _write_pair(*self.suspects_paths(), document, arrays)

    def write_latent_map(self, arrays: dict) -> None:
        import io

        import numpy as np

        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(self.latent_map_path, buf.getvalue())

    @classmethod
    def create(cls, runs_dir: Path, cfg: RunConfig) -> "RunFolder":
        runs_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            run_id = secrets.token_hex(4)
            path = runs_dir / run_id
            try:
                path.mkdir()
            except FileExistsError:
                continue
            folder = cls(path)
            for sub in (folder.review_dir, folder.checkpoint_dir):
                sub.mkdir()
            atomic_write_bytes(folder.config_path, config_mod.dumps(cfg).encode())
            folder.events_path.touch()
            folder.labels_path.touch()
            return folder
        raise StoreError(f"{runs_dir}: could not allocate a new run id")  # pragma: no cover

    def load_config(self) -> RunConfig:
        try:
            return config_mod.load(self.config_path, recorded=True)
        except ConfigError as exc:
            raise StoreError(f"run {self.run_id}: {exc}") from None

    # --- checkpoints --------------------------------------------------------------

    def checkpoint_path(self, tag: str) -> Path:
        return self.checkpoint_dir / f"{tag}.pt"

    def save_checkpoint(self, tag: str, state: dict) -> Path:
        import io

        import torch

        buf = io.BytesIO()
        torch.save(state, buf)
        path = self.checkpoint_path(tag)
        atomic_write_bytes(path, buf.getvalue())
        # "latest" names the newest complete checkpoint; written last, so it never points at a torn file.
        atomic_write_bytes(self.checkpoint_dir / "latest", tag.encode())
        return path

    def latest_checkpoint(self) -> Path | None:
        marker = self.checkpoint_dir / "latest"
        if not marker.is_file():
            return None
        path = self.checkpoint_path(marker.read_text().strip())
        if not path.is_file():
            raise StoreError(f"run {self.run_id}: checkpoint {path.name} is missing")
        return path

    def load_checkpoint(self, path: Path) -> dict:
        import pickle

        import torch

        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except (RuntimeError, OSError, EOFError, pickle.UnpicklingError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise StoreError(f"{path}: not a readable checkpoint ({first[:120]})") from None
        if not isinstance(state, dict) or "format" not in state:
            raise StoreError(f"{path}: not an alss-tui checkpoint")
        return state
