"""``kizashi cash``: a business's 13-week cash forecast (資金繰り予測), read under consent.

Japanese output (``--json``: the figures as numbers). Reads through ``access.cash`` as the
``--as`` user: 口座 is required; 請求書 and 金融取引 are used when the user may read them.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kizashi.access.cash import CashView, list_grace_ends, read_cash_forecast
from kizashi.domain.calendar import format_month
from kizashi.store.errors import NotFound
from kizashi.web.i18n import format_yen

from .app import app
from .context import actor_for, checkpoint_audit, fail, store

_console = Console(soft_wrap=True)
KIND_JA = {
    "receivable": "売掛金・請求書の入金",
    "sales_receipt": "売上入金(過去の実績から)",
    "payable": "買掛金・請求書の支払",
    "supplier_payment": "仕入先への支払(過去の実績から)",
    "payroll": "給与",
    "rent": "家賃",
    "utilities": "水道光熱費",
    "tax": "税金",
    "social_insurance": "社会保険料",
    "loan_principal": "借入金の元金返済",
    "loan_interest": "借入金の利息",
}
CATEGORY_JA = {"invoices": "請求書", "loans": "金融取引", "financials": "試算表"}


def _jp(d: date) -> str:
    return f"{d.month}月{d.day}日"


def as_json(v: CashView) -> dict[str, Any]:
    f = v.plan.forecast
    s = f.shortfall
    return {
        "business_id": v.business_id,
        "as_of": v.as_of.isoformat(),
        "opening_yen": v.opening,
        "weeks": [
            {
                "week": w.index,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "opening_yen": w.opening,
                "receipts_yen": w.receipts,
                "payments_yen": w.payments,
                "closing_yen": w.closing,
                "by_kind_yen": dict(w.by_kind),
            }
            for w in f.weeks
        ],
        "shortfall": None
        if s is None
        else {
            "week": s.week,
            "start": s.start.isoformat(),
            "lowest_yen": s.amount,
            "lowest_week": s.lowest_week,
        },
        "recurring": [
            {"kind": r.kind, "amount_yen": r.amount, "day": r.day, "months_seen": r.months_seen}
            for r in v.plan.recurring
        ],
        "grace_period_ends": [
            {
                "loan": g.loan,
                "first_principal_on": g.first_principal_on.isoformat(),
                "monthly_principal_yen": g.monthly_principal,
            }
            for g in v.grace
        ],
        "missing_categories": list(v.missing),
        "outlook_12_months": [
            {
                "month": f"{o.year:04d}-{o.month:02d}",
                "opening_yen": o.opening,
                "operating_yen": o.operating,
                "principal_yen": o.principal,
                "closing_yen": o.closing,
            }
            for o in v.outlook
        ],
    }


@app.command("cash")
def cash(
    business: Annotated[int, typer.Option("--business", help="事業者 ID")],
    login: Annotated[str, typer.Option("--as", help="この利用者として読む(同意と監査)")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="基準日 YYYY-MM-DD(既定: 最新の入出金の日)")
    ] = None,
    as_json_out: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """13週間の資金繰り予測を表示する(口座の残高・入出金、売掛金・買掛金、返済予定から)。"""
    try:
        on = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail("--as-of は YYYY-MM-DD で指定してください")
        return
    actor = actor_for(login)
    try:
        with store().session() as s:
            view = read_cash_forecast(s, actor, business, as_of=on)
    except NotFound:
        checkpoint_audit()
        fail(f"事業者 {business} が見つからないか、口座の情報を見る同意がありません")
        return
    checkpoint_audit()
    if view is None:
        fail(f"事業者 {business} には残高の分かる入出金明細がありません")
        return
    if as_json_out:
        typer.echo(json.dumps(as_json(view), ensure_ascii=False, indent=2))
        return
    f = view.plan.forecast
    _console.print(
        f"{view.business_name} の資金繰り予測(13週間、{view.as_of.year}年{_jp(view.as_of)}時点の"
        f"口座残高 {format_yen(view.opening)} から)"
    )
    t = Table()
    for col, right in (
        ("週", True),
        ("期間", False),
        ("入金", True),
        ("出金", True),
        ("週末の残高", True),
    ):
        t.add_column(col, justify="right" if right else "left")
    for w in f.weeks:
        t.add_row(
            str(w.index),
            f"{_jp(w.start)}〜{_jp(w.end)}",
            format_yen(w.receipts),
            format_yen(-w.payments),
            format_yen(w.closing),
        )
    _console.print(t)
    short = f.shortfall
    if short is None:
        _console.print(f"13週間の最低残高は {format_yen(f.lowest)} で、資金不足は見込まれません。")
    else:
        _console.print(
            f"第{short.week}週({_jp(short.start)}〜)に残高がマイナスになる見込みです。"
            f"最も不足するのは第{short.lowest_week}週で {format_yen(-short.amount)} の不足です。"
        )
    for r in view.plan.recurring:
        _console.print(
            f"毎月 {r.day} 日ごろ: {KIND_JA.get(r.kind, r.kind)} {format_yen(abs(r.amount))}"
            f"(直近 {r.months_seen} か月の実績から)"
        )
    for g in view.grace:
        _console.print(
            f"据置期間終了: 融資 {g.loan} は {format_month(g.first_principal_on, 'ja')} から"
            f"元金返済 月 {format_yen(g.monthly_principal)} が始まります。"
        )
    if view.outlook:
        o = Table(title="12か月の見通し(試算表の直近12か月の経常利益 ÷ 12 − 返済予定の元金)")
        for col in ("月", "月初の現預金", "経常利益(月)", "元金返済", "月末の現預金"):
            o.add_column(col, justify="left" if col == "月" else "right")
        for m in view.outlook:
            o.add_row(
                f"{m.year}年{m.month}月",
                format_yen(m.opening),
                format_yen(m.operating),
                format_yen(m.principal),
                format_yen(m.closing),
            )
        _console.print(o)
    for c in view.missing:
        _console.print(
            f"{CATEGORY_JA.get(c, c)}を見る同意がないため、その分は予測に含めていません。"
        )


@app.command("grace")
def grace(
    login: Annotated[str, typer.Option("--as", help="この利用者として読む(同意と監査)")],
    months: Annotated[int, typer.Option("--months", min=1, max=60, help="何か月先までか")] = 12,
    today: Annotated[
        str | None, typer.Option("--today", help="基準日 YYYY-MM-DD(既定: 今日)")
    ] = None,
    as_json_out: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """据置期間が終わり元金返済が始まる事業者の一覧(資金の手当ての見込みつき)。"""
    try:
        on = date.fromisoformat(today) if today else None
    except ValueError:
        fail("--today は YYYY-MM-DD で指定してください")
        return
    actor = actor_for(login)
    with store().session() as s:
        rows = list_grace_ends(s, actor, today=on, within_months=months)
    checkpoint_audit()
    if as_json_out:
        typer.echo(
            json.dumps(
                [
                    {
                        "business_id": r.business_id,
                        "business_name": r.business_name,
                        "loans": [
                            {
                                "loan": g.loan,
                                "first_principal_on": g.first_principal_on.isoformat(),
                                "monthly_principal_yen": g.monthly_principal,
                            }
                            for g in r.loans
                        ],
                        "monthly_principal_yen": r.monthly_principal,
                        "bank_balance_yen": r.bank_balance,
                        "months_covered": r.months_covered,
                        "lowest_13w_yen": r.lowest_13w,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not rows:
        _console.print(f"{months} か月以内に据置期間が終わる融資はありません。")
        return
    t = Table(title=f"{months} か月以内に据置期間が終わる事業者")
    for col, right in (
        ("事業者", False),
        ("元金返済の開始", False),
        ("元金(月)", True),
        ("口座残高", True),
        ("残高で払える月数", True),
        ("13週の最低残高", True),
    ):
        t.add_column(col, justify="right" if right else "left")
    for r in rows:
        first = min(g.first_principal_on for g in r.loans)
        t.add_row(
            f"{r.business_name}({r.business_id})",
            f"{first.year}年{_jp(first)}",
            format_yen(r.monthly_principal),
            "—" if r.bank_balance is None else format_yen(r.bank_balance),
            "—" if r.months_covered is None else f"{r.months_covered} か月",
            "—" if r.lowest_13w is None else format_yen(r.lowest_13w),
        )
    _console.print(t)
