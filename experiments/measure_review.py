"""Measure the Review screen in a real terminal (a pty): time to open a round, key press to repaint.

    python experiments/measure_review.py [--renderer cells|ascii|sixel|kitty] [--size 160x50]

The screen runs in a child process on a pseudo-terminal, as over SSH. The parent
types keys into the pty and notes when (CLOCK_MONOTONIC); the child notes when each
frame has been written to the terminal. Key -> repaint is the time from the key
reaching the pty to the end of the first frame written after it: input parsing,
the action, the fsync of a decision, layout, rendering the images and writing the
escape sequences. What the terminal emulator then needs to draw is not included.

Candidates are MNIST test images (../shared/data/mnist from the repo root), else
scikit-learn digits. The picture beside each candidate is another image of the
same set standing in for the decoded hard sample: drawing cost does not depend on
what the pixels show, and no model has to be trained to time the screen.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import statistics
import struct
import sys
import tempfile
import termios
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MNIST = REPO.parent / "shared" / "data" / "mnist"

KEYS = (["l"] * 12 + ["j"] * 4 + ["k"] * 2 + list("3141592653") + ["x"] * 3 + ["\x7f"] * 6
        + ["l"] * 10 + [" "] * 5)  # moves, labels, rejects, undos (DEL = backspace), skips
KEY_GAP = 0.6  # seconds between keys, so each key's frames are apart


def candidate_images(n: int) -> tuple[np.ndarray, str]:
    """(2n, C, H, W) uint8 images: MNIST if present, else digits."""
    from alss_tui.config import DataConfig
    from alss_tui.data.loaders import load_dataset

    if MNIST.is_dir():
        ds = load_dataset(DataConfig(dataset="mnist", data_root=str(MNIST)))
        name = "MNIST"
    else:
        ds = load_dataset(DataConfig(dataset="digits"))
        name = "digits (MNIST not found)"
    pixels = ds.test.images[: 2 * n].astype(np.float32) / ds.pixel_scale
    return np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8), name


def make_round(home: Path, n: int) -> str:
    from alss_tui.config import OracleConfig, RunConfig
    from alss_tui.store.registry import Registry
    from alss_tui.store.run_folder import RunFolder

    images, _ = candidate_images(n)
    registry = Registry(home)
    folder = RunFolder.create(registry.runs_dir, replace(RunConfig(name=f"measure-{n}"),
                                                          oracle=OracleConfig(kind="human")))
    candidates = [{"item": 10 * k, "kind": "pool", "seed_index": k, "seed_label": k % 10, "distance": 1.0 + k / n,
                   "loss_before": 0.3, "loss_after": 2.1, "prediction": (k * 7) % 10, "score": None}
                  for k in range(n)]
    folder.write_review(1, {"round": 1, "strategy": "snn", "classes": [str(i) for i in range(10)],
                            "candidates": candidates},
                        {"items": np.array([c["item"] for c in candidates]), "images": images[:n],
                         "decoded": images[n: 2 * n], "seeds": images[n: 2 * n]})
    registry.upsert(folder.run_id, status="awaiting-labels", oracle="human", waiting_round=1)
    return folder.run_id


# --- the child: the app on the pty, logging frame times ------------------------------

def child(home: str, run_id: str, log_path: str) -> None:
    from alss_tui.tui.review_app import ReviewApp  # imports textual-image before the app starts
    from alss_tui.tui.screens.review import ReviewScreen

    log = open(log_path, "a", buffering=1)

    class TimedApp(ReviewApp):
        opened_logged = False

        def on_mount(self) -> None:
            log.write(json.dumps({"push": time.monotonic()}) + "\n")
            super().on_mount()

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is None:
                return
            now = time.monotonic()
            screen_now = self.screen
            if not self.opened_logged and isinstance(screen_now, ReviewScreen):
                cards = screen_now.grid.cards()
                if screen_now.grid.page >= 0 and cards and all(c.index is not None for c in cards[:1]):
                    self.opened_logged = True
                    log.write(json.dumps({"opened": now, "cards": len(cards)}) + "\n")
            page = screen_now.grid.page if isinstance(screen_now, ReviewScreen) else -1
            log.write(json.dumps({"frame": now, "page": page}) + "\n")

    TimedApp(Path(home), run_id).run()


# --- the parent: a pty, keys in, frames out -----------------------------------------

def run_in_pty(home: Path, run_id: str, renderer: str, size: tuple[int, int], keys: list[str]) -> dict:
    log_path = Path(tempfile.mkdtemp()) / "frames.jsonl"
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.environ.update(ALSS_IMAGES=renderer, ALSS_HOME=str(home), TERM="xterm-256color")
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)
        os.execv(sys.executable, [sys.executable, __file__, "--child", str(home), run_id, str(log_path)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    done = threading.Event()

    def drain() -> None:  # a terminal reads everything the app writes
        while not done.is_set():
            try:
                if not os.read(fd, 65536):
                    break
            except OSError:
                break

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    start = time.monotonic()
    while True:  # wait for the first painted page
        time.sleep(0.05)
        records = _read(log_path)
        if any("opened" in r for r in records) or time.monotonic() - start > 60:
            break
    time.sleep(0.5)
    sent = []
    for key in keys:
        sent.append(time.monotonic())
        os.write(fd, key.encode())
        time.sleep(KEY_GAP)
    os.write(fd, b"\x1b")  # escape closes the review
    time.sleep(0.3)
    os.write(fd, b"q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    done.set()
    os.close(fd)
    records = _read(log_path)
    frames = [(r["frame"], r["page"]) for r in records if "frame" in r]
    push = next(r["push"] for r in records if "push" in r)
    opened = next(r for r in records if "opened" in r)
    latencies, turns, missed = [], [], []
    page = next((p for t, p in frames if p >= 0), 0)
    for key, t_key, t_next in zip(keys, sent, sent[1:] + [t + KEY_GAP for t in sent[-1:]]):
        after = [(t, p) for t, p in frames if t_key < t < t_next]
        if not after:
            missed.append(key)
            continue
        if after[-1][1] != page:  # the key turned the page: all cards get new images
            page = after[-1][1]
            turns.append((next(t for t, p in after if p == page) - t_key) * 1000)
        else:
            latencies.append((after[0][0] - t_key) * 1000)
    return {"open_ms": (opened["opened"] - push) * 1000, "cards": opened["cards"],
            "start_to_open_s": opened["opened"] - start, "latencies_ms": latencies, "keys": len(keys),
            "missed": missed, "turns_ms": turns}


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renderer", default="cells", choices=["cells", "ascii", "sixel", "kitty"])
    parser.add_argument("--size", default="160x50", help="terminal columns x rows")
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _, source = candidate_images(1)
        small, big = make_round(home, 64), make_round(home, 256)
        keyed = run_in_pty(home, small, args.renderer, (cols, rows), KEYS)
        opened = [run_in_pty(home, big, args.renderer, (cols, rows), [])["open_ms"] for _ in range(3)]
    lat = keyed["latencies_ms"]
    print(f"images: {source}; renderer: {args.renderer}; terminal {cols}x{rows}; "
          f"{keyed['cards']} cards a page; load average {os.getloadavg()[0]:.2f}")
    print(f"64 candidates, key press -> repaint within a page, {len(lat)} keys: "
          f"median {statistics.median(lat):.1f} ms, p90 {np.percentile(lat, 90):.1f} ms, max {max(lat):.1f} ms"
          + (f" (no repaint for keys {keyed['missed']!r})" if keyed["missed"] else ""))
    if keyed["turns_ms"]:
        print("page turns (a new page of images): " + ", ".join(f"{x:.0f} ms" for x in keyed["turns_ms"]))
    print(f"256 candidates, open (push -> first page painted), 3 runs: "
          + ", ".join(f"{x:.0f} ms" for x in opened))


if __name__ == "__main__":
    main()
