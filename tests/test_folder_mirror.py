"""A worker's FolderMirror: files reach the driver before the event that announces them."""

from __future__ import annotations

from alss_tui.core.events import LabelsRequested, Progress
from alss_tui.bench.executors.tasks import EventEmitted, FileDeleted, FileWritten
from alss_tui.bench.executors.worker import FolderMirror
from alss_tui.store.run_folder import RunFolder


def _mirror(tmp_path):
    folder = RunFolder(tmp_path / "run")
    for sub in (folder.review_dir, folder.checkpoint_dir):
        sub.mkdir(parents=True)
    sent: list[list] = []
    return folder, FolderMirror(folder, sent.append), sent


def test_a_new_file_goes_before_the_event_that_announces_it(tmp_path):
    folder, mirror, sent = _mirror(tmp_path)
    (folder.review_dir / "r001.json").write_text("{}")
    event = LabelsRequested(round=1, count=3, oracle="simulated")
    mirror(event)
    assert sent == [[FileWritten("review/r001.json", b"{}"), EventEmitted(event)]]


def test_progress_is_sent_alone_and_the_change_follows_with_the_next_event(tmp_path):
    folder, mirror, sent = _mirror(tmp_path)
    (folder.checkpoint_dir / "round-001.pt").write_bytes(b"w")
    (folder.checkpoint_dir / "latest").write_text("round-001")
    tick = Progress(phase="task", round=1, done=5, total=10)
    mirror(tick)
    assert sent == [[EventEmitted(tick)]]  # no folder walk for a progress tick
    (folder.checkpoint_dir / "round-001.pt").unlink()
    (folder.checkpoint_dir / "round-002.pt").write_bytes(b"v")
    (folder.checkpoint_dir / "latest").write_text("round-002")
    event = LabelsRequested(round=2, count=1, oracle="simulated")
    mirror(event)
    # The marker comes after the checkpoint it names; a file that came and went is never sent.
    assert sent[1] == [FileWritten("checkpoints/round-002.pt", b"v"), FileWritten("checkpoints/latest", b"round-002"),
                       EventEmitted(event)]
    mirror.flush()
    assert len(sent) == 2  # nothing changed since: nothing sent
    (folder.review_dir / "gone.json").write_text("x")
    mirror.flush()
    (folder.review_dir / "gone.json").unlink()
    mirror.flush()
    assert sent[-1] == [FileDeleted("review/gone.json")]
