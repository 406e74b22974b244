"""``kizashi changes --as LOGIN [--since YYYY-MM-DD]``: what changed for the organisation since a
day (default: the first day of last month) — new and cleared flags, missed trial-balance
deadlines, risk-threshold crossings; read under consent and audited. Output is Japanese."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape

from kizashi.access.changes import read_changes
from kizashi.domain.calendar import format_month
from kizashi.domain.triage import SEVERITY_JA
from kizashi.domain.vocabulary import Purpose

from .app import app
from .context import actor_for, console, fail, settings, store


@app.command("changes")
def changes_cmd(
    as_: Annotated[str, typer.Option("--as", help="Act as this user (login)")],
    since: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD (default: last month's 1st)")
    ] = None,
    threshold: Annotated[float, typer.Option(help="Risk probability threshold")] = 0.2,
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
) -> None:
    """先月からの変化を表示する (what changed since last month)."""
    try:
        start = date.fromisoformat(since) if since else None
    except ValueError:
        fail("--since は YYYY-MM-DD で指定してください")
        return
    cfg = settings()
    with store().session() as s:
        c = read_changes(
            s,
            actor_for(as_),
            since=start,
            purpose=purpose,
            deadline_days=cfg.submission_deadline_days,
            data_dir=cfg.data_dir,
            threshold=threshold,
            lang="ja",
        )
    console.print(f"{c.since.isoformat()} 以降の変化")
    console.print(f"新しい予兆フラグ: {len(c.new_flags)}件")
    for f in c.new_flags:
        sev = SEVERITY_JA.get(f.severity, f.severity)
        console.print(
            f"  {escape(f.business_name)} — {escape(f.title)} ({sev}, {format_month(f.month, 'ja')})"
        )
    console.print(f"解消した予兆フラグ: {len(c.cleared_flags)}件")
    for f in c.cleared_flags:
        console.print(
            f"  {escape(f.business_name)} — {escape(f.title)} ({format_month(f.month, 'ja')})"
        )
    console.print(f"期限までに提出のなかった試算表: {len(c.missed)}件")
    for m in c.missed:
        console.print(
            f"  {escape(m.business_name)} — {format_month(m.month, 'ja')} (期限 {m.deadline.isoformat()})"
        )
    console.print(f"リスクの閾値 ({100 * c.threshold:.0f}%) をまたいだ事業者: {len(c.crossed)}件")
    for x in c.crossed:
        console.print(f"  {escape(x.business_name)} — {100 * x.before:.1f}% → {100 * x.after:.1f}%")
