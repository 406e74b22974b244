"""``kizashi audit log``: the audit log, filtered, as a list or as CSV.

Without ``--as`` the instance operator sees every event; ``--as LOGIN`` reads as that user,
who must be an auditor (their organisation's events only, as on the auditor's page). Every
read is itself audited. Output is Japanese; the CSV's columns are machine names.
"""

from __future__ import annotations

from datetime import UTC, date
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer

from kizashi.access.audit_reads import AuditFilter, export_audit_log, read_audit_log
from kizashi.store.errors import NotFound
from kizashi.web.audit_labels import action_label, decision_label
from kizashi.web.i18n import Translator

from .admin_cmd import audit_app
from .context import actor_for, console, err_console, store

JST = ZoneInfo("Asia/Tokyo")


def _fail(message: str) -> NoReturn:
    err_console.print(f"[red]エラー:[/red] {message}")
    raise typer.Exit(1)


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} は 年-月-日 (例: 2026-12-01) で指定してください: 「{value}」")


@audit_app.command("log")
def audit_log(
    person: Annotated[str | None, typer.Option(help="利用者のログインID")] = None,
    org: Annotated[str | None, typer.Option(help="組織コード")] = None,
    business: Annotated[int | None, typer.Option(min=1, help="事業者番号")] = None,
    action: Annotated[str | None, typer.Option(help="操作の種類 (例: read_business_page)")] = None,
    since: Annotated[str | None, typer.Option(help="この日から (日本時間、年-月-日)")] = None,
    until: Annotated[str | None, typer.Option(help="この日まで (日本時間、年-月-日)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="表示する件数 (新しい順)")] = 50,
    csv: Annotated[
        bool, typer.Option("--csv", help="CSV で出力する (古い順、絞り込み条件に合うすべて)")
    ] = False,
    output: Annotated[
        Path | None, typer.Option(help="CSV の書き出し先 (省略すると標準出力)")
    ] = None,
    as_: Annotated[
        str | None, typer.Option("--as", help="監査担当のログインID (省略: すべての記録)")
    ] = None,
) -> None:
    """監査ログを絞り込んで表示する。--csv で CSV に書き出す。"""
    flt = AuditFilter(
        person=person,
        organisation=org,
        business_id=business,
        action=action,
        since=_day(since, "--since"),
        until=_day(until, "--until"),
    )
    actor = actor_for(as_)
    try:
        with store().session() as s:
            if csv:
                text = export_audit_log(s, actor, flt)
            else:
                page = read_audit_log(s, actor, flt, page_size=limit)
    except NotFound:
        _fail("監査ログを見られるのは監査担当の利用者だけです")
    if csv:
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, "utf-8")
            console.print(f"監査ログを {output} に書き出しました ({text.count(chr(10)) - 1} 件)")
        return
    t = Translator("ja")
    console.print(f"監査ログ {page.total:,} 件 (新しい順に {len(page.rows)} 件を表示)")
    for r in page.rows:
        at = (r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)).astimezone(JST)
        who = r.display_name or r.login or "システム"
        biz = f"  事業者 {r.business_name or ''}({r.business_id})" if r.business_id else ""
        console.print(
            f"  #{r.id}  {at:%Y-%m-%d %H:%M}  {who}  {r.organisation or '—'}  "
            f"{action_label(t, r.action)}  {decision_label(t, r.decision)}{biz}"
        )
