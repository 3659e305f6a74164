"""How a folder of images is laid out: which files, which class, which split.

The rules are torchvision's ImageFolder ones (`find_classes` + `make_dataset`):
classes are the sorted names of the sub-folders, every image at any depth below a
class folder belongs to it, directories are walked sorted with symlinks followed.
Reimplemented over `os.scandir` so one walk also gives each file's size and mtime
(the pool key) and opening a cached pool needs no torch import. Two choices
differ from ImageFolder on purpose: hidden entries (`.ipynb_checkpoints`,
`.DS_Store`) are neither classes nor images, and a `train/` + `val/` (or `test/`)
layout makes the held-out split those folders instead of one more class each.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from alss_tui.errors import DataError

# torchvision's IMG_EXTENSIONS plus .gif, which this tool always read.
IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".pgm", ".png", ".ppm", ".tif", ".tiff", ".webp")
VALIDATION_NAMES = ("val", "valid", "validation")


class ImageFile(NamedTuple):  # a tuple, not a dataclass: 100,000 of them are made on every open
    rel: str  # path relative to the dataset root, "/" separated
    size: int
    mtime_ns: int
    label: int  # -1: unlabelled

    @property
    def identity(self) -> tuple[str, int, int]:
        """What says "the same file as before": no content hashing, a stat is enough."""
        return (self.rel, self.size, self.mtime_ns)


@dataclass(frozen=True)
class FolderLayout:
    root: Path
    classes: tuple[str, ...]
    labelled: bool
    pool: tuple[ImageFile, ...]
    test: tuple[ImageFile, ...]  # empty: carve the test split from the pool
    validation: tuple[ImageFile, ...]
    held_out: bool  # the folder ships its own test split (train/ + val/ or test/)
    test_from: str = ""  # the sub-folder the test split came from ("test", "val", ...); "" when carved

    @property
    def test_is_validation(self) -> bool:
        """train/ + val/ alone: the one held-out folder is a validation folder by name."""
        return self.test_from in VALIDATION_NAMES and not self.validation

    @property
    def files(self) -> tuple[ImageFile, ...]:
        return self.pool + self.test + self.validation


def _visible(name: str) -> bool:
    return not name.startswith(".")


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def _walk_images(top: Path, root: Path, label: int) -> list[ImageFile]:
    """Every image below `top`, ordered like sorted(os.walk(top)) then sorted file names."""
    by_dir: list[tuple[str, list[ImageFile]]] = []
    stack = [str(top)]
    seen: set[tuple[int, int]] = set()  # followed symlinks must not loop
    root_str = str(root)
    while stack:
        current = stack.pop()
        try:
            st = os.stat(current)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            entries = list(os.scandir(current))
        except OSError:
            continue
        found = []
        rel_dir = os.path.relpath(current, root_str).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        for entry in entries:  # the hot loop of a cached re-open: one stat per image, nothing else
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if name.lower().endswith(IMAGE_SUFFIXES):
                    st = entry.stat()  # follows symlinks, as ImageFolder does
                    if stat.S_ISREG(st.st_mode):
                        found.append(ImageFile(prefix + name, st.st_size, st.st_mtime_ns, label))
                    elif stat.S_ISDIR(st.st_mode):
                        stack.append(entry.path)
                elif entry.is_dir():
                    stack.append(entry.path)
            except OSError:
                continue
        found.sort()  # by relative path first (unique within a folder)
        by_dir.append((current, found))
    by_dir.sort(key=lambda item: item[0])
    return [f for _, files in by_dir for f in files]


def find_classes(folder: Path) -> tuple[str, ...]:
    """Sorted names of the visible sub-folders (torchvision's find_classes, minus hidden ones)."""
    try:
        return tuple(sorted(e.name for e in os.scandir(folder) if _visible(e.name) and e.is_dir()))
    except OSError as exc:
        raise DataError(f"{folder}: cannot list folder ({exc.strerror})") from None


def _has_images_at_top(folder: Path) -> bool:
    try:
        return any(_visible(e.name) and _is_image(e.name) and e.is_file() for e in os.scandir(folder))
    except OSError:
        return False


def _labelled_section(folder: Path, root: Path, mapping: dict[str, int], section: str) -> list[ImageFile]:
    files: list[ImageFile] = []
    for name in find_classes(folder):
        if name not in mapping:
            raise DataError(f"{folder / name}: class {name!r} of {section}/ is not a class of the training folder")
        files.extend(_walk_images(folder / name, root, mapping[name]))
    return files


def scan_folder(root: Path, class_names: tuple[str, ...]) -> FolderLayout:
    """Find the images under `root` and how they are laid out (see the module doc)."""
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (expected class sub-folders or a folder of images)")
    sub = {name: root / name for name in ("train", "test", *VALIDATION_NAMES) if (root / name).is_dir()}
    val_dir = next((sub[n] for n in VALIDATION_NAMES if n in sub), None)
    split = "train" in sub and ("test" in sub or val_dir is not None)
    train_dir = sub["train"] if split else root
    # test/ is the test split; val/ is the test split when alone, the validation split beside test/.
    test_dir = sub.get("test", val_dir) if split else None
    validation_dir = val_dir if split and "test" in sub else None

    classes = () if class_names else find_classes(train_dir)
    if not classes:
        if not class_names and not _has_images_at_top(root):
            raise DataError(f"{root}: no images found ({', '.join(IMAGE_SUFFIXES)})")
        if len(class_names) < 2:
            raise DataError("data.class_names: an unlabelled folder (images, no class sub-folders) "
                            "needs at least two class names")
        # Unlabelled: every image at any depth below the root is pool; there is nothing to test on.
        pool = _walk_images(root, root, -1)
        if not pool:
            raise DataError(f"{root}: no images found ({', '.join(IMAGE_SUFFIXES)})")
        return FolderLayout(root, tuple(class_names), False, tuple(pool), (), (), held_out=False)
    mapping = {c: i for i, c in enumerate(classes)}
    pool = _labelled_section(train_dir, root, mapping, "train")
    test = _labelled_section(test_dir, root, mapping, test_dir.name) if test_dir is not None else []
    validation = (_labelled_section(validation_dir, root, mapping, validation_dir.name)
                  if validation_dir is not None else [])
    if not pool:
        raise DataError(f"{train_dir}: no images found ({', '.join(IMAGE_SUFFIXES)})")
    return FolderLayout(root, classes, True, tuple(pool), tuple(test), tuple(validation), held_out=split,
                        test_from=test_dir.name if test_dir is not None else "")
