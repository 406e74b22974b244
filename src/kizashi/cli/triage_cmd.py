"""``kizashi triage list|assign|unassign`` and ``kizashi user capacity``: the organisation's
triage queue for a month (ranked, proposed to officers within their capacity, with the reason in
words; ``--csv``/``--xlsx`` write the same rows to a file), its assignments, and an officer's
capacity (set by the organisation's administrator, or the operator without ``--as``).
Output is Japanese.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from kizashi.access.risk_admin import default_pct
from kizashi.access.triage import read_triage_queue
from kizashi.actions.triage import (
    CapacityFull,
    do_assign_triage,
    do_set_capacity,
    do_unassign_triage,
)
from kizashi.domain.vocabulary import Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import User
from kizashi.web.tabular import to_csv, to_xlsx
from kizashi.web.views.triage import table

from .admin_cmd import user_app
from .app import app
from .context import actor_for, console, fail, settings, store

triage_app = typer.Typer(help="対話の優先順位 (triage queue).", no_args_is_help=True)
app.add_typer(triage_app, name="triage")


def _month(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text + "-01")
    except ValueError:
        fail(f"--period は YYYY-MM で指定してください: {escape(text)}")
    return None


def _user_id(login: str) -> int:
    with store().session() as s:
        uid = s.execute(select(User.id).where(User.login == login)).scalar_one_or_none()
    if uid is None:
        fail(f"利用者 {escape(login)} が見つかりません")
    return int(uid)  # type: ignore[arg-type]


@triage_app.command("list")
def triage_list(
    as_: Annotated[str, typer.Option("--as", help="Act as this user (login)")],
    period: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: this month)")] = None,
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the rows to CSV")] = None,
    xlsx_path: Annotated[
        Path | None, typer.Option("--xlsx", help="Write the rows to .xlsx")
    ] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only your own assignments")] = False,
) -> None:
    """自組織の対話の優先順位を表示する (the organisation's triage queue)."""
    with store().session() as s:
        q = read_triage_queue(
            s,
            actor_for(as_),
            period=_month(period),
            purpose=purpose,
            data_dir=settings().data_dir,
            default_score_pct=default_pct(settings().risk_weight),
            lang="ja",
        )
    headers, rows = table(q, "ja", mine=mine)
    if csv_path is not None:
        csv_path.write_bytes(to_csv(headers, rows))
    if xlsx_path is not None:
        xlsx_path.write_bytes(to_xlsx(f"triage-{q.period:%Y-%m}", headers, rows))
    out = Table(title=f"対話の優先順位 {q.period:%Y年%m月}")
    for h in headers:
        out.add_column(h)
    for r in rows:
        out.add_row(*(escape(str(v)) for v in r))
    console.print(out)
    for tm in q.teams:
        boss = "、".join(escape(n) for n in tm.managers) or "なし"
        console.print(
            f"チーム {escape(tm.name)}（管理職 {boss}）: 上限 {tm.capacity}件、割当済 {tm.assigned}件、"
            f"提案 {tm.proposed}件、残り {tm.left}件"
        )
    for o in q.officers:
        cap = "未設定" if o.capacity is None else f"{o.capacity}件"
        console.print(
            f"{escape(o.name)}: 上限 {cap}、割当済 {o.assigned}件、提案 {o.proposed}件、"
            f"残り {o.left}件"
        )


@triage_app.command("assign")
def triage_assign(
    business_id: Annotated[int, typer.Argument(help="Business id")],
    officer: Annotated[str, typer.Argument(help="The officer's login")],
    as_: Annotated[str, typer.Option("--as", help="Act as this user (login)")],
    period: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: this month)")] = None,
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
) -> None:
    """事業者を担当者に割り当てる (assign or reassign a business for the month)."""
    month = _month(period) or date.today()
    officer_id = _user_id(officer)
    try:
        with store().session() as s:
            do_assign_triage(
                s,
                actor_for(as_),
                business_id=business_id,
                officer_user_id=officer_id,
                period=month,
                purpose=purpose,
            )
    except CapacityFull:
        fail(f"{escape(officer)} は {month:%Y年%m月} の上限に達しています")
    except NotFound:
        fail(
            "事業者または担当者が見つからないか、割り当てられません（チームがあるときは管理職だけが他の人に割り当てます）"
        )
    console.print(f"事業者 {business_id} を {escape(officer)} に割り当てました（{month:%Y年%m月}）")


@triage_app.command("unassign")
def triage_unassign(
    business_id: Annotated[int, typer.Argument(help="Business id")],
    as_: Annotated[str, typer.Option("--as", help="Act as this user (login)")],
    period: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: this month)")] = None,
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
) -> None:
    """割り当てを外す (take a business off an officer's list for the month)."""
    month = _month(period) or date.today()
    try:
        with store().session() as s:
            do_unassign_triage(
                s, actor_for(as_), business_id=business_id, period=month, purpose=purpose
            )
    except NotFound:
        fail("その月の割り当てはありません")
    console.print(f"事業者 {business_id} の割り当てを外しました（{month:%Y年%m月}）")


@user_app.command("capacity")
def user_capacity(
    login: Annotated[str, typer.Argument(help="The officer's login")],
    per_month: Annotated[int, typer.Argument(help="Businesses to contact per month (0–1000)")],
    as_: Annotated[str | None, typer.Option("--as", help="Act as this administrator")] = None,
) -> None:
    """担当者の月あたりの対話件数の上限を設定する (set an officer's capacity)."""
    uid = _user_id(login)
    try:
        with store().session() as s:
            do_set_capacity(s, actor_for(as_), user_id=uid, per_month=per_month)
    except NotFound:
        fail("担当者が見つからないか、設定する権限がありません")
    except ValueError:
        fail("上限は 0 から 1000 の間で指定してください")
    console.print(f"{escape(login)} の上限を月 {per_month} 件にしました")


__all__ = ["triage_app"]
