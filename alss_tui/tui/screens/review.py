"""The Review screen: label, reject or skip a round's candidates with the keyboard, then submit.

Keys follow the labelling tools people know (Prodigy style): arrows/hjkl move,
0-9 or the picker (/) label, a accepts the model's suggestion, x rejects, space
skips, backspace undoes (back through the whole round), A accepts all remaining
suggestions, enter submits; + and - trade cards per page for card size. Each decision is in labels.jsonl, fsynced, before
the screen shows it. After a submit the screen waits for the run's next round.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from alss_tui.errors import AlssError
from alss_tui.runner.gate import continue_after_submit
from alss_tui.store.jsonl import JsonlReader
from alss_tui.store.labels import LabelLog
from alss_tui.store.registry import Registry
from alss_tui.store.labels import SUSPECTS
from alss_tui.store.review import latest_round, load_review, load_suspects, open_suspects, pending_round, waits_for_person
from alss_tui.store.run_folder import RunFolder
from alss_tui.tui.dialogs.confirm import ConfirmDialog
from alss_tui.tui.dialogs.label_picker import LabelPicker
from alss_tui.tui.dialogs.zoom import ZoomDialog
from alss_tui.tui.state.review_session import ReviewSession
from alss_tui.tui.state.run_progress import RunProgress
from alss_tui.tui.widgets.candidate_card import class_name
from alss_tui.tui.widgets.candidate_grid import CandidateGrid
from alss_tui.tui.widgets.text_line import TextLine

POLL_SECONDS = 1.0


class ReviewScreen(Screen):
    HELP_TITLE = "Review"

    BINDINGS = [
        Binding("left,h", "move(-1, 0)", "move left", show=False),
        Binding("right,l", "move(1, 0)", "move right", show=False),
        Binding("up,k", "move(0, -1)", "move up", show=False),
        Binding("down,j", "move(0, 1)", "move down", show=False),
        Binding("pageup", "page(-1)", "previous page", show=False),
        Binding("pagedown", "page(1)", "next page", show=False),
        *[Binding(str(d), f"digit({d})", f"label as class {d}", show=False) for d in range(10)],
        Binding("slash", "pick", "pick label"),
        Binding("a", "accept", "accept"),
        Binding("x", "reject", "reject"),
        Binding("space", "skip", "skip"),
        Binding("backspace", "undo", "undo"),
        Binding("A", "accept_all", "accept all"),
        Binding("enter", "submit", "submit"),
        Binding("z", "zoom", "zoom"),
        Binding("plus,equals_sign", "layout(1)", "bigger cards"),
        Binding("minus", "layout(-1)", "more cards"),
        Binding("s", "suspects", "suspect labels"),
        Binding("escape,q", "close", "close"),
    ]

    def __init__(self, home: Path, run_id: str, round: int | None = None) -> None:
        super().__init__()
        self.home = Path(home)
        self.registry = Registry(self.home)
        self.run_id = self.registry.resolve(run_id)
        self.folder = RunFolder(self.registry.runs_dir / self.run_id)
        self.requested_round = round
        self.label_log = LabelLog(self.folder.labels_path)
        self.session: ReviewSession | None = None
        self._round_session: ReviewSession | None = None  # the round, kept while the suspects queue is open
        self.person_run = waits_for_person(self.folder)
        self._tail = JsonlReader(self.folder.labels_path)
        self._progress = RunProgress(self.folder.events_path)  # what the run does while we wait for it
        self._opened = time.perf_counter()

    # --- layout -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._tail.read_new()  # the log so far is folded by the session; watch only what comes next
        self._problem: str | None = None
        try:
            self.session = self._open_session(self.requested_round)
        except AlssError as exc:
            self.session, self._problem = None, str(exc)
        yield TextLine("", id="review-title")
        yield TextLine("", id="review-hint")
        grid = CandidateGrid(self._decision_of, id="review-grid", reserve=(2, 4))  # padding; 4 lines
        if self.session is not None:
            grid.set_review(self.session.review, self.session.cursor)  # composed ready to show
        yield grid
        yield TextLine("", id="review-status")
        yield Footer()

    def on_mount(self) -> None:
        self._show_title(self._problem or (None if self.session else self._nothing_yet))
        self._show_status()
        if self.person_run:
            self.set_interval(POLL_SECONDS, self._poll)

    def on_unmount(self) -> None:
        self.label_log.close()

    @property
    def grid(self) -> CandidateGrid:
        return self.query_one(CandidateGrid)

    def _decision_of(self, k: int) -> tuple[bool, int | None]:
        return self.session.decision_at(k) if self.session else (False, None)

    # --- loading ------------------------------------------------------------------

    _nothing_yet = "no candidates yet: the run has not proposed a round"

    def _open_session(self, round: int | None) -> ReviewSession | None:
        """`round`, else the round waiting for labels, else the newest one (view only)."""
        waiting = pending_round(self.folder)
        if round is None:
            round = waiting if waiting is not None else latest_round(self.folder)
        if round is None:
            return None
        review = load_review(self.folder, round)
        session = ReviewSession(review, self.label_log, read_only=not self.person_run or waiting != round)
        undecided = session.undecided()
        session.move_to(undecided[0] if undecided and not session.read_only else 0)
        return session

    def _load(self, round: int | None) -> None:
        self.session = self._open_session(round)
        if self.session is None:
            self._show_title(self._nothing_yet)
            return
        self.grid.set_review(self.session.review, self.session.cursor)
        self._show_title()
        self._show_status()

    def _show_title(self, message: str | None = None) -> None:
        title = self.query_one("#review-title", TextLine)
        hint = self.query_one("#review-hint", TextLine)
        if message is not None or self.session is None:
            title.update(f"run {self.run_id} · {message or ''}")
            hint.update("")
            return
        s = self.session
        if s.round == SUSPECTS:
            title.update(f"run {self.run_id} · suspect labels: the model, trained without them, confidently "
                         f"disagrees · {len(s.undecided())} of {s.total} open · s: back to the round")
            hint.update("keep: the given class's digit · relabel: another digit, or a (the model's class) · "
                        "x reject · applied when the next round trains")
            return
        picked = "initial random subset" if s.round == 0 else f"strategy {s.review.strategy}"
        mode = "view only" if s.read_only else "waiting for your labels"
        if s.state.is_submitted:
            mode = "submitted"
        title.update(f"run {self.run_id} · round {s.round} · {picked} · {s.total} candidates"
                     f"{self._model_text()} · {mode}")
        companion = next((s.review.companion(k) for k in range(s.total) if s.review.companion(k)), None)
        hint.update("left: image to label · right: " + companion[1] if companion else
                    "classes: " + ", ".join(f"{i} {n}" for i, n in enumerate(s.review.classes))[:200])

    def _model_text(self) -> str:
        """The held-out accuracy of the model whose predictions the cards show, if known."""
        from alss_tui.store.registry import accuracy_split

        try:
            doc = self.registry.get(self.run_id) or {}
        except AlssError:
            return ""
        accuracy = doc.get("accuracy")
        return "" if accuracy is None else f" · model {100 * accuracy:.1f}% {accuracy_split(doc)}"

    def _show_status(self) -> None:
        # A frame of its own: repainted together with a card far above it, Textual
        # would repaint the whole span between them (every image on the page).
        self.call_after_refresh(self._paint_status)

    def _paint_status(self) -> None:
        s = self.session
        if s is None:
            return
        done, labelled, rejected = s.counts()
        pace = s.seconds_per_label()
        pace_text = f"{pace:.1f} s/label" if pace is not None else "– s/label"
        page = f"page {self.grid.page + 1}/{self.grid.pages}"
        status = Text(f"{done}/{s.total} done", style="bold")
        status.append(f" · {labelled} labelled · {rejected} rejected · {pace_text} · {page}")
        if not s.read_only and done == s.total and s.round != SUSPECTS:
            status.append("  · all decided: enter submits", style="bold green")
        self.query_one("#review-status", TextLine).update(status)

    # --- actions ------------------------------------------------------------------

    def _after_decision(self, k: int | None, advance: bool = True) -> None:
        if k is not None and self.session.round == SUSPECTS:
            self._count_suspects()
            self._show_title()
        if k is not None:
            self.grid.refresh_candidate(k)
            if advance:
                self.session.move_to(k + 1)
        self.grid.move_cursor(self.session.cursor)
        self._show_status()

    def _guard(self, fn, *args):
        """Run a session call; a domain error becomes a notification, never a crash."""
        if self.session is None:
            return None
        try:
            return fn(*args)
        except AlssError as exc:
            self.notify(str(exc), severity="warning", timeout=4)
            return None

    def action_move(self, dx: int, dy: int) -> None:
        if self.session is None:
            return
        self.session.move_to(self.session.cursor + dx + dy * self.grid.columns)
        self.grid.move_cursor(self.session.cursor)
        self._show_status()

    def action_page(self, step: int) -> None:
        if self.session is None:
            return
        self.session.move_to(self.session.cursor + step * self.grid.capacity)
        self.grid.move_cursor(self.session.cursor)
        self._show_status()

    def action_digit(self, d: int) -> None:
        if self.session is None:
            return
        classes = self.session.review.classes
        if len(classes) > 10:
            self.action_pick(str(d))  # ambiguous with many classes: let the picker finish it
        elif d < len(classes):
            self._after_decision(self._guard(self.session.set_label, d))
        else:
            self.notify(f"no class {d} (classes 0-{len(classes) - 1})", severity="warning", timeout=3)

    def action_pick(self, initial: str = "") -> None:
        if self.session is None or self.session.read_only:
            return

        def chosen(label: int | None) -> None:
            if label is not None:
                self._after_decision(self._guard(self.session.set_label, label))

        self.app.push_screen(LabelPicker(self.session.review.classes, initial), chosen)

    def action_accept(self) -> None:
        self._after_decision(self._guard(self.session.accept) if self.session else None)

    def action_reject(self) -> None:
        self._after_decision(self._guard(self.session.set_label, None) if self.session else None)

    def action_skip(self) -> None:
        if self.session is not None:
            self.session.advance()
            self.grid.move_cursor(self.session.cursor)
            self._show_status()

    def action_undo(self) -> None:
        if self.session is None:
            return
        k = self._guard(self.session.undo)
        if k is None:
            if not self.session.read_only:
                self.notify("nothing to undo in this round", timeout=2)
            return
        self._after_decision(k, advance=False)

    def action_accept_all(self) -> None:
        s = self.session
        if s is None or s.read_only:
            return
        n = sum(1 for k in s.undecided() if s.review.suggestion(k) is not None)
        if n == 0:
            self.notify("no undecided candidate has a suggestion", timeout=3)
            return

        def confirmed(yes: bool) -> None:
            if yes:
                for k in self._guard(s.accept_all) or []:
                    self.grid.refresh_candidate(k)
                self._show_status()

        self.app.push_screen(ConfirmDialog(f"Accept the model's suggestion for the {n} undecided "
                                           f"candidates of round {s.round}?"), confirmed)

    def action_submit(self) -> None:
        s = self.session
        if s is not None and s.round == SUSPECTS:
            self.notify("second looks need no submit: each applies when the next round trains", timeout=4)
            return
        if s is None or s.read_only:
            return
        left = len(s.undecided())
        if left == 0:
            self._submit()
            return

        def confirmed(yes: bool) -> None:
            if yes:
                self._submit()

        self.app.push_screen(ConfirmDialog(f"{left} of {s.total} candidates are undecided: they go back to "
                                           f"the pool unlabelled. Submit round {s.round}?"), confirmed)

    def _submit(self) -> None:
        s = self.session
        state = self._guard(s.submit)
        if state is None:
            self._show_title()
            return
        done, labelled, rejected = s.counts()
        self.notify(f"round {s.round} submitted: {labelled} labelled, {rejected} rejected", timeout=4)
        try:
            runner = continue_after_submit(self.home, self.folder)  # the run stopped at the gate: start it again
        except AlssError as exc:
            self.notify(str(exc), severity="error", timeout=8)
        else:
            if runner == "stopped":
                self.notify(f"the run's process is not running: `alss-tui run --resume {self.run_id}` continues it",
                            severity="warning", timeout=8)
        self._show_title()
        self._show_status()

    def action_zoom(self) -> None:
        if self.session is not None and self.session.total:
            self.app.push_screen(ZoomDialog(self.session.review, self.session.cursor))

    async def action_layout(self, step: int) -> None:
        """Trade cards per page for card size; the cursor stays on its candidate."""
        grid = self.grid
        if not await grid.set_layout(grid.layout_index + step):
            self.notify("largest cards already" if step > 0 else "smallest cards already", timeout=2)
            return
        self._show_status()

    def action_close(self) -> None:
        if self.session is not None and self.session.round == SUSPECTS:
            self.action_suspects()  # esc leaves the queue first
            return
        self.dismiss()

    def action_suspects(self) -> None:
        """Open the queue of suspect labels (again: back to the round)."""
        if self.session is not None and self.session.round == SUSPECTS:
            self.session, self._round_session = self._round_session, None
            if self.session is None:
                self._load(None)
                return
        else:
            try:
                queue = load_suspects(self.folder)
            except AlssError as exc:
                self.notify(str(exc), severity="error", timeout=5)
                return
            if queue is None or not queue.candidates:
                self.notify("no suspect labels: none found yet (they are looked for after each round)", timeout=4)
                return
            self._round_session = self.session
            self.session = ReviewSession(queue, self.label_log)
            undecided = self.session.undecided()
            self.session.move_to(undecided[0] if undecided else 0)
        self.grid.set_review(self.session.review, self.session.cursor)
        self._show_title()
        self._show_status()

    def _count_suspects(self) -> None:
        """The Runs screen and `show` count open suspects: keep the registry's count current."""
        try:
            self.registry.upsert(self.run_id, suspects=open_suspects(self.folder))
        except AlssError:
            pass

    def on_candidate_grid_page_shown(self) -> None:
        self._show_status()

    def on_candidate_card_clicked(self, message) -> None:
        if self.session is not None:
            self.session.move_to(message.index)
            self.grid.move_cursor(self.session.cursor)
            self._show_status()

    # --- following the run ------------------------------------------------------------

    def _poll(self) -> None:
        """Once a second: notice another reviewer's submit, and the run's next round."""
        try:
            new_lines = self._tail.read_new()
            s = self.session
            if s is not None and not s.read_only and any(
                    r.get("round") == s.round and r.get("submitted") for r in new_lines):
                s.state = self.label_log.round(s.round)
                s.read_only = True
                self.notify(f"round {s.round} was submitted elsewhere", severity="warning", timeout=5)
                self._show_title()
            waiting = pending_round(self.folder)
        except AlssError as exc:
            self.notify(str(exc), severity="error", timeout=5)
            return
        if s is not None and s.round == SUSPECTS:
            if waiting is not None and self._round_session is not None and self._round_session.read_only \
                    and waiting != self._round_session.round:
                self._round_session = None  # s goes back to the new round
            return
        if waiting is not None and (s is None or (s.read_only and waiting != s.round)):
            self._load(waiting)
            self.app.bell()
            self.notify(f"round {waiting} is waiting for your labels", timeout=5)
        elif s is None or s.read_only:
            self._show_progress()

    def _show_progress(self) -> None:
        """Waiting for the next round: what the run is doing, and how far it is."""
        try:
            line = self._progress.poll()
        except AlssError:
            return
        self.query_one("#review-hint", TextLine).update(f"next round when it is ready · {line}")
