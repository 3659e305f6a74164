"""The run registry: one small TinyDB document per run, safe under several processes.

TinyDB has no locking of its own. Every access here holds `registry.lock`
(exclusive for read-modify-write, shared for reads) and the storage writes a
temp file and renames it, so readers never see half a file and no update is lost.
Per-batch data never comes here: it lives in each run's events.jsonl.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from tinydb import Query, TinyDB
from tinydb.storages import Storage

from alss_tui.errors import StoreError
from alss_tui.store.locks import flocked
from alss_tui.store.run_folder import atomic_write_bytes

REGISTRY_FILE = "registry.json"
RUNS_TABLE = "runs"


def accuracy_split(doc: dict) -> str | None:
    """The split a document's `accuracy` and `best_accuracy` are on; documents written before
    they said so scored the test split."""
    if doc.get("accuracy") is None and doc.get("best_accuracy") is None:
        return None
    return doc.get("split") or "test"


def registry_fields(cfg) -> dict:
    """The config facts a run's registry document carries (for listing and filtering)."""
    return {"name": cfg.name, "dataset": cfg.data.dataset, "strategy": cfg.sampling.strategy,
            "budget": cfg.sampling.budget, "oracle": cfg.oracle.kind, "seed": cfg.seed}


class AtomicJSONStorage(Storage):
    """Reads the whole file; writes a temp file, fsyncs and renames it over the old one."""

    def __init__(self, path: str, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"{self.path}: cannot read the registry ({exc.__class__.__name__})") from None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise StoreError(f"{self.path}: the registry is corrupt; rebuild it with "
                             "`alss-tui doctor --rebuild` (run folders are untouched)") from None
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise StoreError(f"{self.path}: the registry is not a run registry; rebuild it with "
                             "`alss-tui doctor --rebuild`")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self.read_only:
            raise StoreError("registry opened read-only")  # pragma: no cover
        atomic_write_bytes(self.path, json.dumps(data, separators=(",", ":")).encode())

    def close(self) -> None:
        pass


class Registry:
    def __init__(self, home: Path):
        self.home = Path(home)
        self.path = self.home / REGISTRY_FILE
        self.lock_path = self.home / "registry.lock"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @contextmanager
    def _table(self, write: bool) -> Iterator[Any]:
        self.home.mkdir(parents=True, exist_ok=True)
        with flocked(self.lock_path, exclusive=write):
            db = TinyDB(str(self.path), storage=AtomicJSONStorage, read_only=not write)
            try:
                yield db.table(RUNS_TABLE, cache_size=0)
            finally:
                db.close()

    # --- reads --------------------------------------------------------------------

    def all(self) -> list[dict]:
        with self._table(write=False) as table:
            return [dict(doc) for doc in table.all()]

    def get(self, run_id: str) -> dict | None:
        with self._table(write=False) as table:
            doc = table.get(Query().id == run_id)
            return dict(doc) if doc else None

    def resolve(self, prefix: str) -> str:
        """A full run id from an unambiguous prefix (like git); registry or run folders."""
        prefix = prefix.strip()
        if not prefix:
            raise StoreError("give a run id")
        ids = {doc["id"] for doc in self.all() if "id" in doc}
        if self.runs_dir.is_dir():
            ids |= {p.name for p in self.runs_dir.iterdir() if (p / "config.toml").is_file()}
        matches = sorted(i for i in ids if i.startswith(prefix))
        if not matches:
            raise StoreError(f"no run matches {prefix!r} (see `alss-tui ls`)")
        if prefix in matches:
            return prefix
        if len(matches) > 1:
            raise StoreError(f"run id {prefix!r} is ambiguous: {', '.join(matches[:5])}")
        return matches[0]

    # --- writes -------------------------------------------------------------------

    def upsert(self, run_id: str, **fields: Any) -> dict:
        """Create or update the run's document; `updated` is stamped on every write."""
        with self._table(write=True) as table:
            q = Query().id == run_id
            doc = dict(table.get(q) or {"id": run_id, "created": time.time()})
            doc.update(fields)
            doc["updated"] = time.time()
            if "accuracy" in fields and fields["accuracy"] is not None:
                best = doc.get("best_accuracy")
                doc["best_accuracy"] = fields["accuracy"] if best is None else max(best, fields["accuracy"])
            table.upsert(doc, q)
            return doc

    def remove(self, run_id: str) -> None:
        with self._table(write=True) as table:
            table.remove(Query().id == run_id)

    def replace_all(self, docs: list[dict]) -> None:
        """Write a fresh registry (doctor --rebuild): the old file is replaced atomically."""
        with flocked(self.lock_path, exclusive=True):
            data = {RUNS_TABLE: {str(i + 1): doc for i, doc in enumerate(docs)}}
            atomic_write_bytes(self.path, json.dumps(data, separators=(",", ":")).encode())
