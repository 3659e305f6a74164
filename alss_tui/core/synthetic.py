"""Synthetic (SI) images the oracle has labelled: each one's id, pixels, label and moved code.

One record per image, kept in the order they were labelled, so an image's pixels,
label and code can never drift apart. The code they were decoded from makes them
seeds of later rounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SyntheticImage:
    item: int  # the negative id it was proposed under
    image: np.ndarray  # float32 (C, H, W): what the task model trains on
    label: int
    code: np.ndarray  # float32 (d,): the moved code it was decoded from


class SyntheticSet:
    def __init__(self) -> None:
        self._by_item: dict[int, SyntheticImage] = {}

    def add(self, image: SyntheticImage) -> None:
        if image.item in self._by_item:
            raise ValueError(f"synthetic item {image.item} labelled twice")
        self._by_item[image.item] = image

    def __len__(self) -> int:
        return len(self._by_item)

    def __iter__(self) -> Iterator[SyntheticImage]:
        return iter(self._by_item.values())

    def __getitem__(self, item: int) -> SyntheticImage:
        return self._by_item[item]

    @property
    def items(self) -> list[int]:
        return list(self._by_item)

    @property
    def labels(self) -> list[int]:
        return [s.label for s in self]

    def images(self) -> np.ndarray:
        return np.stack([s.image for s in self])

    def codes(self) -> np.ndarray:
        return np.stack([s.code for s in self]).astype(np.float32)
