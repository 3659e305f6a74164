"""Shared fixtures. Real datasets live beside the repo in ../shared/data (optional)."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ALSS_SHARED_DATA", REPO.parent / "shared" / "data"))

needs_mnist = pytest.mark.skipif(not (SHARED_DATA / "mnist").is_dir(),
                                 reason=f"MNIST files not present in {SHARED_DATA / 'mnist'}")
needs_cifar = pytest.mark.skipif(not (SHARED_DATA / "cifar10-subset").is_dir(),
                                 reason=f"CIFAR-10 subset not present in {SHARED_DATA / 'cifar10-subset'}")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own run home and config folder; nothing touches the user's."""
    home = tmp_path / "alss-home"
    monkeypatch.setenv("ALSS_HOME", str(home))
    monkeypatch.setenv("ALSS_CONFIG_HOME", str(tmp_path / "alss-config"))  # saved presets
    return home


@pytest.fixture
def home(_isolated_home) -> Path:
    return _isolated_home


def tiny_config(**sampling):
    """A digits run small enough for a test: seconds, not minutes."""
    from alss_tui.config import RunConfig, SamplingConfig, TaskConfig, VaeConfig

    base = SamplingConfig(initial=40, per_round=30, budget=100)
    return RunConfig(name="tiny", seed=0, device="cpu",
                     vae=VaeConfig(epochs=3, width=16),
                     task=TaskConfig(width=16, steps=60, epochs=0),
                     sampling=replace(base, **sampling))


def cli(*args: str, cwd: Path = REPO, env: dict | None = None, timeout: float = 300):
    """Run `python -m alss_tui ARGS` as a user would, in a subprocess."""
    import subprocess

    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "alss_tui", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
