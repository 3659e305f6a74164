"""Which pool a run is made of: `pool.json` (its key and sizes) and `skipped.txt` in the run folder.

Written once, when the run first loads its data; a resume reopens the pool under
that key, so a run keeps the exact images it started with after the folder changed.
"""

from __future__ import annotations

import json

from alss_tui.store.run_folder import RunFolder, atomic_write_bytes

POOL_FILE = "pool.json"
SKIPPED_FILE = "skipped.txt"


def recorded_pool_key(folder: RunFolder) -> str | None:
    path = folder.path / POOL_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("key")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError):
        from alss_tui.errors import StoreError

        raise StoreError(f"{path}: not a readable pool record") from None


def record_pool(folder: RunFolder, dataset) -> None:
    """pool.json with the pool key and counts; skipped.txt listing unreadable images (path, reason)."""
    if (folder.path / POOL_FILE).is_file():
        return
    doc = {"key": dataset.pool_key, "dataset": dataset.name, "pool": len(dataset.pool_images),
           "test": len(dataset.test), "validation": len(dataset.validation) if dataset.validation else 0,
           "shape": list(dataset.shape), "pixel_scale": dataset.pixel_scale, "skipped": len(dataset.skipped)}
    if dataset.skipped:
        lines = "".join(f"{path}\t{reason}\n" for path, reason in dataset.skipped)
        atomic_write_bytes(folder.path / SKIPPED_FILE, lines.encode("utf-8"))
    atomic_write_bytes(folder.path / POOL_FILE, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))
