"""docs/architecture.md names every event, status, run-folder file and package folder the code has."""

from __future__ import annotations

from pathlib import Path

import pytest

from alss_tui.core.events import EVENT_TYPES
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.status import STATUSES
from conftest import REPO

DOC = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_event_is_described(name):
    assert f"`{name}`" in DOC


@pytest.mark.parametrize("status", STATUSES)
def test_every_registry_status_is_described(status):
    assert f"| `{status}` |" in DOC


def test_every_file_of_a_run_folder_is_described():
    folder = RunFolder(Path("runs") / "0123abcd")
    names = {folder.config_path.name, folder.events_path.name, folder.labels_path.name, folder.lock_path.name,
             folder.log_path.name, "latent/map.npz", "review/r003.json", "review/r003.npz", "checkpoints/"}
    missing = [n for n in sorted(names) if n not in DOC]
    assert not missing, f"docs/architecture.md lacks {missing}"


def test_every_package_folder_is_described():
    folders = sorted(p.name for p in (REPO / "alss_tui").iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    missing = [f for f in folders if f"| `{f}/` |" not in DOC]
    assert not missing, f"docs/architecture.md lacks {missing}"
