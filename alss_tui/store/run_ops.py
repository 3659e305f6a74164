"""Operations on whole runs: create, delete, export, rebuild the registry from the run folders."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

from alss_tui.config import RunConfig
from alss_tui.errors import StoreError
from alss_tui.store.export_files import StagedExport
from alss_tui.store.history import load_history
from alss_tui.store.labels import LabelLog
from alss_tui.store.locks import is_held
from alss_tui.store.registry import Registry, registry_fields
from alss_tui.store.run_folder import RunFolder


def create_run(home: Path, cfg: RunConfig, **fields: Any) -> RunFolder:
    """A new run: its folder (with config.toml) and its registry document, status `created`.

    The one way every caller (CLI, dashboard, bench) makes a run; `fields` are
    extra registry facts (e.g. the bench a run belongs to). Starting it is
    `runner.launch.launch` (detached) or `runner.execute.execute` (in process).
    """
    registry = Registry(home)
    folder = RunFolder.create(registry.runs_dir, cfg)
    registry.upsert(folder.run_id, status="created", **registry_fields(cfg), **fields)
    return folder


def delete_run(registry: Registry, run_id: str) -> None:
    """Remove a run's folder and registry document; refuses a run whose runner is alive."""
    folder = RunFolder(registry.runs_dir / run_id)
    if is_held(folder.lock_path):
        raise StoreError(f"run {run_id} is running; stop it before deleting it")
    if folder.path.is_dir():
        # Rename first: a half-deleted folder is never mistaken for a run.
        trash = folder.path.with_name(f".deleting-{run_id}")
        folder.path.rename(trash)
        shutil.rmtree(trash)
    registry.remove(run_id)


def _review_paths(folder: RunFolder) -> dict[int, str]:
    """Pool index -> image path, from the review files (folder datasets record paths there)."""
    import json

    paths: dict[int, str] = {}
    for review in sorted(folder.review_dir.glob("r*.json")):
        try:
            doc = json.loads(review.read_text(encoding="utf-8"))
            paths.update({c["item"]: c["path"] for c in doc.get("candidates", []) if "path" in c})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise StoreError(f"{review}: not a readable review file") from None
    return paths


def with_pending_reviews(labels: dict, folder: RunFolder) -> dict:
    """The run's labels with the second looks a person made that no round has applied yet (the run
    waits, or finished): a relabel supersedes the label here too, marked pending."""
    from alss_tui.store.history import LabelRecord

    out = dict(labels)
    for item, label in LabelLog(folder.labels_path).reviews().items():
        rec = out.get(item)
        if rec is None or rec.label is None or (rec.second_look and rec.label == label):
            continue
        look = "kept" if label == rec.label else ("rejected" if label is None else "relabelled")
        out[item] = LabelRecord(rec.item, label, rec.round, rec.strategy, rec.why, f"{look} (pending)",
                                rec.label if look != "kept" else rec.first_label)
    return out


def export_run(folder: RunFolder, dest: Path) -> list[Path]:
    """Write labels.csv, rounds.csv and config.toml into `dest`; returns the files written."""
    staged = StagedExport(dest)
    export_tables(folder, staged)
    return staged.commit()


def export_tables(folder: RunFolder, staged: StagedExport) -> None:
    """Stage labels.csv, rounds.csv and config.toml of the run (renamed when the export commits)."""
    history = load_history(folder)
    cfg = folder.load_config()
    pool_paths = _review_paths(folder) if cfg.data.dataset == "folder" else None
    classes = history.classes

    labels = io.StringIO()
    w = csv.writer(labels)
    header = ["pool_index", "label", "class_name", "round", "labelled_by", "strategy", "seed_index",
              "seed_label", "latent_distance", "loss_before", "loss_after", "model_prediction", "score",
              "second_look", "first_label"]
    if pool_paths is not None:
        header.insert(1, "path")
    w.writerow(header)
    for rec in sorted(with_pending_reviews(history.labels, folder).values(), key=lambda r: (r.round, r.item)):
        why = rec.why
        name = classes[rec.label] if rec.label is not None and rec.label < len(classes) else ""
        row = [rec.item, "" if rec.label is None else rec.label, name if rec.label is not None else "rejected",
               rec.round, cfg.oracle.kind, rec.strategy, why.get("seed_index"), why.get("seed_label"),
               why.get("distance"), why.get("loss_before"), why.get("loss_after"), why.get("prediction"),
               why.get("score"), rec.second_look,
               "" if rec.first_label is None else classes[rec.first_label] if rec.first_label < len(classes) else rec.first_label]
        if pool_paths is not None:
            row.insert(1, pool_paths.get(rec.item, ""))
        w.writerow(["" if v is None else v for v in row])
    staged.write_text("labels.csv", labels.getvalue())

    rounds = io.StringIO()
    w = csv.writer(rounds)
    # The accuracy column is named by the split it was measured on: a run scores one split.
    split = next((r["split"] for r in history.round_rows if r["split"]), None) or folder.load_config().task.evaluate_on
    w.writerow(["round", "labelled", f"{split}_accuracy", "seconds", "selection_seconds", "task_seconds",
                "evaluate_seconds"])
    for r in history.round_rows:
        phases = r.get("phase_seconds", {})
        w.writerow([r["round"], r["labelled"], "" if r["accuracy"] is None else r["accuracy"],
                    round(r["seconds"], 3), round(phases.get("propose", 0.0), 4),
                    round(phases.get("task", 0.0), 3), round(phases.get("evaluate", 0.0), 3)])
    staged.write_text("rounds.csv", rounds.getvalue())
    staged.write_text("config.toml", folder.config_path.read_text(encoding="utf-8"))


def document_from_folder(folder: RunFolder) -> dict:
    """A registry document rebuilt from what the run folder itself records."""
    cfg = folder.load_config()
    history = load_history(folder)
    doc = {"id": folder.run_id, **registry_fields(cfg),
           "created": history.started or folder.config_path.stat().st_mtime,
           "updated": history.last_event or folder.config_path.stat().st_mtime}
    last = history.last_round
    if last is not None:
        accs = [r["accuracy"] for r in history.round_rows if r["accuracy"] is not None]
        doc.update(round=last["round"], labelled=last["labelled"], accuracy=last["accuracy"],
                   best_accuracy=max(accs) if accs else None, split=last["split"],
                   agreement=last["agreement"], agreement_mean=last["agreement_mean"])
    if history.finished:
        doc.update(status="finished", stopped=history.finish_reason)
    elif history.error is not None:
        doc.update(status="failed", error=history.error)
    elif cfg.oracle.kind == "human" and history.unlabelled_round is not None:
        # A person's run stops at the gate without a process: it waits, it did not crash.
        doc.update(status="awaiting-labels", waiting_round=history.unlabelled_round)
    elif history.started is not None:
        doc["status"] = "running"  # live_status turns this into crashed when no runner holds the lock
    else:
        doc["status"] = "created"
    return doc


def rebuild_registry(registry: Registry) -> tuple[int, list[str]]:
    """Replace the registry with documents rebuilt from every run folder.

    Returns (runs registered, one-line problems with folders that could not be read).
    """
    docs, problems = [], []
    if registry.runs_dir.is_dir():
        for path in sorted(registry.runs_dir.iterdir()):
            if not path.is_dir() or path.name.startswith("."):
                continue
            try:
                docs.append(document_from_folder(RunFolder(path)))
            except (StoreError, OSError) as exc:
                problems.append(f"{path.name}: {exc}")
    registry.replace_all(docs)
    return len(docs), problems
