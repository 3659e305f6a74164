"""Measure the Review screen in a real terminal (a pty): time to open a round, key press to repaint.

    python benchmarks/measure_review.py [--renderer cells|ascii|sixel|kitty] [--size 160x50]
    python benchmarks/measure_review.py --photos [--renderer ...] [--size ...]

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

--photos times page turns on a folder pool: every candidate is a 256 px JPEG on
disk (the MNIST or digits image upscaled and tinted), the round keeps 64 px
pixels as a 64 px training run would, and the screen draws the files. On the first
layout (the photo layout) labels, rejects and undos are timed; then Page Down turns
pages at each card layout (- steps to more cards, + to larger ones); a turn is timed
from the key to the first frame showing the new page.
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
PAGE_DOWN = "\x1b[6~"
PAGE_UP = "\x1b[5~"
# At the first layout: label, reject, undo twice (the cursor stays on the page), twice; then
# 5-6 page turns at each layout: - down to the most cards (Page Down), + up to the largest
# (Page Up, back through the round). A - or + past the end changes nothing and is reported
# as a key with no new frame.
PHOTO_KEYS = (["1", "x", "\x7f", "\x7f"] * 2 + [PAGE_DOWN] * 6 + (["-"] + [PAGE_DOWN] * 5) * 3
              + (["+"] + [PAGE_UP] * 5) * 4)
PHOTO_SIDE, TRAIN_SIDE = 256, 64
PHOTO_KEY_GAP = 1.5  # a large page of half blocks can take longer than KEY_GAP on a busy machine


def candidate_images(n: int) -> tuple[np.ndarray, str]:
    """(2n, C, H, W) uint8 images: MNIST if present, else digits."""
    from alss_tui.config import DataConfig
    from alss_tui.data.loaders import load_dataset
    from alss_tui.data.pool import to_float

    if MNIST.is_dir():
        ds = load_dataset(DataConfig(dataset="mnist", data_root=str(MNIST)))
        name = "MNIST"
    else:
        ds = load_dataset(DataConfig(dataset="digits"))
        name = "digits (MNIST not found)"
    pixels = to_float(ds.test.images[: 2 * n], ds.pixel_scale)
    return np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8), name


def photo_folder(images: np.ndarray, folder: Path) -> tuple[list[str], np.ndarray]:
    """Each image upscaled to a 256 px tinted JPEG; returns the paths and the 64 px pixels
    a training run at image_size 64 keeps of them."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths, small = [], []
    for k, pixels in enumerate(images):
        grey = Image.fromarray(pixels[0]).resize((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.BICUBIC)
        tint = np.array([(k * 37) % 200 + 55, (k * 91) % 200 + 55, (k * 53) % 200 + 55], np.float32) / 255
        rgb = Image.fromarray((np.asarray(grey, np.float32)[..., None] * tint).astype(np.uint8))
        path = folder / f"{k:05d}.jpg"
        rgb.save(path, quality=90)
        paths.append(str(path))
        small.append(np.asarray(rgb.resize((TRAIN_SIDE, TRAIN_SIDE), Image.Resampling.BILINEAR)).transpose(2, 0, 1))
    return paths, np.stack(small)


def make_round(home: Path, n: int, photos: Path | None = None, strategy: str = "snn") -> str:
    """A round of n candidates waiting for a person; `snn` draws each beside a decoded image,
    a strategy that is not latent (margin-sub, the default) draws it alone."""
    from alss_tui.config import OracleConfig, RunConfig
    from alss_tui.store.registry import Registry
    from alss_tui.store.run_folder import RunFolder

    images, _ = candidate_images(n)
    paths = None
    if photos is not None:
        paths, images = photo_folder(images, photos)
    registry = Registry(home)
    folder = RunFolder.create(registry.runs_dir, replace(RunConfig(name=f"measure-{n}"),
                                                          oracle=OracleConfig(kind="human")))
    latent = strategy == "snn"
    candidates = [{"item": 10 * k, "kind": "pool", "seed_index": k if latent else None,
                   "seed_label": k % 10 if latent else None, "distance": 1.0 + k / n if latent else None,
                   "loss_before": 0.3 if latent else None, "loss_after": 2.1 if latent else None,
                   "prediction": (k * 7) % 10, "score": None if latent else 1.0 - k / n}
                  for k in range(n)]
    for cand, path in zip(candidates, paths or []):
        cand["path"] = path
    arrays = {"items": np.array([c["item"] for c in candidates]), "images": images[:n]}
    if latent:
        arrays.update(decoded=images[n: 2 * n], seeds=images[n: 2 * n])
    folder.write_review(1, {"round": 1, "strategy": strategy, "classes": [str(i) for i in range(10)],
                            "candidates": candidates}, arrays)
    registry.upsert(folder.run_id, status="awaiting-labels", oracle="human", waiting_round=1)
    return folder.run_id


# --- the child: the app on the pty, logging frame times ------------------------------

def child(home: str, run_id: str, log_path: str) -> None:
    from alss_tui.tui.widgets import pixel_image  # noqa: F401  (asks the terminal before the app starts)
    from alss_tui.tui.app import AlssApp
    from alss_tui.tui.screens.review import ReviewScreen

    log = open(log_path, "a", buffering=1)

    class TimedApp(AlssApp):
        # Textual reads a relative CSS_PATH beside the module defining the class: this file.
        CSS_PATH = str(Path(sys.modules[AlssApp.__module__].__file__).with_name(AlssApp.CSS_PATH))
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
            review = isinstance(screen_now, ReviewScreen)
            page = screen_now.grid.page if review else -1
            capacity = screen_now.grid.capacity if review else 0
            log.write(json.dumps({"frame": now, "page": page, "cards": capacity,
                                  "cpu": time.thread_time()}) + "\n")  # the UI thread's own CPU

    TimedApp(Path(home), start="review-only", run_id=run_id).run()


# --- the parent: a pty, keys in, frames out -----------------------------------------

def run_in_pty(home: Path, run_id: str, renderer: str, size: tuple[int, int], keys: list[str],
               gap: float = KEY_GAP) -> dict:
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
        time.sleep(gap)
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
    frames = [(r["frame"], (r["page"], r.get("cards", 0))) for r in records if "frame" in r]
    cpu = {r["frame"]: r.get("cpu", 0.0) for r in records if "frame" in r}
    push = next(r["push"] for r in records if "push" in r)
    opened = next(r for r in records if "opened" in r)
    latencies, turns, missed, relayouts = [], [], [], []
    page = next((p for t, p in frames if p[0] >= 0), (0, 0))
    for number, (key, t_key, t_next) in enumerate(zip(keys, sent, sent[1:] + [t + gap for t in sent[-1:]])):
        after = [(t, p) for t, p in frames if t_key < t < t_next]
        if not after:
            missed.append((number, key))
            continue
        if after[-1][1] != page:  # the key turned the page (or changed the cards): new images
            new = after[-1][1]
            shown = next(t for t, p in after if p == new)
            before = max((t for t, _ in frames if t < t_key), default=shown)
            # wall ms from the key, and the UI thread's CPU ms for it (the app idles between keys)
            timing = (new[1], (shown - t_key) * 1000, (cpu[shown] - cpu[before]) * 1000)
            (relayouts if new[1] != page[1] else turns).append(timing)
            page = new
        else:
            latencies.append((after[0][0] - t_key) * 1000)
    return {"open_ms": (opened["opened"] - push) * 1000, "cards": opened["cards"],
            "start_to_open_s": opened["opened"] - start, "latencies_ms": latencies, "keys": len(keys),
            "missed": missed, "turns_ms": turns, "relayouts_ms": relayouts}


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
    parser.add_argument("--photos", action="store_true", help="a folder pool of 256 px JPEGs: page turns")
    parser.add_argument("--strategy", default="snn", choices=["snn", "margin-sub"],
                        help="--photos: snn draws each photo beside a decoded image, margin-sub alone")
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    if args.photos:
        measure_photos(args.renderer, (cols, rows), args.strategy)
        return
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
        print("page turns (a new page of images): " + ", ".join(f"{x:.0f} ms" for _, x, _ in keyed["turns_ms"]))
    print(f"256 candidates, open (push -> first page painted), 3 runs: "
          + ", ".join(f"{x:.0f} ms" for x in opened))


def measure_photos(renderer: str, size: tuple[int, int], strategy: str = "snn") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _, source = candidate_images(1)
        run_id = make_round(home, 256, photos=home / "photos", strategy=strategy)
        making = picture_costs(home, run_id, renderer, size)
        keyed = run_in_pty(home, run_id, renderer, size, PHOTO_KEYS, gap=PHOTO_KEY_GAP)
        opened = [run_in_pty(home, run_id, renderer, size, [])["open_ms"] for _ in range(2)]
    print(f"folder pool: 256 {strategy} candidates, {PHOTO_SIDE} px JPEGs from {source}, {TRAIN_SIDE} px pixels in the round; "
          f"renderer: {renderer}; terminal {size[0]}x{size[1]}; load average {os.getloadavg()[0]:.2f}")
    by_cards: dict[int, list[tuple[float, float]]] = {}
    for cards, ms, cpu_ms in keyed["turns_ms"]:
        by_cards.setdefault(cards, []).append((ms, cpu_ms))
    for cards, times in by_cards.items():
        wall, cpu = [t[0] for t in times], [t[1] for t in times]
        print(f"  {cards:>2} cards a page, {len(times)} page turns (Page Down or Up -> new page painted): wall median "
              f"{statistics.median(wall):.0f} ms (max {max(wall):.0f}), UI-thread CPU median "
              f"{statistics.median(cpu):.0f} ms (max {max(cpu):.0f})")
    lat = keyed["latencies_ms"]
    if lat:
        print(f"  first layout ({keyed['cards']} cards a page), a label, reject or undo -> repaint, {len(lat)} keys: "
              f"median {statistics.median(lat):.0f} ms, max {max(lat):.0f} ms")
    if keyed["relayouts_ms"]:
        print("  - / + (more / larger cards) -> repainted, wall / UI CPU: " + ", ".join(
            f"{ms:.0f} / {cpu_ms:.0f} ms to {cards} a page" for cards, ms, cpu_ms in keyed["relayouts_ms"]))
    if keyed["missed"]:
        print(f"  no new frame within {PHOTO_KEY_GAP} s of {len(keyed['missed'])} keys: {keyed['missed']!r} "
              "('+' is not a key before the layouts existed)")
    print("  open (push -> first page painted), 2 runs: " + ", ".join(f"{x:.0f} ms" for x in opened))
    if making:
        print("  making a page's pictures from the files (decode + fit, no cache), median of 3 pages: " + ", ".join(
            f"{ms:.0f} ms for {cards}" for cards, ms in making))


def picture_costs(home: Path, run_id: str, renderer: str, size: tuple[int, int]) -> list[tuple[int, float]]:
    """What the review's picture cache saves a page turn: (cards a page, ms to make them cold)."""
    os.environ["ALSS_IMAGES"] = renderer
    from alss_tui.store.review import load_review
    from alss_tui.store.run_folder import RunFolder
    try:
        from alss_tui.tui.review_pictures import Grain, card_pictures
        from alss_tui.tui.widgets.candidate_grid import LAYOUTS, CandidateGrid
    except ImportError:  # a version that draws only the round's pixels
        return []
    from alss_tui.tui.widgets.pixel_image import CELL_PIXELS, samples_per_cell

    review = load_review(RunFolder(home / "runs" / run_id), 1)
    grid = CandidateGrid(lambda k: (False, None))
    grid.review = review
    grain = Grain(samples_per_cell(renderer), CELL_PIXELS)
    grid.grain = grain
    box = (size[0] - 2, size[1] - 4)  # the screen's padding and lines
    layouts = grid.layouts(*box) if hasattr(grid, "layouts") else LAYOUTS
    out = []
    for layout in layouts:
        if hasattr(grid, "layouts"):
            grid.card_layout = layout
        else:  # a version before the photo layout
            grid.layout_index = LAYOUTS.index(layout)
        columns, rows, _, shape = grid.shape_for(*box)
        cards = columns * rows
        times = []
        for page in range(3):
            start = time.perf_counter()
            for k in range(page * cards, (page + 1) * cards):
                card_pictures(review, k, shape.image_box, grain, (0, 0, 0))
            times.append((time.perf_counter() - start) * 1000)
        out.append((cards, statistics.median(times)))
    return out


if __name__ == "__main__":
    main()
