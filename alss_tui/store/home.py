"""Where runs live: --home, else $ALSS_HOME, else the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path


def resolve_home(home: str | Path | None = None) -> Path:
    if home:
        return Path(home).expanduser()
    if os.environ.get("ALSS_HOME"):
        return Path(os.environ["ALSS_HOME"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("alss-tui", appauthor=False))


def pool_cache_dir(home: str | Path) -> Path:
    """Where decoded pools live: one folder per pool key (see alss_tui.data.pool_cache)."""
    return Path(home) / "cache" / "pools"
