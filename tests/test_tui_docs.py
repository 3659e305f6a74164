"""The README's key table and the app's bindings (what `?` shows) must not drift apart."""

from __future__ import annotations

import re

import pytest

from alss_tui.tui.app import AlssApp
from alss_tui.tui.dialogs.help import key_label
from alss_tui.tui.screens.compare import CompareScreen
from alss_tui.tui.screens.monitor import MonitorScreen
from alss_tui.tui.screens.new_run import NewRunScreen
from alss_tui.tui.screens.runs import RunsScreen
from conftest import REPO

SCREENS = {"any": AlssApp, "Runs": RunsScreen, "New run": NewRunScreen, "Monitor": MonitorScreen,
           "Compare": CompareScreen}


def _readme_keys() -> dict[tuple[str, str], str]:
    rows = {}
    for line in (REPO / "README.md").read_text().splitlines():
        m = re.match(r"\| (any|Runs|New run|Monitor|Compare) \| (.+?) \| (.+) \|$", line)
        if m:
            for key in re.findall(r"`([^`]+)`", m.group(2)):
                rows[(m.group(1), key)] = m.group(3)
    return rows


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_binding_is_in_the_readme(screen):
    rows = _readme_keys()
    for binding in SCREENS[screen].BINDINGS:
        for key in key_label(binding.key).split(", "):
            assert (screen, key) in rows, f"README key table lacks {screen} {key}"
            assert rows[(screen, key)].startswith(binding.description), (screen, key)


def test_the_readme_shows_every_screenshot():
    text = (REPO / "README.md").read_text()
    for svg in sorted((REPO / "docs" / "screens").glob("*.svg")):
        assert f"docs/screens/{svg.name}" in text
