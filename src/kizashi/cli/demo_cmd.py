"""``kizashi demo``: set up the demo instance, run monitoring, serve the web UI."""

from __future__ import annotations

import shutil
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kizashi.domain.periods import parse_month
from kizashi.web.i18n import Translator

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
    built = not demo_exists(st)
    if not built:
        console.print(
            f"デモはすでに {cfg.resolved_database_url} にあります(作り直すときは --reset)"
        )
    else:
        console.print(
            f"デモのポートフォリオ({businesses:,} 事業者)を {cfg.resolved_database_url} に作っています"
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
            f"保存しました: 事業者 {summary.businesses:,}、融資 {summary.loans:,}、"
            f"月次試算表 {summary.statements:,}、信用事象 {summary.credit_events:,}、"
            f"同意 {summary.consents:,}"
        )
    _run_monitoring_if_available()
    if built:  # the flags exist now: each organisation has already answered some of them
        from kizashi.jobs.demo_flags import add_flag_responses

        console.print("各組織の担当者と事業者の対応(確認済・対応中・対応不要)を記録しています…")
        add_flag_responses(st)
        from kizashi.jobs.demo_teams import assign_first

        assign_first(st)  # デモ第一銀行's manager gives the month's first proposal to a member
    checkpoint_audit()
    console.print(f"\nデモ用ログイン — パスワードはすべて [bold]{DEMO_PASSWORD}[/bold]")
    for login in demo_logins(st):
        role = Translator("ja").enum_label(login.role)
        console.print(f"  {login.login:<12} {role:<8} {login.organisation} — {login.note}")
    if serve:
        from .serve_cmd import serve as serve_command

        serve_command(host=None, port=port, workers=None)


def _run_monitoring_if_available() -> None:
    """Run monitoring over the demo portfolio (wired in once the engine lands)."""
    try:
        from kizashi.jobs.monitoring import run_monitoring_job
    except ImportError:
        console.print("[yellow]この版にはモニタリングエンジンがありません: 実行を省きます[/yellow]")
        return
    console.print("モニタリングを実行します(パネル更新 → 指標とルール → 予兆フラグの保存)")
    with console.status("モニタリング実行中…"):
        run_monitoring_job(store(), settings(), console=console)
