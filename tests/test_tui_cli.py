"""`alss-tui dashboard` / `new` at the command line: help stays light, bad input is one red line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, cli


@pytest.mark.slow
def test_help_lists_the_dashboard_commands_without_loading_textual():
    result = cli("--help")
    assert result.returncode == 0 and "dashboard" in result.stdout and "new" in result.stdout
    code = ("import sys; sys.argv=['alss-tui', '--help']\nfrom alss_tui.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\nprint(' '.join(sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    mods = set(out.stderr.split())
    assert "textual" not in mods and "torch" not in mods


@pytest.mark.slow
def test_new_with_a_missing_config_is_one_line(tmp_path):
    result = cli("new", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 1
    assert "no such config file" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_new_with_a_bad_config_names_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sampling]\nbudget = 1\n")
    result = cli("new", "--config", str(bad))
    assert result.returncode == 1 and "sampling.budget" in result.stderr and "Traceback" not in result.stderr


def test_dashboard_with_an_unknown_run_is_one_line():
    result = cli("dashboard", "--run", "zzzz")
    assert result.returncode == 1 and "no run matches 'zzzz'" in result.stderr


def test_make_app_refuses_an_unknown_start(home):
    from alss_tui.tui.app import make_app

    with pytest.raises(ValueError):
        make_app(home, start="nowhere")
