"""The key tables of docs/review.md and the app's bindings (what `?` shows) must not drift apart."""

from __future__ import annotations

import re

import pytest

from alss_tui.tui.app import AlssApp
from alss_tui.tui.dialogs.help import key_label
from alss_tui.tui.screens.compare import CompareScreen
from alss_tui.tui.screens.monitor import MonitorScreen
from alss_tui.tui.screens.new_run import NewRunScreen
from alss_tui.tui.screens.review import ReviewScreen
from alss_tui.tui.screens.runs import RunsScreen
from conftest import REPO

DOC = REPO / "docs" / "review.md"
SCREENS = {"any": AlssApp, "Runs": RunsScreen, "New run": NewRunScreen, "Monitor": MonitorScreen,
           "Compare": CompareScreen}


def _section(title: str) -> str:
    return DOC.read_text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _dashboard_keys() -> dict[tuple[str, str], str]:
    rows = {}
    for line in _section("Dashboard keys").splitlines():
        m = re.match(r"\| (any|Runs|New run|Monitor|Compare) \| (.+?) \| (.+) \|$", line)
        if m:
            for key in re.findall(r"`([^`]+)`", m.group(2)):
                rows[(m.group(1), key)] = m.group(3)
    return rows


def _review_keys() -> set[str]:
    keys = set()
    for line in _section("Review keys").splitlines():
        m = re.match(r"\| (.+?) \| .+ \|$", line)
        if m:
            keys |= set(re.findall(r"`([^`]+)`", m.group(1)))
    return keys


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_binding_is_in_the_dashboard_key_table(screen):
    rows = _dashboard_keys()
    for binding in SCREENS[screen].BINDINGS:
        for key in key_label(binding.key).split(", "):
            assert (screen, key) in rows, f"docs/review.md's key table lacks {screen} {key}"
            assert rows[(screen, key)].startswith(binding.description), (screen, key)


def test_every_review_binding_is_in_the_review_key_table():
    documented = _review_keys()
    for binding in ReviewScreen.BINDINGS:
        for key in key_label(binding.key).split(", "):
            assert key in documented, f"docs/review.md's review keys lack {key} ({binding.description})"


def test_a_missing_binding_would_fail():
    assert ("Runs", "n") in _dashboard_keys() and ("Runs", "no such key") not in _dashboard_keys()
    assert "z" in _review_keys() and "no such key" not in _review_keys()


def test_every_screenshot_is_shown_in_the_docs():
    readme = (REPO / "README.md").read_text()
    pages = "\n".join(p.read_text() for p in (REPO / "docs").glob("*.md"))
    shots = sorted((REPO / "docs" / "screens").glob("*.svg"))
    assert shots and any(f"docs/screens/{svg.name}" in readme for svg in shots)
    for svg in shots:
        assert f"screens/{svg.name}" in pages or f"docs/screens/{svg.name}" in readme, svg.name
