"""Append-only JSON-lines files: one object a line, readable while being written.

Readers consume only complete lines (ending in a newline), so a line being
written, or cut short by a crash, is never half-read; they resume from a byte
offset and never re-read the file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from alss_tui.errors import StoreError


def finite_or_none(value: Any) -> int | float | None:
    """A number read from a log or a run, or None for NaN, infinities and non-numbers."""
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def _clean(value: Any) -> Any:
    """NaN and infinities are not JSON: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def dumps_line(obj: dict) -> str:
    return json.dumps(_clean(obj), separators=(",", ":"), allow_nan=False) + "\n"


class JsonlWriter:
    """Appends lines; `durable=True` fsyncs every line (labels), else only on `sync()`."""

    def __init__(self, path: Path, durable: bool = False):
        self.path = Path(path)
        self.durable = durable
        self._fh = open(self.path, "a", encoding="utf-8")
        self._repair_tail()

    def _repair_tail(self) -> None:
        # A crash can leave a last line without its newline: end it, so the next
        # record starts on a line of its own and the torn one stays skippable.
        size = self.path.stat().st_size
        if size:
            with open(self.path, "rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    self._fh.write("\n")
                    self._fh.flush()

    def write(self, obj: dict) -> None:
        self._fh.write(dumps_line(obj))
        self._fh.flush()
        if self.durable:
            os.fsync(self._fh.fileno())

    def sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self.sync()
            self._fh.close()

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JsonlReader:
    """Tails a JSON-lines file from a byte offset. Bad lines are counted, not fatal."""

    def __init__(self, path: Path, offset: int = 0):
        self.path = Path(path)
        self.offset = offset
        self.bad_lines: list[int] = []  # byte offsets of lines that did not parse
        self._partial = b""

    def read_new(self) -> list[dict]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read ({exc.strerror})") from None
        if not chunk:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []  # only an unfinished line so far
        out = []
        pos = self.offset
        for raw in chunk[: end + 1].split(b"\n")[:-1]:
            line_start = pos
            pos += len(raw) + 1
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                self.bad_lines.append(line_start)
                continue
            if isinstance(obj, dict):
                out.append(obj)
            else:
                self.bad_lines.append(line_start)
        self.offset += end + 1
        return out


def read_all(path: Path) -> tuple[list[dict], list[int]]:
    reader = JsonlReader(path)
    return reader.read_new(), reader.bad_lines
