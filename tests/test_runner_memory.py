"""The runner fixes glibc's mmap threshold so full-pool passes give their memory back."""

from __future__ import annotations

import ctypes
import sys

import pytest

from alss_tui.runner.memory import fix_mmap_threshold


def _glibc() -> bool:
    try:
        ctypes.CDLL("libc.so.6").gnu_get_libc_version
        return True
    except (OSError, AttributeError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _glibc(), reason="glibc-only tuning")
def test_glibc_accepts_the_fixed_threshold():
    assert fix_mmap_threshold() is True


def test_elsewhere_it_is_a_harmless_no(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert fix_mmap_threshold() is False
