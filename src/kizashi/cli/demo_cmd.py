"""``kizashi demo``: set up the demo instance, run monitoring, serve the web UI."""

from __future__ import annotations

import shutil
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kizashi.domain.periods import parse_month

from .app import app
from .context import checkpoint_audit, console, settings, store


@app.command("demo")
def demo(
    businesses: Annotated[
        int, typer.Option(min=1, help="Businesses in the demo portfolio.")
    ] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic portfolio.")] = 20261125,
    end_month: Annotated[str, typer.Option(help="Last month of data (YYYY-MM).")] = "2026-09",
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the data directory first.")
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the web UI afterwards.")
    ] = True,
    port: Annotated[
        int | None, typer.Option(help="Port for the web UI (default: settings.port).")
    ] = None,
) -> None:
    """デモ環境を作る: 合成ポートフォリオ・モニタリング実行・Web画面 (demo portfolio, monitoring run, web UI)."""
    from kizashi.jobs.demo import build_demo, demo_exists, demo_logins
    from kizashi.jobs.demo_world import DEMO_PASSWORD

    cfg = settings()
    if reset and cfg.data_dir.exists() and not cfg.database_url:
        shutil.rmtree(cfg.data_dir)
        store.cache_clear()
    st = store()
    if demo_exists(st):
        console.print(
            f"demo already set up in {cfg.resolved_database_url} (use --reset to rebuild)"
        )
    else:
        console.print(
            f"creating the demo portfolio ({businesses:,} businesses) in {cfg.resolved_database_url}"
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("合成ポートフォリオ", total=businesses)
            summary = build_demo(
                st,
                cfg,
                businesses=businesses,
                seed=seed,
                end_month=parse_month(end_month),
                progress=lambda n: bar.advance(task, n),
            )
        console.print(
            f"stored {summary.businesses:,} businesses, {summary.loans:,} loans, "
            f"{summary.statements:,} monthly trial balances, {summary.credit_events:,} credit events, "
            f"{summary.consents:,} consent grants"
        )
    _run_monitoring_if_available()
    checkpoint_audit()
    console.print(
        f"\nデモ用ログイン (demo logins) — password for all: [bold]{DEMO_PASSWORD}[/bold]"
    )
    for login in demo_logins(st):
        console.print(f"  {login.login:<12} {login.role:<8} {login.organisation} — {login.note}")
    if serve:
        from .serve_cmd import serve as serve_command

        serve_command(host=None, port=port, workers=None)


def _run_monitoring_if_available() -> None:
    """Run monitoring over the demo portfolio (wired in once the engine lands)."""
    try:
        from kizashi.jobs.monitoring import run_monitoring_job
    except ImportError:
        console.print(
            "[yellow]monitoring engine not installed in this build: skipping the run[/yellow]"
        )
        return
    run_monitoring_job(store(), settings(), console=console)
