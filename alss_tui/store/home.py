"""Where runs live: --home, else $ALSS_HOME, else the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path

from alss_tui.errors import StoreError


def resolve_home(home: str | Path | None = None) -> Path:
    """The home folder, created if missing; a file or an unwritable folder is a StoreError.

    Checked here, once, because every command starts here: a bad ALSS_HOME gives
    one line naming where the folder came from, not an OSError deep in the store.
    """
    if home:
        path, source = Path(home).expanduser(), "--home"
    elif os.environ.get("ALSS_HOME"):
        path, source = Path(os.environ["ALSS_HOME"]).expanduser(), "ALSS_HOME"
    else:
        from platformdirs import user_data_dir

        path, source = Path(user_data_dir("alss-tui", appauthor=False)), "the user data folder"
    return _usable(path, source)


def _usable(path: Path, source: str) -> Path:
    where = f"{source} ({path})" if source.startswith("the ") else f"{source}={path}"
    if path.exists() and not path.is_dir():
        raise StoreError(f"{where} is a file, not a folder; point it at a folder for the runs")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{where}: cannot create the folder ({exc.strerror or exc.__class__.__name__})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StoreError(f"{where} is not writable; point it at a folder you can write to")
    return path


def pool_cache_dir(home: str | Path) -> Path:
    """Where decoded pools live: one folder per pool key (see alss_tui.data.pool_cache)."""
    return Path(home) / "cache" / "pools"


def cache_root(home: str | Path) -> Path:
    """Every derived, rebuildable file: pools, pool encoders, a frozen backbone's features, VAEs."""
    return Path(home) / "cache"
