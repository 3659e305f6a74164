"""New run: a form over the whole RunConfig, validated as you type; Enter starts the run."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Checkbox, Select, Static

from alss_tui.config import RunConfig
from alss_tui.errors import AlssError
from alss_tui.tui.state.config_form import FieldSpec, field_specs, initial_values, parse_form

SECTION_TITLES = {"": "run", "data": "data", "vae": "VAE (unsupervised, on the whole pool)",
                  "task": "task model (the classifier)", "sampling": "sampling: strategy and label budget",
                  "oracle": "label source"}
PRESET_HINT = "built-in and saved"  # short: the column is 20 cells wide at 80 columns


def preset_options() -> list[tuple[str, str]]:
    from alss_tui import presets

    return [(p.name if p.source == "built-in" else f"{p.name} (saved)", p.name) for p in presets.all_presets()]


class NewRunScreen(Screen):
    HELP_TITLE = "New run"
    BINDINGS = [
        Binding("ctrl+r", "submit", "Start run"),
        Binding("ctrl+s", "save_preset", "Save preset"),
        Binding("escape", "back", "Runs"),
    ]

    def __init__(self, config: RunConfig | None = None):
        super().__init__(id="new-run-screen")
        self.specs = field_specs()
        self.values = initial_values(config or RunConfig())
        self.config: RunConfig | None = None
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="form"):
            with Grid(classes="form-grid"):
                yield Label("preset", classes="field-label")
                yield Select(preset_options(), prompt="choose…", id="preset-select", classes="field-input",
                             compact=True)
                yield Static(PRESET_HINT, classes="field-error preset-hint")
            # One grid per section (label | input | message), not a container per row:
            # fewer widgets keeps mounting and styling the form fast.
            sections: dict[str, list[FieldSpec]] = {}
            for spec in self.specs:
                sections.setdefault(spec.section, []).append(spec)
            for section, specs in sections.items():
                yield Static(SECTION_TITLES.get(section, section), classes="form-section")
                with Grid(classes="form-grid"):
                    for spec in specs:
                        label = Label(spec.key.rpartition(".")[2], classes="field-label")
                        widget = self._widget(spec)
                        label.tooltip = widget.tooltip = spec.help  # the declaration's line of help
                        yield label
                        yield widget
                        yield Static("", id=f"{spec.dom_id}-error", classes="field-error")
        with Horizontal(id="form-actions"):
            yield Button("Start run (enter)", id="start-run", variant="primary", compact=True)
            yield Button("Save preset (ctrl+s)", id="save-preset", compact=True)
            yield Static("", id="form-status")
        yield Footer()

    def _widget(self, spec: FieldSpec):
        value = self.values[spec.key]
        if spec.kind == "bool":
            return Checkbox("", value=bool(value), id=spec.dom_id, classes="field-input", compact=True)
        if spec.kind == "choice":
            options = list(spec.choices)
            if value not in {v for _, v in options}:
                options.append((str(value), str(value)))
            return Select(options, value=value, allow_blank=False, id=spec.dom_id, classes="field-input",
                          compact=True)
        return Input(str(value), id=spec.dom_id, classes="field-input", select_on_focus=False, compact=True)

    def on_mount(self) -> None:
        self.sub_title = "new run"
        self._validate()
        self.query_one(f"#{self.specs[0].dom_id}").focus()

    # --- validation -------------------------------------------------------------------

    def _spec_of(self, widget_id: str | None) -> FieldSpec | None:
        return next((s for s in self.specs if s.dom_id == widget_id), None)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._changed(event.input.id, event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "preset-select":
            if event.value is not Select.BLANK:
                self._fill_from_preset(str(event.value))
            return
        self._changed(event.select.id, event.value)

    def _fill_from_preset(self, name: str) -> None:
        from alss_tui import presets

        try:
            values = initial_values(presets.load(name))
        except AlssError as exc:
            self.notify(str(exc), severity="error")
            return
        for spec in self.specs:
            widget = self.query_one(f"#{spec.dom_id}")
            value = values[spec.key]
            if spec.kind == "choice" and value not in {v for _, v in spec.choices}:
                widget.set_options([*spec.choices, (str(value), str(value))])
            widget.value = value if spec.kind in ("bool", "choice") else str(value)
        self.values = values
        self._validate()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._changed(event.checkbox.id, event.value)

    def _changed(self, widget_id: str | None, value) -> None:
        spec = self._spec_of(widget_id)
        if spec is not None and value is not Select.BLANK:
            self.values[spec.key] = value
            self._validate()

    def _validate(self) -> None:
        shown = self.errors
        self.config, self.errors = parse_form(self.values)
        for key in set(shown) | set(self.errors):  # touch only the fields whose message changed
            message = self.errors.get(key, "")
            if message != shown.get(key, ""):
                dom_id = self._dom_id(key)
                self.query_one(f"#{dom_id}-error", Static).update(message)
                self.query_one(f"#{dom_id}").set_class(bool(message), "invalid-field")
        self.query_one("#start-run", Button).disabled = self.config is None
        status = self.query_one("#form-status", Static)
        if self.config is None:
            n = len(self.errors)
            status.update(f"[red]{n} field{'s' if n > 1 else ''} to fix[/]")
        else:
            c = self.config
            status.update(f"ready: {c.sampling.strategy} on {c.data.dataset}, {c.sampling.initial} labels + "
                          f"{c.rounds}×{c.sampling.per_round} → {c.sampling.budget}")

    # --- actions ----------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start-run":
            self.action_submit()
        elif event.button.id == "save-preset":
            self.action_save_preset()

    def action_submit(self) -> None:
        from alss_tui.tui.state.run_control import start_new_run

        if self.config is None:
            key, message = next(iter(self.errors.items()))
            self.notify(f"{key}: {message}", title="not started", severity="error")
            self.query_one(f"#{self._dom_id(key)}").focus()
            return
        try:
            run_id = start_new_run(self.app.home, self.config)
        except AlssError as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.refresh_runs()
        self.app.pop_screen()
        self.app.open_monitor(run_id)
        self.app.notify(f"started {run_id}; it keeps running if you quit")

    def _dom_id(self, key: str) -> str:
        spec = next((s for s in self.specs if s.key == key), self.specs[0])
        return spec.dom_id

    def action_save_preset(self) -> None:
        from alss_tui import presets

        if self.config is None:
            self.notify("fix the marked fields before saving a preset", severity="error")
            return
        try:
            path = presets.save(self.config)
        except AlssError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.query_one("#preset-select", Select).set_options(preset_options())
        self.notify(f"saved {path}; start it later with alss-tui new --config {path.stem}")

    def action_back(self) -> None:
        self.app.pop_screen()
