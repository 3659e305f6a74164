"""An export's files: written under temp names in the destination, renamed to their names at the end.

An export writes several files (tables, the model, predictions for every pool item, a
folder of labelled images). Each is written, flushed and fsynced under a hidden temp
name beside its final one; only `commit()` renames them, all at once when the slow part
is over. A killed export therefore leaves no file under a final name that is not
complete, and a temp left by a kill is removed by the next export to that folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import IO

from alss_tui.durable import fsync_path
from alss_tui.errors import StoreError

SUFFIX = ".alss-export.tmp"


def _problem(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


class StagedExport:
    def __init__(self, dest: Path):
        self.dest = Path(dest)
        try:
            self.dest.mkdir(parents=True, exist_ok=True)
            probe = self.dest / f".probe{SUFFIX}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StoreError(f"{self.dest}: cannot write an export there ({_problem(exc)})") from None
        self._clear_stale(self.dest)
        self._cleared = {self.dest}  # folders whose leftovers of a killed export are gone
        self.pending: list[tuple[Path, Path]] = []  # (temp, final)

    @staticmethod
    def _clear_stale(folder: Path) -> None:
        for old in folder.glob(f".*{SUFFIX}"):
            old.unlink(missing_ok=True)

    def _temp(self, name: str) -> tuple[Path, Path]:
        final = self.dest / name
        if final.parent not in self._cleared:
            final.parent.mkdir(parents=True, exist_ok=True)
            self._clear_stale(final.parent)
            self._cleared.add(final.parent)
        temp = final.with_name(f".{final.name}{SUFFIX}")
        self.pending.append((temp, final))
        return temp, final

    def _guard(self, fn, *args):
        try:
            return fn(*args)
        except OSError as exc:
            raise StoreError(f"{self.dest}: cannot write the export ({_problem(exc)})") from None

    def write_bytes(self, name: str, data: bytes) -> Path:
        def write() -> Path:
            temp, final = self._temp(name)
            with open(temp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            return final
        return self._guard(write)

    def write_text(self, name: str, text: str) -> Path:
        return self.write_bytes(name, text.encode("utf-8"))

    def open_text(self, name: str) -> tuple[IO[str], Path]:
        """A text file to stream into (a large table); close it with `close(fh)`."""
        temp, final = self._guard(self._temp, name)
        return self._guard(open, temp, "w", -1, "utf-8", None, ""), final

    def close(self, fh: IO[str]) -> None:
        def finish() -> None:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        self._guard(finish)

    def link_or_copy(self, source: Path, name: str) -> Path:
        """`name` is `source`: a hard link where the filesystem allows one, else a copy."""
        def place() -> Path:
            temp, final = self._temp(name)
            temp.unlink(missing_ok=True)
            try:
                os.link(source, temp)
            except OSError:  # another filesystem, or one without hard links
                shutil.copyfile(source, temp)
            return final
        return self._guard(place)

    def commit(self) -> list[Path]:
        """Rename every staged file to its name; returns the final paths in the order written."""
        def rename_all() -> list[Path]:
            folders = set()
            for temp, final in self.pending:
                os.replace(temp, final)
                folders.add(final.parent)
            for folder in folders:
                fsync_path(folder)
            return [final for _, final in self.pending]
        done = self._guard(rename_all)
        self.pending = []
        return done

    def abort(self) -> None:
        for temp, _ in self.pending:
            temp.unlink(missing_ok=True)
        self.pending = []
