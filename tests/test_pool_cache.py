"""The pool store: decoded once, memory-mapped after, rebuilt when (and only where) files change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alss_tui.config import DataConfig
from alss_tui.data.loaders import load_dataset
from alss_tui.data.pool import to_float
from alss_tui.data.pool_cache import PoolCache
from alss_tui.errors import DataError
from conftest import REPO


def _photo(path: Path, seed: int, size=(40, 30), mode="RGB") -> None:
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode).save(path, quality=90)


def _classes(root: Path, per_class: int = 6, classes=("cat", "dog"), ext="jpg") -> None:
    for c, name in enumerate(classes):
        for i in range(per_class):
            _photo(root / name / f"{i:03d}.{ext}", seed=100 * c + i)


def _folder(root: Path, **kw) -> DataConfig:
    return DataConfig(dataset="folder", data_root=str(root), image_size=kw.pop("image_size", 16),
                      decode_workers=kw.pop("decode_workers", 1), **kw)


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if not p.name.startswith(".")) if cache.is_dir() else []


def test_reopen_is_a_memory_map_equal_to_the_first_open(tmp_path):
    _classes(tmp_path / "photos")
    cache = tmp_path / "cache"
    first = load_dataset(_folder(tmp_path / "photos"), cache)
    assert isinstance(first.pool_images, np.memmap) and first.pool_images.dtype == np.uint8
    again = load_dataset(_folder(tmp_path / "photos"), cache)
    assert isinstance(again.pool_images, np.memmap) and isinstance(again.test.images, np.memmap)
    assert again.pool_key == first.pool_key and len(_entries(cache)) == 1
    np.testing.assert_array_equal(again.pool_images, first.pool_images)
    np.testing.assert_array_equal(again.test.images, first.test.images)
    assert again.pool_paths == first.pool_paths and again.pool_truth.tolist() == first.pool_truth.tolist()
    in_memory = load_dataset(_folder(tmp_path / "photos"))
    assert not isinstance(in_memory.pool_images, np.memmap)
    np.testing.assert_array_equal(in_memory.pool_images, first.pool_images)


def test_digits_through_the_cache_are_bit_identical_to_the_eager_floats(tmp_path):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    eager = (bunch.images.astype(np.float32) / 16.0)[:, None]  # what the loader returned before the cache
    perm = np.random.default_rng(20240601 + 1).permutation(len(eager))
    n_test = int(round(len(eager) * 0.2))
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):  # in memory, first build, re-open
        ds = load_dataset(DataConfig(), cache)
        assert ds.pixel_scale == 16.0 and ds.pool_images.dtype == np.uint8
        pool = to_float(ds.pool_images, ds.pixel_scale)
        assert pool.dtype == np.float32
        assert pool.tobytes() == eager[np.sort(perm[n_test:])].tobytes()
        assert to_float(ds.test.images, 16.0).tobytes() == eager[np.sort(perm[:n_test])].tobytes()


def test_shaping_gives_the_same_rows_memory_mapped_as_in_memory(tmp_path):
    cfg = DataConfig(validation_size=100, imbalance=5.0, pool_limit=500)
    eager = load_dataset(cfg)
    mapped = load_dataset(cfg, tmp_path / "cache")
    assert isinstance(mapped.pool_images, np.memmap) and isinstance(mapped.validation.images, np.memmap)
    np.testing.assert_array_equal(mapped.pool_images, eager.pool_images)
    np.testing.assert_array_equal(mapped.validation.images, eager.validation.images)
    assert mapped.pool_truth.tolist() == eager.pool_truth.tolist()
    limited = load_dataset(DataConfig(pool_limit=300), tmp_path / "cache")
    assert isinstance(limited.pool_images, np.memmap) and len(limited.pool_images) == 300  # a view, no copy


def test_changed_added_removed_files_make_a_new_key_and_only_new_files_decode(tmp_path):
    root, cache = tmp_path / "photos", tmp_path / "cache"
    _classes(root)
    key0 = load_dataset(_folder(root), cache).pool_key
    _photo(root / "dog" / "new.jpg", seed=999)
    added = load_dataset(_folder(root), cache)
    assert added.pool_key != key0
    meta = json.loads((cache / added.pool_key / "meta.json").read_text())
    assert meta["decoded"] == 1 and meta["reused"] == 12
    fresh = load_dataset(_folder(root))  # decoded from scratch: reuse must not change a pixel
    np.testing.assert_array_equal(added.pool_images, fresh.pool_images)
    np.testing.assert_array_equal(added.test.images, fresh.test.images)

    _photo(root / "cat" / "000.jpg", seed=12345)  # same name, new content
    os.utime(root / "cat" / "000.jpg", ns=(1, 1))
    changed = load_dataset(_folder(root), cache)
    assert changed.pool_key not in (key0, added.pool_key)
    assert json.loads((cache / changed.pool_key / "meta.json").read_text())["decoded"] == 1
    (root / "dog" / "001.jpg").unlink()
    removed = load_dataset(_folder(root), cache)
    assert removed.pool_key not in (key0, added.pool_key, changed.pool_key)
    assert len(removed.pool_images) + len(removed.test) == 12
    assert json.loads((cache / removed.pool_key / "meta.json").read_text())["decoded"] == 0


def test_corrupt_truncated_and_empty_jpegs_are_skipped_and_listed(tmp_path):
    root = tmp_path / "photos"
    _classes(root)
    good = (root / "cat" / "000.jpg").read_bytes()
    (root / "cat" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg at all" * 10)
    (root / "cat" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (root / "dog" / "empty.jpg").write_bytes(b"")
    ds = load_dataset(_folder(root), tmp_path / "cache")
    assert len(ds.pool_images) + len(ds.test) == 12
    reasons = {Path(p).name: r for p, r in ds.skipped}
    assert set(reasons) == {"corrupt.jpg", "truncated.jpg", "empty.jpg"}
    assert reasons["empty.jpg"] == "empty file (0 bytes)" and "truncated" in reasons["truncated.jpg"]
    assert all(Path(p).is_absolute() for p, _ in ds.skipped)
    again = load_dataset(_folder(root), tmp_path / "cache")  # the list survives the re-open
    assert sorted(again.skipped) == sorted(ds.skipped)


def test_runner_records_pool_key_and_skipped_list(tmp_path):
    from alss_tui.runner.pool_open import record_pool, recorded_pool_key
    from alss_tui.store.run_folder import RunFolder

    root = tmp_path / "photos"
    _classes(root)
    (root / "dog" / "empty.jpg").write_bytes(b"")
    ds = load_dataset(_folder(root), tmp_path / "cache")
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    record_pool(folder, ds, _folder(root))
    assert recorded_pool_key(folder) == ds.pool_key
    doc = json.loads((folder.path / "pool.json").read_text())
    assert doc["pool"] == len(ds.pool_images) and doc["skipped"] == 1
    line = (folder.path / "skipped.txt").read_text().splitlines()
    assert line == [f"{root / 'dog' / 'empty.jpg'}\tempty file (0 bytes)"]


def test_no_readable_image_fails_with_one_line(tmp_path):
    root = tmp_path / "photos"
    (root / "cat").mkdir(parents=True)
    (root / "cat" / "a.jpg").write_bytes(b"")
    (root / "cat" / "b.png").write_bytes(b"garbage")
    with pytest.raises(DataError) as err:
        load_dataset(_folder(root), tmp_path / "cache")
    assert "no readable image among 2 files" in str(err.value) and "\n" not in str(err.value)
    assert _entries(tmp_path / "cache") == []


def test_train_and_val_folders_are_pool_and_test(tmp_path):
    root = tmp_path / "photos"
    _classes(root / "train", per_class=5)
    _classes(root / "val", per_class=2)
    ds = load_dataset(_folder(root), tmp_path / "cache")
    assert ds.classes == ("cat", "dog")
    # One held-out folder named val/: the test split, and the validation split for evaluate_on = "validation".
    assert len(ds.pool_images) == 10 and len(ds.test) == 4 and ds.validation_is_test
    np.testing.assert_array_equal(ds.validation.images, ds.test.images)
    assert all("/train/" in p for p in ds.pool_paths)
    assert ds.test.labels.tolist() == [0, 0, 1, 1]
    _classes(root / "test", per_class=3)  # test/ beside val/: test is the test split, val the validation split
    both = load_dataset(_folder(root), tmp_path / "cache")
    assert len(both.test) == 6 and len(both.validation) == 4 and len(both.pool_images) == 10
    _classes(root / "val", per_class=1, classes=("cat", "bird"))
    with pytest.raises(DataError, match="bird"):
        load_dataset(_folder(root), tmp_path / "cache")


def test_nested_class_folders_follow_image_folder_rules(tmp_path):
    from torchvision.datasets.folder import make_dataset

    root = tmp_path / "photos"
    for rel, seed in (("b/x/1.jpg", 1), ("b/0.png", 2), ("a/deep/er/2.jpg", 3), ("a/3.JPG", 4), ("a/y/4.jpg", 5)):
        _photo(root / rel, seed)
    (root / "a" / "notes.txt").write_text("not an image")
    ds = load_dataset(_folder(root, test_fraction=0.2), None)
    assert ds.classes == ("a", "b")
    expected = make_dataset(str(root), {"a": 0, "b": 1}, extensions=(".jpg", ".png"))
    expected_paths = [p for p, _ in expected]
    labels = dict(expected)
    assert set(ds.pool_paths) < set(expected_paths) and len(ds.pool_paths) == 4
    assert list(ds.pool_paths) == [p for p in expected_paths if p in ds.pool_paths]  # same order
    assert [labels[p] for p in ds.pool_paths] == ds.pool_truth.tolist()


def test_flat_unlabelled_folder_may_be_nested(tmp_path):
    root = tmp_path / "photos"
    for rel, seed in (("1.jpg", 1), ("2023/2.jpg", 2), ("2023/june/3.jpg", 3)):
        _photo(root / rel, seed)
    ds = load_dataset(_folder(root, class_names=("keep", "drop")), None)
    assert ds.pool_truth is None and len(ds.pool_images) == 3 and len(ds.test) == 0


def test_the_crop_keeps_aspect(tmp_path):
    # 2:1: red | green | blue bands. Squashing keeps red and blue at the edges; a centre crop shows only green.
    img = np.zeros((32, 64, 3), np.uint8)
    img[:, :12, 0] = 255  # halved to 32 x 16, then cropped to columns 8..23: red and blue fall outside
    img[:, 12:52, 1] = 255
    img[:, 52:, 2] = 255
    (tmp_path / "photos" / "only").mkdir(parents=True)
    Image.fromarray(img).save(tmp_path / "photos" / "only" / "wide.png")
    Image.fromarray(img).save(tmp_path / "photos" / "only" / "wide2.png")
    ds = load_dataset(_folder(tmp_path / "photos"), None)
    crop = np.concatenate([ds.pool_images, ds.test.images])[0]
    assert crop.shape == (3, 16, 16)
    assert crop[1].min() == 255 and crop[0].max() == 0 and crop[2].max() == 0


def test_grayscale_stays_one_channel_under_auto(tmp_path):
    root = tmp_path / "photos"
    for i in range(4):
        _photo(root / "a" / f"{i}.png", i, mode="L")
        _photo(root / "b" / f"{i}.jpg", 10 + i, mode="L")
    assert load_dataset(_folder(root), None).shape == (1, 16, 16)
    assert load_dataset(_folder(root, channels="3"), None).shape == (3, 16, 16)
    _photo(root / "b" / "colour.jpg", 99)
    assert load_dataset(_folder(root), None).shape == (3, 16, 16)


def test_parallel_decode_matches_one_worker(tmp_path):
    root = tmp_path / "photos"
    _classes(root, per_class=20)
    one = load_dataset(_folder(root, decode_workers=1), tmp_path / "one")
    two = load_dataset(_folder(root, decode_workers=2), tmp_path / "two")
    np.testing.assert_array_equal(one.pool_images, two.pool_images)
    np.testing.assert_array_equal(one.test.images, two.test.images)


def test_resume_reopens_the_pool_it_started_with_or_says_why_not(tmp_path):
    import shutil

    root, cache = tmp_path / "photos", tmp_path / "cache"
    _classes(root)
    started = load_dataset(_folder(root), cache)
    _photo(root / "cat" / "later.jpg", 77)
    resumed = load_dataset(_folder(root), cache, pool_key=started.pool_key)
    assert resumed.pool_key == started.pool_key
    np.testing.assert_array_equal(resumed.pool_images, started.pool_images)
    shutil.rmtree(cache / started.pool_key)
    with pytest.raises(DataError, match="files changed since this run started"):
        load_dataset(_folder(root), cache, pool_key=started.pool_key)


def test_array_dataset_is_mapped_as_it_is(tmp_path):
    images = np.random.default_rng(0).integers(0, 255, (50, 1, 8, 8), dtype=np.uint8)
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "labels.npy", np.arange(50) % 3)
    ds = load_dataset(DataConfig(dataset="array", data_root=str(tmp_path)), tmp_path / "cache")
    assert isinstance(ds.pool_images, np.memmap) and ds.classes == ("0", "1", "2")
    np.testing.assert_array_equal(ds.pool_images, images)
    np.save(tmp_path / "images.npy", images.astype(np.float32))
    with pytest.raises(DataError, match="expected uint8"):
        load_dataset(DataConfig(dataset="array", data_root=str(tmp_path)))


KILLED_BUILD = textwrap.dedent("""
    import sys, time
    from alss_tui.config import DataConfig
    from alss_tui.data.loaders import open_pool

    opening = open_pool(DataConfig(dataset="folder", data_root=sys.argv[1], image_size=16, decode_workers=1),
                        sys.argv[2])
    for done, total in opening:
        print(done, total, flush=True)
        time.sleep(0.5)  # a slow disk: leaves time to be killed mid-decode
    print("finished", flush=True)
""")


def test_kill_during_first_decode_never_leaves_a_finished_looking_cache(tmp_path):
    root, cache = tmp_path / "photos", tmp_path / "cache"
    _classes(root, per_class=40)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(root), str(cache)], env=env,
                            stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        done, _ = map(int, line.split())
        if done > 0:  # some rows written, not all
            break
    proc.kill()  # SIGKILL: no cleanup runs
    proc.wait()
    assert _entries(cache) == [] and list(cache.glob(".tmp-*"))
    ds = load_dataset(_folder(root), cache)
    fresh = load_dataset(_folder(root))
    np.testing.assert_array_equal(ds.pool_images, fresh.pool_images)
    np.testing.assert_array_equal(ds.test.images, fresh.test.images)
    assert [p.name for p in _entries(cache)] == [ds.pool_key] and not list(cache.glob(".tmp-*"))
    assert PoolCache(cache).open(ds.pool_key) is not None


def test_cached_reopen_does_not_read_image_files(tmp_path, monkeypatch):
    root, cache = tmp_path / "photos", tmp_path / "cache"
    _classes(root)
    load_dataset(_folder(root), cache)
    import alss_tui.data.decode as decode

    def refuse(*args, **kwargs):
        raise AssertionError("a cached pool must not decode")

    monkeypatch.setattr(decode, "decode_image", refuse)
    start = time.perf_counter()
    load_dataset(_folder(root), cache)
    assert time.perf_counter() - start < 1.0


def test_a_detached_runner_reports_a_first_decode_as_progress_events(tmp_path, home):
    from alss_tui.config import RunConfig, SamplingConfig, TaskConfig, VaeConfig
    from alss_tui.runner.execute import execute
    from alss_tui.store.jsonl import read_all
    from alss_tui.store.run_ops import create_run
    from alss_tui.tui.state.run_state import RunState

    root = tmp_path / "photos"
    _classes(root, per_class=12)
    cfg = RunConfig(name="photos", seed=0, device="cpu", data=_folder(root), vae=VaeConfig(epochs=1, width=8),
                    task=TaskConfig(width=8, steps=5, epochs=0), sampling=SamplingConfig(initial=6, per_round=4, budget=10))
    folder = create_run(home, cfg)
    execute(folder)  # what a runner launched by the dashboard does: no terminal, no bar
    records, _ = read_all(folder.events_path)
    kinds = [r["type"] for r in records]
    decode = [r for r in records if r["type"] == "Progress" and r["phase"] == "decode"]
    assert decode and kinds.index("Progress") < kinds.index("RunStarted")  # before the run's first event
    assert decode[-1]["done"] == decode[-1]["total"] == 24  # every photo, the test split's too
    state = RunState(folder.run_id)
    state.apply_records(records[:kinds.index("RunStarted")])
    assert state.snapshot().phase == "decode"
    assert kinds[-1] == "RunFinished"
    # A second run on the same folder maps the cache: nothing to decode, no such events.
    again = create_run(home, cfg)
    execute(again)
    assert not [r for r in read_all(again.events_path)[0] if r.get("phase") == "decode"]


@pytest.mark.parametrize("corrupt", [False, True])
def test_every_row_holds_the_pixels_and_label_of_the_file_it_names(tmp_path, corrupt):
    """Files decode straight into their final rows; with an unreadable file the rows are compacted."""
    from alss_tui.data.decode import decode_image

    root = tmp_path / "photos"
    _classes(root, per_class=9, classes=("cat", "dog", "eel"))
    if corrupt:
        (root / "dog" / "003.jpg").write_bytes(b"not a jpeg")
    ds = load_dataset(_folder(root, decode_workers=2), tmp_path / "cache")
    assert len(ds.pool_images) + len(ds.test) == 27 - corrupt
    classes = {"cat": 0, "dog": 1, "eel": 2}
    for row, path in enumerate(ds.pool_paths):
        assert np.array_equal(ds.pool_images[row], decode_image(path, 16, 3))
        assert ds.pool_truth[row] == classes[Path(path).parent.name]
    test_files = {Path(p) for p in root.rglob("*.jpg")} - {Path(p) for p in ds.pool_paths}
    test_files -= {root / "dog" / "003.jpg"} if corrupt else set()
    decoded_tests = [decode_image(str(p), 16, 3) for p in test_files]
    for row in range(len(ds.test)):  # each test row is the pixels of one held-out file
        assert any(np.array_equal(ds.test.images[row], d) for d in decoded_tests)


def test_row_paths_are_read_on_first_use_and_follow_the_shaping():
    from alss_tui.data.pool import RowPaths

    loads = []

    def load():
        loads.append(1)
        return [f"/p/{i}.jpg" for i in range(10)]

    paths = RowPaths(load, 10)
    shaped = paths.select(np.array([7, 2, 5])).select(np.array([2, 0]))
    assert len(paths) == 10 and len(shaped) == 2 and not loads  # nothing read to shape or count
    assert list(shaped) == ["/p/5.jpg", "/p/7.jpg"] and shaped[-1] == "/p/7.jpg"
    assert len(loads) == 1
    with pytest.raises(IndexError):
        shaped[2]
    assert paths == [f"/p/{i}.jpg" for i in range(10)]
