"""Run presets: the ones shipped in this package, and the ones a person saved.

Built-in presets are the `*.toml` files beside this module (package data, so they
are there after any install, from any directory). Presets saved from the New run
form go to the user config folder ($ALSS_CONFIG_HOME, else the platform's user
config dir) and never overwrite an existing preset, built-in or saved.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from alss_tui.errors import ConfigError, StoreError

BUILTIN_DIR = Path(__file__).resolve().parent
CONFIG_HOME_ENV = "ALSS_CONFIG_HOME"


@dataclass(frozen=True)
class Preset:
    name: str
    source: str  # "built-in" or "saved"
    path: Path

    def load(self):
        from alss_tui import config as config_mod

        return config_mod.load(self.path)


def user_dir() -> Path:
    """Where the form saves presets (not created until the first save)."""
    if os.environ.get(CONFIG_HOME_ENV):
        return Path(os.environ[CONFIG_HOME_ENV]).expanduser() / "presets"
    from platformdirs import user_config_dir

    return Path(user_config_dir("alss-tui", appauthor=False)) / "presets"


def _scan(folder: Path, source: str) -> list[Preset]:
    try:
        paths = sorted(folder.glob("*.toml"))
    except OSError:
        return []
    return [Preset(p.stem, source, p) for p in paths if p.is_file()]


def all_presets() -> list[Preset]:
    """Built-in presets, then saved ones (a saved preset never shadows a built-in name)."""
    builtin = _scan(BUILTIN_DIR, "built-in")
    taken = {p.name for p in builtin}
    return builtin + [p for p in _scan(user_dir(), "saved") if p.name not in taken]


def find(name: str) -> Preset | None:
    return next((p for p in all_presets() if p.name == name), None)


def resolve(spec: str | Path) -> Path:
    """The config file `spec` names: an existing path, else a preset of that name.

    A path wins over a preset, so `./digits-snn.toml` edited locally is what runs.
    """
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    preset = find(str(spec))
    if preset is not None:
        return preset.path
    looks_like_path = path.suffix == ".toml" or os.sep in str(spec)
    what = f"{spec}: no such config file" if looks_like_path else f"{spec!r}: no config file or preset of that name"
    raise ConfigError(f"{what} (`alss-tui presets` lists the presets)")


def load(spec: str | Path):
    """The RunConfig of a config file or a preset name."""
    from alss_tui import config as config_mod

    return config_mod.load(resolve(spec))


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-.") or "run"


def save(cfg) -> Path:
    """Write `cfg` as a saved preset named after the run; refuses to replace any preset."""
    import tempfile

    from alss_tui import config as config_mod

    name = slug(cfg.name)
    path = user_dir() / f"{name}.toml"
    taken = ConfigError(f"a preset named {name!r} exists; give the run another name to save a new preset")
    if find(name) is not None:
        raise taken
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(config_mod.dumps(cfg).encode())
                fh.flush()
                os.fsync(fh.fileno())
            os.link(tmp, path)  # whole file or nothing, and never over an existing one
        finally:
            os.unlink(tmp)
    except FileExistsError:
        raise taken from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot write the preset ({exc.strerror or exc.__class__.__name__})") from None
    return path
