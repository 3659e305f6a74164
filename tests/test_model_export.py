"""The model out: export writes a TorchScript file plain torch loads, model.json, predictions for
every pool item and a class-folder dataset; predict reads files as the pool was read; a killed
export leaves nothing under a final name; a destination that cannot be written is one line."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import REPO, cli

pytestmark = pytest.mark.slow

TINY = ["--set", "vae.epochs=1", "--set", "vae.width=16", "--set", "task.width=16", "--set", "task.epochs=0",
        "--set", "task.steps=80", "--set", "sampling.initial=30", "--set", "sampling.per_round=20",
        "--set", "sampling.budget=70", "--set", "sampling.strategy=margin-sub"]


@pytest.fixture(scope="module")
def folder_run(tmp_path_factory):
    """A finished run on a folder of PNGs with train/ and test/ class folders (the digits, 8 px)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    base = tmp_path_factory.mktemp("export")
    root, home = base / "digits", base / "home"
    digits = load_digits()
    for k in range(600):
        split = "test" if k % 5 == 0 else "train"
        out = root / split / str(digits.target[k])
        out.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.rint(digits.images[k] * 255 / 16).astype(np.uint8)).save(out / f"d{k:04d}.png")
    # One name twice in the pool (another class folder): the class-folder export keeps both.
    (root / "train" / "7" / "d0001.png").write_bytes((root / "train" / "1" / "d0001.png").read_bytes())
    done = cli("run", "--json", "--home", str(home), "--set", "data.dataset=folder",
               "--set", f"data.data_root={root}", "--set", "data.image_size=8", *TINY)
    assert done.returncode == 0, done.stderr
    return home, root, json.loads(done.stdout)


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_export_writes_a_model_plain_torch_loads_with_the_run_s_own_test_predictions(folder_run, tmp_path):
    home, root, run = folder_run
    dest = tmp_path / "out"
    done = cli("export", run["run_id"], "--home", str(home), "--to", str(dest), "--layout", "imagefolder")
    assert done.returncode == 0, done.stderr
    for name in ("labels.csv", "rounds.csv", "config.toml", "model.pt", "model.json", "predictions.csv"):
        assert (dest / name).is_file(), name
    meta = json.loads((dest / "model.json").read_text())
    assert meta["classes"] == [str(d) for d in range(10)]
    assert meta["input"] == {**meta["input"], "dtype": "uint8", "channels": 1, "height": 8, "width": 8,
                             "layout": "NCHW", "value_range": [0, 255]}
    assert meta["round"] == run["rounds"][-1]["round"] and meta["labelled"] == 70
    # Plain torch in a fresh interpreter (no alss_tui): the test split's files, read as model.json says.
    script = """
import json, sys, numpy as np, torch
from pathlib import Path
from PIL import Image
dest, root = Path(sys.argv[1]), Path(sys.argv[2])
meta = json.loads((dest / "model.json").read_text())
model = torch.jit.load(str(dest / "model.pt"))
files = sorted((root / "test").rglob("*.png"))
x = torch.from_numpy(np.stack([np.asarray(Image.open(f).convert("L"))[None] for f in files]))
pred = model(x).argmax(1).numpy()
truth = np.array([meta["classes"].index(f.parent.name) for f in files])
print(json.dumps({"accuracy": float((pred == truth).mean()), "pred": pred.tolist(),
                  "alss": any(m.startswith("alss_tui") for m in sys.modules)}))
"""
    plain = subprocess.run([sys.executable, "-c", script, str(dest), str(root)], capture_output=True, text=True,
                           cwd=str(tmp_path), env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert plain.returncode == 0, plain.stderr
    loaded = json.loads(plain.stdout)
    assert not loaded["alss"]
    assert loaded["accuracy"] == pytest.approx(run["accuracy"], abs=1e-6)  # the run's own test accuracy
    # ... and item by item the run's model on its own test split.
    from alss_tui.runner.trained_model import open_trained
    from alss_tui.store.run_folder import RunFolder
    import torch

    trained = open_trained(RunFolder(home / "runs" / run["run_id"]), home)
    with torch.no_grad():
        own = trained.engine.model(trained.engine.test_x.slice(0, len(trained.engine.test_y))).argmax(1).numpy()
    assert loaded["pred"] == own.tolist()


def test_predictions_cover_the_pool_and_predict_on_the_folder_agrees(folder_run, tmp_path):
    home, root, run = folder_run
    dest = tmp_path / "out"
    assert cli("export", run["run_id"], "--home", str(home), "--to", str(dest), "--layout",
               "imagefolder").returncode == 0
    rows = _rows(dest / "predictions.csv")
    assert list(rows[0]) == ["pool_index", "path", "predicted", "probability", "margin", "labelled", "label"]
    pool = len(list((root / "train").rglob("*.png")))
    assert len(rows) == pool and [int(r["pool_index"]) for r in rows] == list(range(pool))
    labelled = [r for r in rows if r["labelled"] == "yes"]
    assert len(labelled) == 70
    for r in rows:
        assert 0 <= float(r["margin"]) <= float(r["probability"]) <= 1
    # The class folders: every labelled item under its given class, with its own bytes.
    placed = sorted(p for p in dest.glob("*/*.png"))
    assert len(placed) == 70
    by_label = {}
    for r in labelled:
        by_label.setdefault(r["label"], []).append(r["path"])
    for label, paths in by_label.items():
        got = sorted((dest / label).iterdir())
        assert len(got) == len(paths)
        assert sorted(p.read_bytes() for p in got) == sorted(open(p, "rb").read() for p in paths)
    assert not list(dest.rglob("*.alss-export.tmp"))
    # predict on the pool's own files gives what predictions.csv says about them.
    out = cli("predict", run["run_id"], str(root / "train"), "--home", str(home), "--json", "--top", "2")
    assert out.returncode == 0, out.stderr
    predicted = {p["path"]: p["top"][0] for p in json.loads(out.stdout)["predictions"]}
    assert len(predicted) == pool
    for r in rows:
        top = predicted[r["path"]]
        assert top["class"] == r["predicted"]
        assert top["probability"] == pytest.approx(float(r["probability"]), abs=1e-5)


def test_predict_says_which_file_it_could_not_read(folder_run, tmp_path):
    home, root, run = folder_run
    (tmp_path / "broken.jpg").write_text("not an image")
    good = next((root / "test" / "3").iterdir())
    out = cli("predict", run["run_id"], str(tmp_path / "broken.jpg"), str(good), "--home", str(home), "--csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(out.stdout.splitlines()))
    assert rows[0][:3] == ["path", "class_1", "probability_1"]
    assert rows[1][0].endswith("broken.jpg") and rows[1][-1].startswith("UnidentifiedImageError")
    assert rows[2][0] == str(good) and rows[2][1] in [str(d) for d in range(10)]
    missing = cli("predict", run["run_id"], str(tmp_path / "nothing-here"), "--home", str(home))
    assert missing.returncode == 1 and "no such file or folder" in missing.stderr and "Traceback" not in missing.stderr


def test_an_export_killed_midway_leaves_nothing_under_a_final_name(folder_run, tmp_path):
    home, root, run = folder_run
    dest = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "alss_tui", "export", run["run_id"], "--home", str(home),
                             "--to", str(dest), "--layout", "imagefolder"], cwd=REPO, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        end = time.time() + 120
        while time.time() < end and not list(dest.glob(".labels.csv*.tmp")):
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert list(dest.glob(".labels.csv*.tmp"))  # it was killed in the middle
    finals = [p for p in dest.rglob("*") if p.is_file() and not p.name.endswith(".alss-export.tmp")]
    assert finals == []
    again = cli("export", run["run_id"], "--home", str(home), "--to", str(dest))
    assert again.returncode == 0, again.stderr
    assert not list(dest.rglob("*.alss-export.tmp"))  # the next export clears what the kill left
    assert (dest / "model.pt").is_file()


def test_a_destination_that_cannot_be_written_is_one_line(folder_run, tmp_path):
    home, _, run = folder_run
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for dest in ("/proc/x", str(blocker / "out")):
        out = cli("export", run["run_id"], "--home", str(home), "--to", dest)
        assert out.returncode == 1 and "Traceback" not in out.stderr
        assert out.stderr.strip().count("\n") == 0 and "cannot write an export there" in out.stderr
