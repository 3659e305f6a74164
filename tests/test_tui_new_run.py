"""The New run form: defaults, validation beside the field, submit, presets, --config."""

from __future__ import annotations

import asyncio

import pytest

from textual.widgets import Button, Input, Select, Static

from alss_tui import config as config_mod
from alss_tui.store.registry import Registry
from alss_tui.tui.app import make_app
from conftest import tiny_config
from tui_helpers import fixed_clock, wait_for, wait_for_text


def _drive(home, scenario, config_path=None, size=(100, 30)):
    async def main():
        app = make_app(home, start="new", config_path=config_path, clock=fixed_clock, poll_seconds=0.1)
        async with app.run_test(size=size, notifications=True) as pilot:
            await wait_for(pilot, lambda: app.screen.id == "new-run-screen", what="the form")
            await pilot.pause(0.1)
            await scenario(app, pilot)
    asyncio.run(main())


def _no_launch(monkeypatch) -> list[str]:
    started: list[str] = []
    monkeypatch.setattr("alss_tui.runner.launch.start_detached", lambda h, folder: started.append(folder.run_id) or 1)
    return started


def _error(app, dom_id: str) -> str:
    return str(app.screen.query_one(f"#{dom_id}-error", Static).render())


def test_enter_starts_the_digits_default(home, monkeypatch):
    started = _no_launch(monkeypatch)

    async def scenario(app, pilot):
        assert not app.screen.query_one("#start-run", Button).disabled
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.id == "monitor-screen", what="the monitor")
        assert len(started) == 1
        doc = Registry(home).get(started[0])
        assert doc["status"] == "starting" and doc["strategy"] == "margin-sub" and doc["dataset"] == "digits"
        written = config_mod.load(home / "runs" / started[0] / "config.toml")
        assert written == config_mod.RunConfig()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "runs-screen", what="runs")

    _drive(home, scenario)


@pytest.mark.slow
def test_a_bad_value_is_shown_beside_its_field_and_blocks_submit(home, monkeypatch):
    started = _no_launch(monkeypatch)

    async def scenario(app, pilot):
        epochs = app.screen.query_one("#field-vae-epochs", Input)
        epochs.focus()
        epochs.value = ""
        await pilot.press(*"ten")
        await pilot.pause(0.05)
        assert _error(app, "field-vae-epochs") == "expected a whole number"
        assert app.screen.query_one("#start-run", Button).disabled
        await wait_for_text(pilot, app, "1 field to fix")
        await pilot.press("enter")
        await pilot.pause(0.05)
        assert app.screen.id == "new-run-screen" and started == []
        epochs.value = ""
        await pilot.press("5")
        budget = app.screen.query_one("#field-sampling-budget", Input)
        budget.value = "10"
        await pilot.pause(0.05)
        assert _error(app, "field-vae-epochs") == ""
        assert "must be >= sampling.initial (50)" in _error(app, "field-sampling-budget")
        budget.value = "150"
        await pilot.pause(0.05)
        assert _error(app, "field-sampling-budget") == "" and not app.screen.query_one("#start-run").disabled
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(started) == 1, what="the start")
        cfg = config_mod.load(home / "runs" / started[0] / "config.toml")
        assert cfg.vae.epochs == 5 and cfg.sampling.budget == 150

    _drive(home, scenario)


@pytest.mark.slow
def test_choices_switch_the_strategy_and_label_source(home, monkeypatch):
    started = _no_launch(monkeypatch)

    async def scenario(app, pilot):
        from textual.widgets import Select

        app.screen.query_one("#field-sampling-strategy", Select).value = "coreset"
        app.screen.query_one("#field-oracle-kind", Select).value = "human"
        await pilot.pause(0.05)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(started) == 1, what="the start")
        cfg = config_mod.load(home / "runs" / started[0] / "config.toml")
        assert cfg.sampling.strategy == "coreset" and cfg.oracle.kind == "human"

    _drive(home, scenario)


@pytest.mark.slow
def test_config_file_prefills_the_form(home, tmp_path, monkeypatch):
    _no_launch(monkeypatch)
    path = tmp_path / "mine.toml"
    path.write_text(config_mod.dumps(tiny_config(strategy="random")))

    async def scenario(app, pilot):
        assert app.screen.query_one("#field-name", Input).value == "tiny"
        assert app.screen.query_one("#field-vae-epochs", Input).value == "3"
        assert app.screen.config == tiny_config(strategy="random")

    _drive(home, scenario, config_path=path)


@pytest.mark.slow
def test_save_preset_goes_to_the_config_folder_and_never_overwrites(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config_home = tmp_path / "config-home"
    monkeypatch.setenv("ALSS_CONFIG_HOME", str(config_home))

    async def scenario(app, pilot):
        name = app.screen.query_one("#field-name", Input)
        name.value = "my digits"
        await pilot.pause(0.05)
        await pilot.press("ctrl+s")
        saved = config_home / "presets" / "my-digits.toml"
        await wait_for(pilot, saved.exists, what="the preset")
        assert config_mod.load(saved).name == "my digits"
        assert not (tmp_path / "experiments").exists()  # nothing lands in the working directory
        saved.write_text("# mine\n")
        await pilot.press("ctrl+s")
        await pilot.pause(0.05)
        assert saved.read_text() == "# mine\n"
        # the saved preset is offered in the form, marked as saved
        options = [v for _, v in app.screen.query_one("#preset-select", Select)._options]
        assert "my-digits" in options and "digits-snn" in options

    _drive(home, scenario)


@pytest.mark.slow
def test_save_refuses_the_name_of_a_built_in_preset(home, tmp_path, monkeypatch):
    config_home = tmp_path / "config-home"
    monkeypatch.setenv("ALSS_CONFIG_HOME", str(config_home))

    async def scenario(app, pilot):
        app.screen.query_one("#field-name", Input).value = "digits-snn"
        await pilot.pause(0.05)
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert not (config_home / "presets").exists()
        assert any("exists" in str(n.message) for n in app._notifications)

    _drive(home, scenario)


@pytest.mark.slow
def test_choosing_a_preset_fills_the_form(home):
    async def scenario(app, pilot):
        app.screen.query_one("#preset-select", Select).value = "digits-human"
        await wait_for(pilot, lambda: app.screen.config is not None and app.screen.config.name == "digits-human",
                       what="the preset's values")
        assert app.screen.config.oracle.kind == "human"
        assert app.screen.config.sampling.strategy == "snn"
        assert app.screen.query_one("#field-oracle-kind", Select).value == "human"

    _drive(home, scenario)


@pytest.mark.slow
def test_the_form_fits_80x24_and_scrolls(home):
    async def scenario(app, pilot):
        form = app.screen.query_one("#form")
        assert form.max_scroll_y > 0
        await wait_for_text(pilot, app, "Start run", "ready:")

    _drive(home, scenario, size=(80, 24))


@pytest.mark.slow
def test_a_preset_name_prefills_the_form(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # presets ship in the package: no experiments/ folder needed

    async def scenario(app, pilot):
        assert app.screen.query_one("#field-name", Input).value == "digits-human"
        assert app.screen.config.oracle.kind == "human"

    _drive(home, scenario, config_path="digits-human")
