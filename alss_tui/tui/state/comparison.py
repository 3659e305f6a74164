"""Compare runs: accuracy against labels per run, and the config fields that differ. No textual."""

from __future__ import annotations

from dataclasses import dataclass

from alss_tui import config as config_mod
from alss_tui.errors import AlssError
from alss_tui.store.registry import Registry
from alss_tui.store.run_fold import fold_log
from alss_tui.store.run_folder import RunFolder
from alss_tui.tui.state.run_state import Curve


@dataclass(frozen=True)
class RunCurve:
    run_id: str
    label: str
    curve: Curve  # labelled -> accuracy, one point per finished round (last record of a round wins)
    split: str | None = None  # the held-out split the curve was measured on


SPLIT_SHORT = {"validation": "val", "test": "test"}


def plot_title(curves: list[RunCurve]) -> str:
    """The split in the title when every run was scored on the same one; else each label says its own."""
    splits = {c.split for c in curves if c.split}
    if len(splits) == 1:
        return f"{splits.pop()} accuracy vs labels (%)"
    return "accuracy vs labels (%); each run on its own split (val or test)"


def flatten(data: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def config_diff(configs: dict[str, dict]) -> list[tuple[str, list[str]]]:
    """(key, value per run) for each key whose value is not the same in every run."""
    flat = {run_id: flatten(cfg) for run_id, cfg in configs.items()}
    keys = sorted({k for f in flat.values() for k in f})
    rows = []
    for key in keys:
        values = [f.get(key, "—") for f in flat.values()]
        if len({repr(v) for v in values}) > 1:
            rows.append((key, [", ".join(v) if isinstance(v, list) else str(v) for v in values]))
    return rows


def accuracy_curve(folder: RunFolder) -> tuple[Curve, str | None]:
    """Labelled count -> accuracy, one point per finished round with a held-out accuracy, and its split."""
    fold, _ = fold_log(folder.events_path)
    rounds = [r for r in fold.finished_rounds() if r.accuracy is not None and r.labelled is not None]
    points = sorted((float(r.labelled), float(r.accuracy)) for r in rounds)
    return Curve(tuple(p[0] for p in points), tuple(p[1] for p in points)), (rounds[-1].split if rounds else None)


def load_comparison(registry: Registry, run_ids: list[str]) -> tuple[list[RunCurve], list[tuple[str, list[str]]], list[str]]:
    """Curves, config diff and problems (runs that could not be read are left out, and named)."""
    curves, configs, problems = [], {}, []
    for run_id in run_ids:
        folder = RunFolder(registry.runs_dir / run_id)
        try:
            cfg = folder.load_config()
            curve, split = accuracy_curve(folder)
        except AlssError as exc:
            problems.append(str(exc))
            continue
        configs[run_id] = config_mod.to_dict(cfg)
        on = f", {SPLIT_SHORT.get(split, split)}" if split else ""
        curves.append(RunCurve(run_id, f"{cfg.name} ({cfg.sampling.strategy}, {run_id[:4]}{on})", curve, split))
    return curves, config_diff(configs), problems
