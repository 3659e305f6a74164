"""Scores know their split: events, fold, registry, CLI tables and exports name it, and a folder's
own val/ serves task.evaluate_on = "validation"."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from alss_tui.config import DataConfig
from alss_tui.data.loaders import load_dataset
from alss_tui.errors import DataError
from conftest import cli, tiny_config


def _photos(root, classes=("cat", "dog"), per_class=8, seed=0):
    rng = np.random.default_rng(seed)
    for c, name in enumerate(classes):
        for i in range(per_class):
            path = root / name / f"{i:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            base = np.full((20, 20, 3), 60 + 120 * c, np.uint8)
            Image.fromarray(np.clip(base + rng.integers(0, 40, base.shape), 0, 255).astype(np.uint8)).save(path)


def _folder_cfg(root, **kw) -> DataConfig:
    return DataConfig(dataset="folder", data_root=str(root), image_size=16, decode_workers=1, **kw)


def test_a_folder_with_train_and_val_only_scores_on_val_as_validation(tmp_path):
    _photos(tmp_path / "photos" / "train", per_class=10)
    _photos(tmp_path / "photos" / "val", per_class=4, seed=1)
    cache = tmp_path / "cache"
    for cache_dir in (None, cache, cache):  # in memory, first decode, cached re-open
        ds = load_dataset(_folder_cfg(tmp_path / "photos"), cache_dir)
        assert ds.validation is not None and len(ds.validation) == 8
        np.testing.assert_array_equal(ds.validation.images, ds.test.images)  # val/ is still the test split too
    # Carving a validation split from the pool instead is allowed, and then val/ is only the test split.
    carved = load_dataset(_folder_cfg(tmp_path / "photos", validation_size=4), cache)
    assert len(carved.validation) == 4 and len(carved.pool_images) == 16 and len(carved.test) == 8


def test_validation_without_any_validation_split_is_one_line(tmp_path):
    from alss_tui.core.engine import Engine

    _photos(tmp_path / "photos")
    cfg = replace(tiny_config(initial=4, per_round=2, budget=8), data=_folder_cfg(tmp_path / "photos"),
                  task=replace(tiny_config().task, evaluate_on="validation"))
    with pytest.raises(DataError, match="no validation split; set data.validation_size, or give a folder a val/"):
        Engine(cfg, load_dataset(cfg.data))


@pytest.mark.slow
def test_a_validation_run_names_its_split_in_every_table_and_file(home, tmp_path):
    run = cli("run", "--json", "--set", "data.validation_size=200", "--set", 'task.evaluate_on="validation"',
              "--set", "sampling.initial=40", "--set", "sampling.per_round=30", "--set", "sampling.budget=70",
              "--set", "vae.epochs=1", "--set", "task.epochs=0", "--set", "task.steps=20")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["split"] == "validation" and {r["split"] for r in doc["rounds"]} == {"validation"}
    rid = doc["run_id"]

    events = [json.loads(line) for line in (home / "runs" / rid / "events.jsonl").read_text().splitlines()]
    assert {e["split"] for e in events if e["type"] in ("Evaluated", "RoundFinished", "RunFinished")} == {"validation"}

    listed = json.loads(cli("ls", "--json").stdout)
    assert listed[0]["split"] == "validation"
    table = cli("ls").stdout
    header = next(line for line in table.splitlines() if "val %" in line)
    row = next(line for line in table.splitlines() if line.startswith(rid))
    # The figure sits under "val %", and the "test %" column of this run is empty.
    assert row[header.index("val %"):header.index("val %") + 5].strip() and \
        not row[header.index("test %"):header.index("test %") + 6].strip()
    assert "validation accuracy %" in cli("show", rid, env={"COLUMNS": "160"}).stdout  # kappa columns: wide enough for one header line
    assert "test accuracy" not in cli("show", rid, env={"COLUMNS": "160"}).stdout

    out = tmp_path / "export"
    assert cli("export", rid, "--to", str(out)).returncode == 0
    with open(out / "rounds.csv", newline="") as fh:
        assert "validation_accuracy" in next(csv.reader(fh))

    # The registry rebuilt from the folder keeps the split.
    assert cli("doctor", "--rebuild").returncode == 0
    assert json.loads(cli("ls", "--json").stdout)[0]["split"] == "validation"


def test_an_old_log_without_split_reads_as_test():
    from alss_tui.core import events as ev
    from alss_tui.store.registry import accuracy_split
    from alss_tui.store.run_fold import RunFold

    fold = RunFold()
    fold.add(ev.RoundFinished(0, 40, 0.8, 1.0))  # no Evaluated, no split: a log from before either
    assert fold.rounds[0].split == "test"
    assert accuracy_split({"accuracy": 0.8}) == "test" and accuracy_split({"accuracy": None}) is None
    fold.add(ev.Evaluated(1, 70, 0.85, 0.4, (), split="validation"))
    assert fold.rounds[1].split == "validation"


def test_runs_sorted_by_accuracy_never_rank_two_splits_together():
    from alss_tui.tui.state.run_rows import RunRow, arrange

    def row(rid, acc, split):
        return RunRow(rid, rid, "digits", "random", "simulated", "finished", 1, 70, 70, acc, acc, 0.0, None, split)

    rows = [row("t1", 0.99, "test"), row("v1", 0.90, "validation"), row("v2", 0.95, "validation"),
            row("t2", 0.80, "test")]
    assert [r.id for r in arrange(rows, sort="accuracy")] == ["v2", "v1", "t1", "t2"]

