"""`alss-tui bench`: strategies x seeds on one dataset, one table (and a figure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from alss_tui.cli.console import fail

ConfigArg = Annotated[Optional[Path], typer.Argument(help="Base run config (TOML); default: built-in defaults.",
                                                     show_default=False)]
StrategiesOpt = Annotated[str, typer.Option("--strategies", "-s", help="Comma-separated strategies to compare.")]
SeedsOpt = Annotated[int, typer.Option("--seeds", help="Number of seeds (0, 1, ... N-1).", min=1)]
SeedListOpt = Annotated[Optional[str], typer.Option("--seed-list", help="Explicit seeds, e.g. 3,4,5 (overrides --seeds).",
                                                    show_default=False)]
DatasetOpt = Annotated[Optional[str], typer.Option("--dataset", help="digits, mnist, cifar10 or folder.", show_default=False)]
DataRootOpt = Annotated[Optional[str], typer.Option("--data-root", help="Folder holding the dataset files.",
                                                    show_default=False)]
ImbalanceOpt = Annotated[Optional[float], typer.Option("--imbalance", help="Long-tailed pool: rarest class 1/R of the largest.",
                                                       show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field: section.key=value (repeatable).",
                                                      show_default=False)]
TargetsOpt = Annotated[str, typer.Option("--targets", help="Accuracy targets for 'labels to reach'.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
PlotOpt = Annotated[Optional[Path], typer.Option("--plot", help="Write accuracy vs labels (mean ± std) to this PNG.",
                                                 show_default=False)]
SummaryOnlyOpt = Annotated[bool, typer.Option("--summary-only", help="Report the finished runs of this grid; start none.")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=1,
                                      help="Cells at once: worker processes here; with --on ray, the size of a local Ray instance.")]
OnOpt = Annotated[str, typer.Option("--on", help="local (this machine) or ray (a Ray cluster, or a local Ray instance).")]
AddressOpt = Annotated[Optional[str], typer.Option("--address", help="Ray cluster: HOST:PORT, ray://HOST:PORT or auto "
                                                   "(default: start a local Ray instance).", show_default=False)]
CpusOpt = Annotated[Optional[float], typer.Option("--cpus-per-run", min=0.01, show_default=False,
                                                  help="Cores per cell (its torch threads; Ray's num_cpus). "
                                                       "Default: cores // jobs here, 1 on Ray.")]
GpusOpt = Annotated[float, typer.Option("--gpus-per-run", min=0.0, help="GPUs per cell on Ray (fractions allowed).")]
HomeOpt = Annotated[Optional[Path], typer.Option("--home", help="Where runs live (default: $ALSS_HOME, else the user data dir).",
                                                  show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def _parse_list(raw: str, what: str, cast=str) -> list:
    items = [x.strip() for x in raw.split(",") if x.strip()]
    if not items:
        fail(f"{what}: give at least one value")
    try:
        return [cast(x) for x in items]
    except ValueError:
        fail(f"{what}: {raw!r} is not a comma-separated list of numbers")


def bench(config: ConfigArg = None, strategies: StrategiesOpt = "random,margin-sub,snn", seeds: SeedsOpt = 3,
          seed_list: SeedListOpt = None, dataset: DatasetOpt = None, data_root: DataRootOpt = None,
          imbalance: ImbalanceOpt = None, set_: SetOpt = None, targets: TargetsOpt = "0.90,0.95",
          json_out: JsonOpt = False, plot: PlotOpt = None, summary_only: SummaryOnlyOpt = False,
          jobs: JobsOpt = 1, on: OnOpt = "local", address: AddressOpt = None, cpus_per_run: CpusOpt = None,
          gpus_per_run: GpusOpt = 0.0, home: HomeOpt = None) -> None:
    """Compare strategies over several seeds; re-running the same bench resumes it."""
    from alss_tui import config as config_mod
    from alss_tui.core.strategies import STRATEGY_NAMES
    from alss_tui.store.home import resolve_home

    names = _parse_list(strategies, "--strategies")
    unknown = [n for n in names if n not in STRATEGY_NAMES]
    if unknown:
        fail(f"--strategies: unknown strategy {unknown[0]!r}; one of {', '.join(STRATEGY_NAMES)}")
    if len(set(names)) != len(names):
        fail("--strategies: a strategy is listed twice")
    seed_values = _parse_list(seed_list, "--seed-list", int) if seed_list else list(range(seeds))
    target_values = _parse_list(targets, "--targets", float)
    overrides = list(set_ or [])
    if dataset:
        overrides.append(f"data.dataset={json.dumps(dataset)}")
    if data_root:
        overrides.append(f"data.data_root={json.dumps(data_root)}")
    if imbalance is not None:
        overrides.append(f"data.imbalance={imbalance}")
    sets_function = any(o.replace(" ", "").startswith("oracle.kind=") and "function" in o for o in overrides)
    if "si" in names or sets_function:
        # The base config must validate with a labelling function, which only si accepts; the
        # cells get their own strategy (and ground truth for every strategy but si).
        overrides.append('sampling.strategy="si"')
    base = config_mod.load(config) if config else config_mod.RunConfig(name="bench")
    base = config_mod.apply_overrides(base, overrides)
    if "si" in names and base.oracle.kind != "function":
        fail("--strategies: si needs a labelling function: --set oracle.kind=function "
             "--set oracle.function=alss_tui.runner.reference_oracle:digits (or :mnist)")
    home_dir = resolve_home(home)
    executor = None
    if not summary_only:
        from alss_tui.runner.executors import make_executor

        executor = make_executor(on, jobs, address, cpus_per_run, gpus_per_run)
    _run(home_dir, base, names, seed_values, target_values, json_out, plot, summary_only, executor)


def _run(home_dir: Path, base, names, seed_values, target_values, json_out: bool, plot: Path | None,
         summary_only: bool, executor=None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from alss_tui.config import check_budget
    from alss_tui.data.loaders import load_dataset
    from alss_tui.runner.bench import Manifest, run_grid
    from alss_tui.runner.bench_report import plot as plot_figure, summarize
    from alss_tui.store.registry import Registry

    console = Console(stderr=True)
    dataset = None
    if not summary_only:
        dataset = load_dataset(base.data)
        check_budget(base, len(dataset.pool_images))
    manifest = Manifest.open(home_dir, base, names, seed_values)
    cells = manifest.ordered()
    done = sum(c.status == "finished" for c in cells)
    console.print(f"bench [bold]{manifest.bench_id}[/]: {len(names)} strategies x {len(seed_values)} seeds"
                  + (f", resuming ({done} of {len(cells)} runs done)" if done else ""))
    if summary_only and done == 0:
        fail(f"bench {manifest.bench_id}: no finished runs for these strategies and seeds yet")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[eta]}"), console=console,
                  transient=True) as bar:
        task = bar.add_task("bench", total=len(cells), eta="")

        def on_progress(p) -> None:
            eta = f"ETA {_duration(p.eta_seconds)}" if p.eta_seconds is not None else "ETA after the first run"
            bar.update(task, completed=p.done, description=f"bench: {p.current}" if p.current else "bench",
                       eta=eta)
            # A plain line too, so a log file (no live bar there) shows where the grid stands.
            console.log(f"{p.done}/{p.total} runs done" + (f", starting {p.current}" if p.current else "")
                        + (f", {eta}" if p.current else ""))

        if not summary_only:
            # Workers load their own copy; the driver keeps it only when it runs the cells itself.
            keep = dataset if getattr(executor, "in_process", False) else None
            dataset = None
            run_grid(home_dir, manifest, base, keep, on_progress=on_progress, executor=executor)
    failed = [c for c in manifest.ordered() if c.status == "failed"]
    if failed and not any(c.status == "finished" for c in manifest.ordered()):
        for c in failed:
            console.print(f"[red]{c.key} failed:[/] {escape(c.error or 'unknown error')}")
        fail(f"bench {manifest.bench_id}: every run failed")
    summary = summarize(manifest, Registry(home_dir).runs_dir, tuple(target_values))
    if plot is not None:
        plot_figure(summary, plot)
    if json_out:
        print(json.dumps(summary, indent=1))
        _report_failures(console, failed)
        return
    out = Console()
    for table in _tables(summary):
        out.print(table)
    if plot is not None:
        out.print(f"figure: {plot}")
    _report_failures(console, failed)


def _report_failures(console, failed) -> None:
    """Failed cells are named after the tables; the exit code says the grid is incomplete."""
    from rich.markup import escape

    if not failed:
        return
    for c in failed:
        console.print(f"[red]{c.key} failed:[/] {escape(c.error or 'unknown error')}  (run {c.run_id})")
    console.print(f"{len(failed)} run(s) failed; run the same command again to retry them")
    raise typer.Exit(1)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _pm(stat: dict | None, fmt: str = "{:.4f}", scale: float = 1.0) -> str:
    if not stat or stat.get("mean") is None:
        return "-"
    return f"{fmt.format(stat['mean'] * scale)} ± {fmt.format(stat['std'] * scale)}"


def _tables(summary: dict):
    from rich.table import Table

    strategies = summary["strategies"]
    counts = sorted({p["labelled"] for s in strategies.values() for p in s["curve"]})
    acc = Table(title=f"test accuracy (%), mean ± std over {len(summary['seeds'])} seeds")
    acc.add_column("labels", justify="right")
    for name in strategies:
        acc.add_column(name, justify="right")
    for n in counts:
        row = [str(n)]
        for s in strategies.values():
            point = next((p for p in s["curve"] if p["labelled"] == n), None)
            row.append(_pm(point["accuracy"], "{:.2f}", 100) if point else "-")
        acc.add_row(*row)
    yield acc

    cost = Table(title="label efficiency and selection cost (per round)")
    cost.add_column("strategy")
    for t in summary["targets"]:
        cost.add_column(f"labels to {t * 100:g}%", justify="right")
    for col in ("AUC (%)", "largest drop (pts)", "select s", "fwd passes", "bwd passes", "worst-class recall (%)"):
        cost.add_column(col, justify="right")
    for name, s in strategies.items():
        reach = []
        for t in summary["targets"]:
            r = s["labels_to_reach"][f"{t:.2f}"]
            text = _pm(r, "{:.0f}") if r["reached"] else "never"
            if 0 < r["reached"] < r["of"]:
                text += f" ({r['reached']}/{r['of']})"
            reach.append(text)
        worst = s["final_recall"]["worst_class"] if s["final_recall"] else None
        cost.add_row(name, *reach, _pm(s["auc"], "{:.2f}", 100), _pm(s.get("largest_drop"), "{:.2f}", 100),
                     _pm(s["selection_seconds_per_round"], "{:.3f}"),
                     _pm(s["forward_passes_per_round"], "{:.0f}"), _pm(s["backward_passes_per_round"], "{:.0f}"),
                     _pm(worst, "{:.1f}", 100))
    yield cost
