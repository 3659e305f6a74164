"""Where a run is, in one line, for a reviewer waiting for its next round (no textual, no torch).

After a submit the runner may still be training (the first round is labelled while the VAE
trains), so the Review screen tails the event log and says what the run is doing and how far.
"""

from __future__ import annotations

from pathlib import Path

from alss_tui.store.jsonl import JsonlReader
from alss_tui.tui.state.run_state import PHASE_NAMES, RunState


class RunProgress:
    def __init__(self, events_path: Path):
        self.reader = JsonlReader(events_path)
        self.state = RunState("")

    def poll(self) -> str:
        """Read what the log gained since the last call; returns the line to show."""
        self.state.apply_records(self.reader.read_new())
        return self.text()

    def text(self) -> str:
        s = self.state
        label = PHASE_NAMES.get(s.phase, s.phase)
        if s.phase_round is not None and s.phase not in ("decode", "encoder", "features", "vae", "encode"):
            label = f"round {s.phase_round}: {label}"
        if s.total and s.phase not in ("finished", "failed", "label"):
            label += f" {s.done}/{s.total} ({100 * s.done // s.total}%)"
        return f"the run: {label}"
