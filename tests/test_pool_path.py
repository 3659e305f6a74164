"""One path into the data layer: followed call by call from `execute`, no module is entered twice.

A profiler records every call into the project's modules while a run opens its pool
(a folder decoded for the first time and shaped, then the same run resumed). A module
that calls down and is then called again from below it (A > B > A: a callback or a
helper reached back up) is the tangle this pins out.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from alss_tui.config import DataConfig, RunConfig, SamplingConfig, TaskConfig, VaeConfig
from alss_tui.store.registry import Registry
from alss_tui.store.run_folder import RunFolder
from alss_tui.store.run_ops import create_run

SOURCES = ("alss_tui.data.sources", "alss_tui.data.folder_source", "alss_tui.data.array_source")


class CallPath:
    """Module-level call stacks of the project's code while it is installed as the profiler."""

    def __init__(self):
        self.stack: list[str | None] = []
        self.reentries: list[str] = []
        self.edges: set[tuple[str, str]] = set()  # (caller module, callee module)

    def __call__(self, frame, event, arg):
        if event == "call":
            mod = frame.f_globals.get("__name__", "")
            # An import runs module and class bodies (and dataclass machinery): not calls of the code.
            importing = frame.f_code.co_name in ("<module>", "__create_fn__") or "import" in self.stack
            if importing or not mod.startswith("alss_tui."):
                self.stack.append("import" if importing else None)
                return
            mods = [m for m in self.stack if m]
            if mods and mods[-1] != mod:
                self.edges.add((mods[-1], mod))
                if mod in mods:
                    chain = list(dict.fromkeys(mods[mods.index(mod):]))
                    self.reentries.append(" > ".join([*chain, mod]) + f" ({frame.f_code.co_name})")
            self.stack.append(mod)
        elif event == "return" and self.stack:
            self.stack.pop()


def _photos(root):
    rng = np.random.default_rng(0)
    for c in ("cat", "dog"):
        for i in range(12):
            path = root / c / f"{i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(path)


def _traced_execute(folder, home, resume):
    from alss_tui.runner.execute import execute

    path = CallPath()
    sys.setprofile(path)
    try:
        execute(folder, registry=Registry(home), resume=resume)
    finally:
        sys.setprofile(None)
    return path


@pytest.mark.parametrize("data", [
    # decoded for the first time, with a validation carve-out and a limit: every shaping step
    dict(dataset="folder", image_size=16, decode_workers=1, validation_size=4, pool_limit=12),
    dict(dataset="digits", validation_size=100, imbalance=10),
], ids=["folder", "digits"])
def test_opening_a_runs_pool_enters_no_module_twice(tmp_path, home, monkeypatch, data):
    # The round loop is not what this is about: stop once the pool is open and recorded.
    monkeypatch.setattr("alss_tui.runner.execute.run_loop", lambda *a, **k: None)
    if data["dataset"] == "folder":
        _photos(tmp_path / "photos")
        data["data_root"] = str(tmp_path / "photos")
    cfg = RunConfig(data=DataConfig(**data), sampling=SamplingConfig(initial=4, per_round=2, budget=6),
                    vae=VaeConfig(epochs=1, width=8), task=TaskConfig(width=8, steps=5, epochs=0))
    folder = RunFolder(create_run(home, cfg).path)
    for resume in (False, True):  # the first open, then the resume that reopens the recorded pool
        path = _traced_execute(folder, home, resume)
        assert path.reentries == [], "\n".join(path.reentries)
        # The runner reaches the data layer through one module, from one module (data.pool is the
        # Dataset's own type: reading its fields and lengths is not a way in).
        into_data = {(a, b) for a, b in path.edges if b.startswith("alss_tui.data") and b != "alss_tui.data.pool"
                     and a.startswith("alss_tui.runner")}
        assert into_data == {("alss_tui.runner.pool_open", "alss_tui.data.loaders")}
        callers = {b: {a for a, c in path.edges if c == b} for b in SOURCES}
        for source, by in callers.items():
            assert by <= {"alss_tui.data.loaders"}, f"{source} is called from {by}"
    assert (folder.path / "pool.json").is_file()
