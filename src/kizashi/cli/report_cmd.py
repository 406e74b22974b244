"""``kizashi report create|list|show|update|send|acknowledge|withdraw|due|pdf``: reports on a
business — 計画の進捗報告 (progress against a plan, on a cadence) and 税理士によるモニタリング報告書
(the accountant's quarterly report).

Every command acts as ``--as LOGIN`` through ``actions.reports`` and ``access.reports`` (the
business's 試算表・決算書 consent and audit, as for any reader or writer). Output is Japanese.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select

from kizashi.access.reports import ReportDetail, due_reports, list_reports, read_report
from kizashi.actions.reports import (
    ReportChange,
    do_acknowledge_report,
    do_create_report,
    do_send_report,
    do_update_report,
    do_withdraw_report,
)
from kizashi.documents.report_pdf import report_pdf
from kizashi.domain.plans import ITEM_JA
from kizashi.domain.reports import (
    REPORT_CADENCE_JA,
    REPORT_KIND_JA,
    REPORT_STATUS_JA,
    ReportCadence,
    ReportKind,
    ReportStatus,
    period_label,
)
from kizashi.domain.vocabulary import Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation

from .app import app
from .context import actor_for, checkpoint_audit, console, fail, store

report_app = typer.Typer(
    help="報告書 (計画の進捗報告・税理士によるモニタリング報告書).", no_args_is_help=True
)
app.add_typer(report_app, name="report")

As = Annotated[str, typer.Option("--as", help="Act as this user (login)")]
PurposeOpt = Annotated[Purpose, typer.Option(help="Purpose")]
ReportOpt = Annotated[int, typer.Option("--report", help="Report id")]
ToOpt = Annotated[
    list[str] | None, typer.Option("--to", help="送付先の組織コード (繰り返し指定できます)")
]
NOT_FOUND = "報告書が見つからないか、この操作はできません"


def _yen(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def _signed(v: int | None) -> str:
    return "—" if v is None else f"{v:+,}"


def _org_ids(codes: list[str] | None) -> list[int] | None:
    if codes is None:
        return None
    out = []
    with store().session() as s:
        for code in codes:
            oid = s.execute(select(Organisation.id).where(Organisation.code == code)).scalar()
            if oid is None:
                fail(f"組織コード {code!r} の組織はありません")
            else:
                out.append(int(oid))
    return out


def _day(d: date | None) -> str:
    return "—" if d is None else d.isoformat()


@report_app.command("create")
def report_create(
    business: Annotated[int, typer.Option("--business", help="Business id")],
    kind: Annotated[ReportKind, typer.Option(help="progress | monitoring")],
    period_to: Annotated[str, typer.Option("--period-to", help="期間の最終月 (YYYY-MM)")],
    as_: As,
    to: ToOpt = None,
    cadence: Annotated[ReportCadence, typer.Option(help="none | quarterly | yearly")] = (
        ReportCadence.QUARTERLY
    ),
    period_from: Annotated[
        str | None, typer.Option("--period-from", help="期間の最初の月 (YYYY-MM)")
    ] = None,
    plan: Annotated[int | None, typer.Option("--plan", help="比較する計画の id")] = None,
    comment: Annotated[str | None, typer.Option(help="所見・コメント")] = None,
    title: Annotated[str | None, typer.Option(help="表題")] = None,
    due: Annotated[str | None, typer.Option(help="期限 (YYYY-MM-DD)")] = None,
    purpose: PurposeOpt = Purpose.MONITORING,
) -> None:
    """報告書を作る (作成中のまま。数値は計画と試算表から取り出して保存します)."""
    actor = actor_for(as_)
    try:
        end = date.fromisoformat(period_to + "-01")
        start = date.fromisoformat(period_from + "-01") if period_from else None
        due_day = date.fromisoformat(due) if due else None
    except ValueError:
        fail("年月は YYYY-MM、期限は YYYY-MM-DD で指定してください")
    recipients = _org_ids(to) or []
    try:
        with store().session() as s:
            r = do_create_report(
                s,
                actor,
                business,
                kind=kind,
                period_to=end,
                period_from=start,
                purpose=purpose,
                cadence=cadence,
                plan_id=plan,
                recipients=recipients,
                comment=comment,
                title=title,
                due=due_day,
            )
            rid, label = r.id, r.title
    except NotFound:
        fail("事業者または計画が見つからないか、報告書を作れません")
    except ValueError as exc:
        fail(str(exc))
    checkpoint_audit()
    console.print(f"報告書 {rid} を作成しました (作成中): {escape(label)}")


@report_app.command("list")
def report_list(
    as_: As,
    business: Annotated[int | None, typer.Option("--business", help="Business id")] = None,
    status: Annotated[ReportStatus | None, typer.Option(help="状態で絞る")] = None,
    purpose: PurposeOpt = Purpose.MONITORING,
) -> None:
    """見られる報告書の一覧 (自組織が作ったもの、送られてきたもの、自社のもの)."""
    actor = actor_for(as_)
    with store().session() as s:
        rows = list_reports(
            s, actor, purpose, business_id=business, status=status.value if status else None
        )
    if not rows:
        console.print("報告書はありません")
    for r in rows:
        console.print(
            f"{r.id}  {escape(r.business_name)}  {REPORT_KIND_JA[ReportKind(r.kind)]}"
            f"  {period_label(r.period_from, r.period_to)}"
            f"  {REPORT_STATUS_JA[ReportStatus(r.status)]}  作成 {escape(r.author_org_name)}"
            + (f"  期限 {_day(r.due_on)}" if r.status == ReportStatus.DRAFT else "")
            + ("  (期限切れ)" if r.overdue else "")
        )


def _as_json(d: ReportDetail) -> dict:
    return {
        "id": d.row.id,
        "business_id": d.row.business_id,
        "kind": d.row.kind,
        "status": d.row.status,
        "period_from": d.row.period_from.isoformat(),
        "period_to": d.row.period_to.isoformat(),
        "figures": [
            {
                "item": f.item,
                "plan": f.plan,
                "actual": f.actual,
                "deviation": f.deviation,
                "last_year": f.last_year,
                "change": f.change,
            }
            for f in d.figures
        ],
        "timeliness": {
            "on_time": d.timeliness.on_time,
            "late": d.timeliness.late,
            "missing": d.timeliness.missing,
        },
        "comment": d.comment,
        "recipients": [r.org_name for r in d.recipients],
    }


@report_app.command("show")
def report_show(
    report: ReportOpt,
    as_: As,
    purpose: PurposeOpt = Purpose.MONITORING,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """報告書の中身 (数値、提出状況、コメント、送付先)."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            d = read_report(s, actor, report, purpose)
    except NotFound:
        fail(NOT_FOUND)
    if as_json:
        console.print_json(json.dumps(_as_json(d), ensure_ascii=False))
        return
    r = d.row
    console.print(
        f"報告書 {r.id}  {escape(r.title)}\n"
        f"事業者 {escape(r.business_name)}・種類 {REPORT_KIND_JA[ReportKind(r.kind)]}"
        f"・期間 {period_label(r.period_from, r.period_to)}"
        f"・状態 {REPORT_STATUS_JA[ReportStatus(r.status)]}"
        f"・頻度 {REPORT_CADENCE_JA[ReportCadence(r.cadence)]}・期限 {_day(r.due_on)}\n"
        f"作成 {escape(r.author_org_name)}・計画 "
        + (f"{escape(d.plan_title)} (第{d.plan_version}版)" if d.plan_title else "なし")
    )
    console.print("項目  計画  実績  計画との差  前年同期  前年同期との差 (円)")
    for f in d.figures:
        console.print(
            f"{ITEM_JA[f.item]}  {_yen(f.plan)}  {_yen(f.actual)}  {_signed(f.deviation)}"
            f"  {_yen(f.last_year)}  {_signed(f.change)}"
        )
    t = d.timeliness
    console.print(f"提出状況: 期限内 {t.on_time}か月・遅れ {t.late}か月・未提出 {t.missing}か月")
    console.print(f"コメント: {escape(d.comment or '—')}")
    for x in d.recipients:
        state = "受領済" if x.acknowledged_at else ("送付済" if x.sent_at else "未送付")
        console.print(f"送付先: {escape(x.org_name)} ({state})")


@report_app.command("update")
def report_update(
    report: ReportOpt,
    as_: As,
    to: ToOpt = None,
    comment: Annotated[str | None, typer.Option(help="所見・コメント")] = None,
    title: Annotated[str | None, typer.Option(help="表題")] = None,
    due: Annotated[str | None, typer.Option(help="期限 (YYYY-MM-DD)")] = None,
    refresh: Annotated[bool, typer.Option(help="数値を取り直す")] = False,
    purpose: PurposeOpt = Purpose.MONITORING,
) -> None:
    """作成中の報告書を変える (作成した組織だけ)."""
    actor = actor_for(as_)
    try:
        due_day = date.fromisoformat(due) if due else None
    except ValueError:
        fail("期限は YYYY-MM-DD で指定してください")
    change = ReportChange(
        title=title, comment=comment, recipients=_org_ids(to), due=due_day, refresh=refresh
    )
    try:
        with store().session() as s:
            do_update_report(s, actor, report, change, purpose=purpose)
    except NotFound:
        fail(NOT_FOUND)
    except ValueError as exc:
        fail(str(exc))
    checkpoint_audit()
    console.print(f"報告書 {report} を更新しました")


@report_app.command("send")
def report_send(report: ReportOpt, as_: As, purpose: PurposeOpt = Purpose.MONITORING) -> None:
    """報告書を送付先に送る (以後、数値は変わりません。頻度があれば次の期間の下書きを作ります)."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            _, nxt = do_send_report(s, actor, report, purpose=purpose)
            following = (nxt.id, nxt.due_on) if nxt else None
    except NotFound:
        fail(NOT_FOUND)
    except ValueError as exc:
        fail(str(exc))
    checkpoint_audit()
    console.print(f"報告書 {report} を送付しました")
    if following:
        console.print(f"次の報告書 {following[0]} を作成中にしました (期限 {_day(following[1])})")


@report_app.command("acknowledge")
def report_acknowledge(
    report: ReportOpt, as_: As, purpose: PurposeOpt = Purpose.MONITORING
) -> None:
    """送られてきた報告書を受領する."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            status = do_acknowledge_report(s, actor, report, purpose=purpose).status
    except NotFound:
        fail(NOT_FOUND)
    except ValueError as exc:
        fail(str(exc))
    checkpoint_audit()
    console.print(
        f"報告書 {report} を受領しました (状態: {REPORT_STATUS_JA[ReportStatus(status)]})"
    )


@report_app.command("withdraw")
def report_withdraw(report: ReportOpt, as_: As, purpose: PurposeOpt = Purpose.MONITORING) -> None:
    """報告書を取り下げる (作成した組織だけ。記録は残ります)."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            do_withdraw_report(s, actor, report, purpose=purpose)
    except NotFound:
        fail(NOT_FOUND)
    except ValueError as exc:
        fail(str(exc))
    checkpoint_audit()
    console.print(f"報告書 {report} を取り下げました")


@report_app.command("due")
def report_due(
    as_: As,
    days: Annotated[int, typer.Option(help="何日先までの期限を出すか")] = 14,
) -> None:
    """期限の近い報告書 (頻度から作られた作成中の報告書)."""
    actor = actor_for(as_)
    with store().session() as s:
        rows = due_reports(s, actor, within_days=days)
    if not rows:
        console.print("期限の近い報告書はありません")
    for r in rows:
        console.print(
            f"{_day(r.due_on)}{' (期限切れ)' if r.overdue else ''}  報告書 {r.report_id}"
            f"  {escape(r.business_name)}  {escape(r.title)}"
        )


@report_app.command("pdf")
def report_pdf_cmd(
    report: ReportOpt,
    out: Annotated[Path, typer.Option("--out", help="書き出す PDF のパス")],
    as_: As,
    purpose: PurposeOpt = Purpose.MONITORING,
) -> None:
    """報告書を PDF (A4) に書き出す."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            d = read_report(s, actor, report, purpose)
    except NotFound:
        fail(NOT_FOUND)
    out.write_bytes(report_pdf(d))
    console.print(f"{out} に書き出しました")
