"""Candidate pixels on screen with textual-image: Kitty or Sixel graphics when the
terminal answers for them, else coloured half-cell characters (tmux, plain SSH).

textual-image asks the terminal what it supports when it is first imported, which
only works before Textual takes over stdin: import this module before `App.run()`.
`ALSS_IMAGES` forces a renderer: auto (default), kitty, sixel, cells (coloured
half blocks) or ascii (grey shades, no colour).
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image as PILImage
from textual_image._terminal import get_cell_size
from textual_image.widget import HalfcellImage, Image as AutoImage, SixelImage, TGPImage, UnicodeImage

RENDERERS = {"auto": AutoImage, "kitty": TGPImage, "sixel": SixelImage, "cells": HalfcellImage,
             "ascii": UnicodeImage}


def image_class(name: str | None = None):
    """The image widget class for renderer `name` (default: $ALSS_IMAGES, else auto)."""
    key = (name or os.environ.get("ALSS_IMAGES") or "auto").strip().lower()
    return RENDERERS.get(key, AutoImage)


def renderer_name(cls=None) -> str:
    cls = cls or image_class()
    if cls is AutoImage:
        # AutoImage resolves to one of the concrete renderables at import.
        module = getattr(cls, "_Renderable", type(None)).__module__.rsplit(".", 1)[-1]
        return {"tgp": "kitty", "sixel": "sixel", "halfcell": "cells", "unicode": "ascii"}.get(module, "auto")
    return next((k for k, v in RENDERERS.items() if v is cls), "auto")


def cell_pixels() -> tuple[int, int]:
    """Screen pixels of one terminal cell: the terminal's answer, else textual-image's 10 x 20."""
    try:
        size = get_cell_size()
    except Exception:  # noqa: BLE001 - no terminal to ask (closed stdout): assume the usual cell
        return 10, 20
    return max(1, size.width), max(1, size.height)


CELL_PIXELS = cell_pixels()  # asked now: once Textual reads stdin, a terminal's answer would be lost


def samples_per_cell(name: str | None = None) -> tuple[int, int]:
    """How many image samples renderer `name` draws in one cell (x, y): Kitty and Sixel the
    cell's screen pixels, half blocks 1 x 2, grey shades 1 x 1."""
    name = name or renderer_name()
    if name in ("kitty", "sixel"):
        return CELL_PIXELS
    return (1, 2) if name == "cells" else (1, 1)


def to_pil(pixels: np.ndarray) -> PILImage.Image:
    """(C, H, W) uint8, C = 1 or 3 -> an RGB PIL image."""
    arr = np.asarray(pixels)
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr * 255), 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[0] == 1:
        return PILImage.fromarray(arr[0], mode="L").convert("RGB")
    if arr.ndim == 3 and arr.shape[0] == 3:
        return PILImage.fromarray(np.ascontiguousarray(arr.transpose(1, 2, 0)), mode="RGB")
    if arr.ndim == 2:
        return PILImage.fromarray(arr, mode="L").convert("RGB")
    raise ValueError(f"cannot show pixels of shape {arr.shape}")


def PixelImage(image: PILImage.Image | None = None, *, classes: str = "", id: str | None = None):  # noqa: N802
    """An image widget of the configured renderer (a factory: the class depends on the terminal)."""
    return image_class()(image, classes=classes, id=id)
