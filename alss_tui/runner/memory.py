"""Keep a long-running runner's resident memory close to what it actually uses.

glibc raises its mmap threshold every time a large block is freed, so later
multi-megabyte tensors (inference batches over a 60k-image pool) come from the
heap instead, which fragments and is never given back: one full-pool scoring
pass grew a runner by about a gigabyte. A fixed threshold keeps such blocks in
mmap, returned to the system on free; at 4 MB, training batches stay on the
heap's fast path (no measurable slowdown of task training).
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
THRESHOLD_BYTES = 4 << 20


def fix_mmap_threshold() -> bool:
    """True when glibc accepted the fixed threshold; False where there is nothing to tune."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
