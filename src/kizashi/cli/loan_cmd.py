"""``kizashi loan add|import|list|close`` and ``kizashi credit-event add|import|list``.

Entered by an officer of the lender or the guarantor (``--as LOGIN``); read back under the
``loans`` category. Imports store every row of the file or none, and print each problem with
its file, line and column (docs/formats.md "借入・保証・信用事象"). Output is Japanese.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access.loans import party_loan
from kizashi.access.reads import LoanBook, read_loans
from kizashi.actions.loans import (
    LoanInput,
    LoanRefused,
    do_add_loan,
    do_close_loan,
    do_import_credit_events,
    do_import_loans,
    do_import_schedule,
    do_record_credit_event,
)
from kizashi.domain.vocabulary import Purpose
from kizashi.ingest.loans import KIND_WORDS, LoanFileError
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation

from .app import app
from .context import actor_for, console, fail, store

loan_app = typer.Typer(help="借入・保証の登録と一覧 (loans and guarantees).", no_args_is_help=True)
event_app = typer.Typer(
    help="信用事象の登録と一覧 (延滞・条件変更・事故報告・代位弁済).", no_args_is_help=True
)
app.add_typer(loan_app, name="loan")
app.add_typer(event_app, name="credit-event")

KIND_JA = {v: k for k, v in KIND_WORDS.items() if not k.isascii()}
AsUser = Annotated[str, typer.Option("--as", help="Act as this user (login)")]


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: 日付は YYYY-MM-DD の形で指定してください ({text!r})")
        raise  # unreachable


def _org(s: Session, code: str | None, option: str) -> int | None:
    if code is None:
        return None
    found = s.execute(select(Organisation.id).where(Organisation.code == code)).scalar_one_or_none()
    if found is None:
        fail(f"{option}: 組織コード {code!r} は見つかりません")
    return found


def _file_failed(exc: LoanFileError) -> None:
    for line in exc.lines():
        console.print(escape(line))
    fail(f"{len(exc.problems)} 件の問題があるため、何も登録していません")


def _refused(exc: Exception) -> None:
    if isinstance(exc, NotFound):
        fail("見つからないか、登録・閲覧できません")
    if isinstance(exc, PermissionError):
        fail("融資を登録・変更できるのは貸付金融機関か保証協会の担当者だけです")
    if isinstance(exc, LoanRefused):  # Japanese, whole ("延滞日数 (1 以上)" keeps its brackets)
        fail(str(exc))
    fail(str(exc).split(" (")[0])


@loan_app.command("add")
def loan_add(
    business: Annotated[int, typer.Option(help="事業者ID")],
    number: Annotated[str, typer.Option(help="融資番号")],
    lender: Annotated[str, typer.Option(help="貸付金融機関の組織コード")],
    amount: Annotated[int, typer.Option(help="当初金額 (円)")],
    balance: Annotated[int, typer.Option(help="残高 (円)")],
    rate: Annotated[str, typer.Option(help="金利 (年%、例 1.25)")],
    start: Annotated[str, typer.Option(help="実行日 YYYY-MM-DD")],
    maturity: Annotated[str, typer.Option(help="最終期限 YYYY-MM-DD")],
    as_: AsUser,
    as_of: Annotated[str | None, typer.Option(help="残高基準日 (既定: 今日)")] = None,
    guarantor: Annotated[str | None, typer.Option(help="保証協会の組織コード")] = None,
    guarantee_number: Annotated[str | None, typer.Option(help="保証番号")] = None,
    ratio: Annotated[int, typer.Option(help="保証割合 0・80(責任共有)・100")] = 0,
    grace_end: Annotated[str | None, typer.Option(help="据置期間終了日")] = None,
) -> None:
    """融資 (と保証) を1件登録する (add one loan and its guarantee)."""
    try:
        bp = Decimal(rate) * 100
    except InvalidOperation:
        fail(f"--rate: 年利(%)として読めません ({rate!r})")
        return
    if bp != bp.to_integral_value():
        fail("--rate: 年利は小数第2位までです")
    actor = actor_for(as_)
    try:
        with store().session() as s:
            loan = do_add_loan(
                s,
                actor,
                LoanInput(
                    business_id=business,
                    lender_org_id=_org(s, lender, "--lender") or 0,
                    guarantor_org_id=_org(s, guarantor, "--guarantor"),
                    loan_number=number,
                    original_amount=amount,
                    balance=balance,
                    balance_as_of=_day(as_of, "--as-of") or date.today(),
                    guarantee_ratio_pct=ratio,
                    interest_rate_bp=int(bp),
                    start_date=_day(start, "--start") or date.today(),
                    maturity_date=_day(maturity, "--maturity") or date.today(),
                    grace_end_date=_day(grace_end, "--grace-end"),
                    guarantee_number=guarantee_number,
                ),
            )
            console.print(escape(f"融資 {loan.id} (融資番号 {number}) を登録しました"))
    except (NotFound, PermissionError, ValueError) as exc:
        _refused(exc)


@loan_app.command("import")
def loan_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV")],
    as_: AsUser,
    schedule: Annotated[
        bool, typer.Option("--schedule", help="返済予定のファイル (repayment schedule)")
    ] = False,
) -> None:
    """融資または返済予定の CSV を取り込む: 全行か、何も登録しないか (all rows or none)."""
    actor = actor_for(as_)
    try:
        with store().session() as s:
            if schedule:
                rows = do_import_schedule(s, actor, file.read_bytes(), file.name)
                console.print(f"返済予定 {len(rows)} 件を登録しました")
            else:
                loans = do_import_loans(s, actor, file.read_bytes(), file.name)
                console.print(f"融資 {len(loans)} 件を登録しました")
    except LoanFileError as exc:
        _file_failed(exc)
    except (NotFound, PermissionError, ValueError) as exc:
        _refused(exc)


def _book(business: int, as_: str, purpose: Purpose) -> LoanBook:
    try:
        with store().session() as s:
            return read_loans(s, actor_for(as_), business, purpose=purpose)
    except NotFound:
        fail("事業者が見つからないか、借入・保証の閲覧が認められていません")
        raise


@loan_app.command("list")
def loan_list(
    business: Annotated[int, typer.Option(help="事業者ID")],
    as_: AsUser,
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """事業者の借入・保証と信用事象を表示する (loans under the 借入・保証 consent)."""
    book = _book(business, as_, purpose)
    if as_json:
        body = [asdict(x) | {"paid_off": x.paid_off} for x in book.loans]
        console.print_json(json.dumps(body, ensure_ascii=False, default=str))
        return
    if not book.loans:
        console.print("閲覧できる融資はありません")
    for x in book.loans:
        state = (
            f"完済 ({x.paid_off_on})"
            if x.paid_off
            else f"残高 {x.balance:,} 円 ({x.balance_as_of})"
        )
        guarantee = (
            f" · 保証 {x.guarantor_name} {x.guarantee_ratio_pct}%"
            + (" 責任共有" if x.guarantee_ratio_pct == 80 else "")
            + (f" 保証番号 {x.guarantee_number}" if x.guarantee_number else "")
            if x.guarantor_name and x.guarantee_ratio_pct
            else ""
        )
        grace = f" · 据置期間終了 {x.grace_end_date}" if x.grace_end_date else ""
        console.print(
            escape(
                f"#{x.id} {x.loan_number} {x.lender_name} 当初 {x.original_amount:,} 円 · {state}"
                f" · 年 {x.interest_rate_bp / 100:.2f}% · {x.start_date}〜{x.maturity_date}"
                f"{grace}{guarantee}"
            )
        )
        for e in x.events:
            days = f" {e.days_past_due} 日" if e.days_past_due else ""
            console.print(escape(f"    {e.occurred_on} {KIND_JA[e.kind]}{days} {e.note or ''}"))


@loan_app.command("close")
def loan_close(
    loan_id: Annotated[int, typer.Argument(help="融資ID")],
    as_: AsUser,
    on: Annotated[str | None, typer.Option(help="完済日 YYYY-MM-DD (既定: 今日)")] = None,
) -> None:
    """融資を完済にする (mark a loan paid off: balance 0)."""
    try:
        with store().session() as s:
            loan = do_close_loan(
                s, actor_for(as_), loan_id=loan_id, paid_off_on=_day(on, "--on") or date.today()
            )
            console.print(escape(f"融資 {loan.loan_number} を完済 ({loan.paid_off_on}) にしました"))
    except (NotFound, PermissionError, ValueError) as exc:
        _refused(exc)


@event_app.command("add")
def event_add(
    kind: Annotated[str, typer.Argument(help="延滞 | 条件変更 | 事故報告 | 代位弁済")],
    on: Annotated[str, typer.Option(help="発生日 YYYY-MM-DD")],
    as_: AsUser,
    loan: Annotated[int | None, typer.Option(help="融資ID")] = None,
    business: Annotated[int | None, typer.Option(help="事業者ID (融資によらない事象)")] = None,
    days: Annotated[int | None, typer.Option(help="延滞日数")] = None,
    note: Annotated[str | None, typer.Option(help="メモ")] = None,
) -> None:
    """信用事象を1件登録する (record one credit event)."""
    what = KIND_WORDS.get(kind)
    if what is None:
        fail("種別は 延滞・条件変更・事故報告・代位弁済 のいずれかです")
        return
    if (loan is None) == (business is None):
        fail("--loan か --business のどちらか一方を指定してください")
    try:
        with store().session() as s:
            actor = actor_for(as_)
            target = None
            if loan is not None:
                target = party_loan(s, actor, loan)
            ev = do_record_credit_event(
                s,
                actor,
                loan=target,
                business_id=business,
                kind=what,
                occurred_on=_day(on, "--on") or date.today(),
                days_past_due=days,
                note=note,
            )
            console.print(escape(f"信用事象 {ev.id} ({KIND_JA[what]}) を登録しました"))
    except (NotFound, PermissionError, ValueError) as exc:
        _refused(exc)


@event_app.command("import")
def event_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV")],
    as_: AsUser,
) -> None:
    """信用事象の CSV を取り込む: 全行か、何も登録しないか (all rows or none)."""
    try:
        with store().session() as s:
            events = do_import_credit_events(s, actor_for(as_), file.read_bytes(), file.name)
            console.print(f"信用事象 {len(events)} 件を登録しました")
    except LoanFileError as exc:
        _file_failed(exc)
    except (NotFound, PermissionError, ValueError) as exc:
        _refused(exc)


@event_app.command("list")
def event_list(
    business: Annotated[int, typer.Option(help="事業者ID")],
    as_: AsUser,
    purpose: Annotated[Purpose, typer.Option(help="Purpose")] = Purpose.MONITORING,
) -> None:
    """事業者の信用事象を表示する (credit events under the 借入・保証 consent)."""
    book = _book(business, as_, purpose)
    rows = [(x.loan_number, e) for x in book.loans for e in x.events]
    rows += [("—", e) for e in book.other_events]
    if not rows:
        console.print("閲覧できる信用事象はありません")
    for number, e in sorted(rows, key=lambda r: (r[1].occurred_on, r[1].id)):
        days = f" {e.days_past_due} 日" if e.days_past_due else ""
        console.print(
            escape(f"{e.occurred_on} {KIND_JA[e.kind]}{days} 融資番号 {number} {e.note or ''}")
        )
