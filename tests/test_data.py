import gzip

import numpy as np
import pytest

from alss_tui.config import DataConfig
from alss_tui.data.loaders import load_dataset
from alss_tui.data.shaping import long_tail_indices
from alss_tui.data.sources import read_idx
from alss_tui.errors import DataError
from conftest import SHARED_DATA, needs_cifar, needs_mnist


def test_digits_is_the_shipped_default():
    ds = load_dataset(DataConfig())
    # Stored as bytes 0..16 with pixel_scale 16: the float pixels are exactly value / 16, in [0, 1].
    assert ds.pool_images.shape[1:] == (1, 8, 8) and ds.pool_images.dtype == np.uint8
    assert ds.pixel_scale == 16.0 and ds.pool_images.max() == 16
    assert len(ds.pool_images) + len(ds.test) == 1797
    assert ds.classes == tuple("0123456789")


def test_splits_are_fixed_and_disjoint():
    a, b = load_dataset(DataConfig(validation_size=100)), load_dataset(DataConfig(validation_size=100))
    np.testing.assert_array_equal(a.pool_images, b.pool_images)
    pool = {x.tobytes() for x in a.pool_images}
    assert not pool & {x.tobytes() for x in a.validation.images}
    assert len(a.validation) == 100


def test_long_tail_decays_geometrically():
    labels = np.repeat(np.arange(10), 500)
    keep = long_tail_indices(labels, 100.0, np.random.default_rng(0))
    counts = np.bincount(labels[keep])
    assert counts[0] == 500 and counts[-1] == 5
    assert np.all(np.diff(counts) <= 0)
    assert len(np.unique(keep)) == len(keep)


@needs_mnist
def test_mnist_reads_the_distributed_gz_files():
    ds = load_dataset(DataConfig(dataset="mnist", data_root=str(SHARED_DATA / "mnist")))
    assert ds.pool_images.shape == (60000, 1, 28, 28) and len(ds.test) == 10000
    assert ds.pool_truth[:5].tolist() == [5, 0, 4, 1, 9]


@needs_cifar
def test_cifar_subset_loads():
    ds = load_dataset(DataConfig(dataset="cifar10", data_root=str(SHARED_DATA / "cifar10-subset")))
    assert ds.pool_images.shape == (4000, 3, 32, 32) and len(ds.test) == 1000
    assert ds.pool_truth[:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert ds.classes[0] == "airplane"


def test_missing_dataset_names_the_path(tmp_path):
    with pytest.raises(DataError, match=str(tmp_path)):
        load_dataset(DataConfig(dataset="mnist", data_root=str(tmp_path)))
    with pytest.raises(DataError, match="CIFAR-10 files not found"):
        load_dataset(DataConfig(dataset="cifar10", data_root=str(tmp_path)))
    with pytest.raises(DataError, match="no such folder"):
        load_dataset(DataConfig(dataset="folder", data_root=str(tmp_path / "nope")))


def test_malformed_idx_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot read"):
        read_idx(bad, 3)
    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + b"\x01\x02\x03")
    with pytest.raises(DataError, match="3 dimensions"):
        read_idx(wrong, 3)
    short = tmp_path / "short.gz"
    with gzip.open(short, "wb") as fh:
        fh.write(b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (10, 28, 28)) + b"\x00" * 100)
    with pytest.raises(DataError, match="truncated"):
        read_idx(short, 3)


def test_malformed_cifar_is_a_clear_error(tmp_path):
    (tmp_path / "data_batch_1.bin").write_bytes(b"\x00" * 100)
    (tmp_path / "test_batch.bin").write_bytes(b"\x00" * 3073)
    with pytest.raises(DataError, match="3073 bytes"):
        load_dataset(DataConfig(dataset="cifar10", data_root=str(tmp_path)))


def test_folder_of_class_subfolders_and_flat_unlabelled(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (tmp_path / "labelled" / cls).mkdir(parents=True)
        for i in range(10):
            Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(tmp_path / "labelled" / cls / f"{i}.png")
    ds = load_dataset(DataConfig(dataset="folder", data_root=str(tmp_path / "labelled"), image_size=16))
    assert ds.classes == ("cat", "dog") and ds.pool_images.shape[1:] == (3, 16, 16)
    assert len(ds.pool_images) + len(ds.test) == 20 and ds.pool_paths is not None
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(flat / f"{i}.png")
    (flat / "broken.png").write_bytes(b"not an image")
    ds = load_dataset(DataConfig(dataset="folder", data_root=str(flat), class_names=("a", "b")))
    assert [p.rsplit("/", 1)[-1] for p, _ in ds.skipped] == ["broken.png"] and len(ds.pool_images) == 6
    (flat / "broken.png").unlink()
    with pytest.raises(DataError, match="class_names"):
        load_dataset(DataConfig(dataset="folder", data_root=str(flat)))
    ds = load_dataset(DataConfig(dataset="folder", data_root=str(flat), class_names=("a", "b")))
    assert ds.pool_truth is None and len(ds.pool_images) == 6 and len(ds.test) == 0
