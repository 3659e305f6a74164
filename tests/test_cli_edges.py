"""What a new user meets first: presets by name, --version, a bad ALSS_HOME, run without a config."""

import json

import pytest

from alss_tui import __version__
from conftest import cli

TINY = ["--set", "vae.epochs=1", "--set", "vae.width=16", "--set", "task.steps=20", "--set", "task.epochs=0", "--set", "task.width=16",
        "--set", "sampling.initial=30", "--set", "sampling.per_round=20", "--set", "sampling.budget=50"]


def test_version():
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"alss-tui {__version__}"


def test_presets_lists_built_in_and_saved(tmp_path):
    saved = tmp_path / "alss-config" / "presets"
    saved.mkdir(parents=True)
    (saved / "mine.toml").write_text('name = "mine"\n[sampling]\nstrategy = "random"\nbudget = 120\n')
    (saved / "broken.toml").write_text("name = \n")
    result = cli("presets", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    rows = {r["name"]: r for r in doc["presets"]}
    assert rows["digits-snn"]["source"] == "built-in" and rows["digits-snn"]["strategy"] == "snn"
    assert rows["mine"]["source"] == "saved" and rows["mine"]["budget"] == 120
    assert rows["broken"]["error"] and "TOML" in rows["broken"]["error"]
    assert doc["saved_to"] == str(saved)
    table = cli("presets", cwd=tmp_path, env={"COLUMNS": "80"})
    assert table.returncode == 0 and "digits-margin-sub" in table.stdout and "mine" in table.stdout


@pytest.mark.slow
def test_a_preset_name_runs_from_any_directory(home, tmp_path):
    result = cli("run", "digits-random", "--json", *TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["config"]["name"] == "digits-random" and doc["config"]["sampling"]["strategy"] == "random"


@pytest.mark.slow
def test_a_local_file_wins_over_a_preset_of_the_same_name(home, tmp_path):
    (tmp_path / "digits-random").write_text('name = "local"\n[sampling]\nstrategy = "entropy"\n')
    result = cli("run", "digits-random", "--json", *TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["config"]["name"] == "local"


def test_an_unknown_preset_is_one_line(home, tmp_path):
    result = cli("run", "digits-nope", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'digits-nope': no config file or preset" in lines[0] and "alss-tui presets" in lines[0]


@pytest.mark.slow
def test_run_without_a_config_uses_the_defaults(home, tmp_path):
    result = cli("run", "--json", *TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)["config"]
    assert cfg["data"]["dataset"] == "digits" and cfg["sampling"]["strategy"] == "margin-sub"
    assert cfg["sampling"]["budget"] == 50


@pytest.mark.parametrize("command", [["ls"], ["show", "abc"], ["run", "--resume", "abc"], ["doctor"],
                                     ["label", "abc", "--from", "x.csv"], ["review", "abc"], ["dashboard"],
                                     ["new"], ["bench", "--summary-only"], ["export", "abc", "--to", "out"]])
def test_a_home_that_is_a_file_is_one_line_for_every_command(tmp_path, command):
    bad = tmp_path / "home-file"
    bad.write_text("not a folder")
    result = cli(*command, env={"ALSS_HOME": str(bad)}, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"ALSS_HOME={bad} is a file, not a folder" in lines[0], result.stderr


def test_a_home_that_cannot_be_created_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli("ls", "--home", str(blocker / "runs"), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--home=" in lines[0] and "cannot create the folder" in lines[0]


@pytest.mark.slow
def test_resuming_a_finished_run_is_refused_with_one_line_and_the_log_is_untouched(home):
    import json

    tiny = ["--set", "sampling.initial=20", "--set", "sampling.per_round=10", "--set", "sampling.budget=30",
            "--set", "vae.epochs=1", "--set", "task.epochs=0", "--set", "task.steps=10"]
    done = cli("run", "--json", *tiny)
    assert done.returncode == 0, done.stderr
    rid = json.loads(done.stdout)["run_id"]
    log = home / "runs" / rid / "events.jsonl"
    before = log.read_bytes()
    for args in (("run", "--resume", rid), ("run", "--resume", rid, "--detach")):
        again = cli(*args)
        assert again.returncode == 1
        lines = again.stderr.strip().splitlines()
        assert len(lines) == 1 and "has finished" in lines[0] and "Traceback" not in again.stderr
    assert log.read_bytes() == before  # no second start and finish appended


def test_stored_errors_and_names_are_printed_as_text_not_markup(home):
    from alss_tui.config import RunConfig
    from alss_tui.store.registry import Registry
    from alss_tui.store.run_ops import create_run

    folder = create_run(home, RunConfig(name="[red]weird[/]"))
    Registry(home).upsert(folder.run_id, status="failed", error="KeyError: [bold]x[/] in [link=y]")
    shown = cli("show", folder.run_id)
    assert shown.returncode == 0, shown.stderr
    assert "[bold]x[/] in [link=y]" in shown.stdout and "[red]weird[/]" in shown.stdout
    assert "[red]weird[" in cli("ls").stdout  # as text (the column may be cut to fit)
