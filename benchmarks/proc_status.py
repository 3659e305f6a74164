"""Memory figures of a process from /proc/PID/status (Linux): the benchmarks' one reader.

VmHWM is the kernel's own peak RSS; RssAnon counts anonymous pages only, the
process's own memory, while file-backed pages of a memory-mapped pool are the
kernel's to drop, so a sampler keeps the largest RssAnon it sees.
"""

from __future__ import annotations

import threading
from pathlib import Path


def status_kb(field: str, pid: int | str = "self") -> int:
    """One `kB` field (VmHWM, RssAnon, ...); OSError when the process is gone, KeyError when there is no such field."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class AnonSampler(threading.Thread):
    """The largest RssAnon of this process seen every `interval` seconds, and in which `phase` it was seen."""

    def __init__(self, interval: float = 0.01):
        super().__init__(daemon=True)
        self.interval, self.phase = interval, "start"
        self.peak_kb, self.peak_phase = status_kb("RssAnon"), "start"
        self.by_phase: dict[str, int] = {}
        self._halt = threading.Event()

    def _sample(self) -> None:
        kb = status_kb("RssAnon")
        self.by_phase[self.phase] = max(kb, self.by_phase.get(self.phase, 0))
        if kb > self.peak_kb:
            self.peak_kb, self.peak_phase = kb, self.phase

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self._sample()

    def stop(self) -> int:
        """Stop sampling; the peak in kB, the present included."""
        self._halt.set()
        self.join()
        self._sample()
        return self.peak_kb
