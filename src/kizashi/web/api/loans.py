"""Loans, guarantees, repayment schedules and credit events in the JSON API: entry and import.

Written by an officer of the lender or the guarantor (``actions.loans``); read back with
``GET /api/v1/businesses/{id}/loans`` (category ``loans``). A CSV import stores every row or
none: its problems come back as 422 with ``loc`` = ``["file", line, column header]``. A
business or loan that is missing and one the user may not use give the same 404; a refusal by
the rules of a loan (a duplicate number, a guarantee without its 保証協会, …) is 409.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, File, Form, HTTPException, Path, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access.loans import party_loan
from kizashi.actions.loans import (
    LoanInput,
    do_add_loan,
    do_close_loan,
    do_import_credit_events,
    do_import_loans,
    do_import_schedule,
    do_record_credit_event,
)
from kizashi.domain.vocabulary import CreditEventKind
from kizashi.ingest.loans import LoanFileError
from kizashi.store.models import Organisation

from ..deps import CurrentUserDep, StoreDep
from .contract import MAX_ID, NO_NUL, NON_BLANK, WRITE, ApiRoute, BusinessId, IsoDate, errors


def _no_bool(value: object) -> object:
    """JSON ``true``/``false`` are not numbers (pydantic's lax int would take them as 1/0);
    ``5.0`` is (JSON Schema's integer), and becomes 5."""
    if isinstance(value, bool):
        raise ValueError("not an integer")
    return value


router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
NOT_VISIBLE = "No such business or loan, or not yours to enter"
MAX_FILE = 5 * 1024 * 1024
LoanId = Annotated[int, Path(ge=1, le=MAX_ID, description="The loan's id", examples=[1])]
Yen = Annotated[int, Field(ge=0, le=10**15 - 1), BeforeValidator(_no_bool)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=NON_BLANK)]


class LoanIn(BaseModel):
    loan_number: str = Field(max_length=40, pattern=NON_BLANK, description="融資番号")
    lender_code: Code = Field(description="The lending bank's organisation code")
    guarantor_code: Code | None = Field(None, description="The 信用保証協会's organisation code")
    guarantee_number: str | None = Field(
        None, max_length=40, pattern=NO_NUL, description="保証番号"
    )
    guarantee_ratio_pct: Literal[0, 80, 100] = Field(0, description="80: 責任共有制度")
    original_amount: Yen
    balance: Yen
    balance_as_of: IsoDate
    interest_rate_bp: Annotated[int, Field(ge=0, le=9999), BeforeValidator(_no_bool)] = Field(
        description="Annual rate in basis points"
    )
    start_date: IsoDate
    grace_end_date: IsoDate | None = Field(None, description="据置期間の終了")
    maturity_date: IsoDate


class LoanCreated(BaseModel):
    id: int
    business_id: int
    loan_number: str
    paid_off_on: IsoDate | None


class CloseIn(BaseModel):
    paid_off_on: IsoDate = Field(description="完済日")


class CreditEventIn(BaseModel):
    kind: CreditEventKind = Field(
        description="delinquency (延滞) | restructuring (条件変更) | accident_report (事故報告) "
        "| subrogation (代位弁済)"
    )
    occurred_on: IsoDate
    loan_id: Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_no_bool)] | None = Field(
        None, description="null: the business as a whole"
    )
    days_past_due: Annotated[int, Field(ge=0, le=100_000), BeforeValidator(_no_bool)] | None = (
        Field(None, description="延滞: required, ≥ 1")
    )
    note: str | None = Field(None, max_length=2000, pattern=NO_NUL)


class CreditEventCreated(BaseModel):
    id: int
    business_id: int
    loan_id: int | None
    kind: CreditEventKind


class ImportOut(BaseModel):
    stored: int = Field(description="Rows stored (every row of the file)")


def _org_id(s: Session, code: str | None) -> int | None:
    if code is None:
        return None
    found = s.execute(select(Organisation.id).where(Organisation.code == code)).scalar_one_or_none()
    if found is None:
        raise ValueError(f"組織コード {code} は見つかりません")
    return int(found)


def _conflict(exc: Exception) -> HTTPException:
    if isinstance(exc, PermissionError):
        return HTTPException(403, str(exc))
    return HTTPException(409, str(exc))


def _file_problems(exc: LoanFileError) -> RequestValidationError:
    return RequestValidationError(
        [
            {"loc": ("file", p.line, p.column), "msg": p.message, "type": "value_error"}
            for p in exc.problems
        ]
    )


def _read(file: UploadFile) -> tuple[bytes, str]:
    data = file.file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise HTTPException(413, "file too large")
    return data, file.filename or "upload.csv"


@router.post(
    "/businesses/{business_id}/loans",
    response_model=LoanCreated,
    status_code=201,
    summary="Enter one loan and its guarantee (lender or guarantor)",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409="Refused by the loan's rules"),
)
def post_loan(
    business_id: BusinessId,
    body: Annotated[LoanIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> LoanCreated:
    try:
        with store.session() as s:
            data = LoanInput(
                business_id=business_id,
                lender_org_id=_org_id(s, body.lender_code) or 0,
                guarantor_org_id=_org_id(s, body.guarantor_code),
                loan_number=body.loan_number.strip(),
                original_amount=body.original_amount,
                balance=body.balance,
                balance_as_of=body.balance_as_of,
                guarantee_ratio_pct=body.guarantee_ratio_pct,
                interest_rate_bp=body.interest_rate_bp,
                start_date=body.start_date,
                maturity_date=body.maturity_date,
                grace_end_date=body.grace_end_date,
                guarantee_number=body.guarantee_number,
            )
            loan = do_add_loan(s, user.actor, data)
            return LoanCreated(
                id=loan.id,
                business_id=loan.business_id,
                loan_number=loan.loan_number,
                paid_off_on=loan.paid_off_on,
            )
    except (PermissionError, ValueError) as exc:
        raise _conflict(exc) from None


@router.post(
    "/loans/{loan_id}/close",
    response_model=LoanCreated,
    summary="Mark a loan paid off (完済): balance 0",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409="Already paid off, or too early"),
)
def post_close_loan(
    loan_id: LoanId, body: Annotated[CloseIn, Body()], user: CurrentUserDep, store: StoreDep
) -> LoanCreated:
    try:
        with store.session() as s:
            loan = do_close_loan(s, user.actor, loan_id=loan_id, paid_off_on=body.paid_off_on)
            return LoanCreated(
                id=loan.id,
                business_id=loan.business_id,
                loan_number=loan.loan_number,
                paid_off_on=loan.paid_off_on,
            )
    except (PermissionError, ValueError) as exc:
        raise _conflict(exc) from None


@router.post(
    "/businesses/{business_id}/credit-events",
    response_model=CreditEventCreated,
    status_code=201,
    summary="Record a credit event: 延滞 (with days), 条件変更, 事故報告, 代位弁済",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409="Refused by the event's rules"),
)
def post_credit_event(
    business_id: BusinessId,
    body: Annotated[CreditEventIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> CreditEventCreated:
    try:
        with store.session() as s:
            loan = None
            if body.loan_id is not None:
                loan = party_loan(s, user.actor, body.loan_id, business_id=business_id)
            ev = do_record_credit_event(
                s,
                user.actor,
                loan=loan,
                business_id=business_id,
                kind=body.kind,
                occurred_on=body.occurred_on,
                days_past_due=body.days_past_due,
                note=body.note,
            )
            return CreditEventCreated(
                id=ev.id, business_id=ev.business_id, loan_id=ev.loan_id, kind=ev.kind
            )
    except PermissionError as exc:
        # not the loan's lender or guarantor: the same answer as a loan that does not exist
        raise HTTPException(404, NOT_VISIBLE) from exc
    except ValueError as exc:
        raise _conflict(exc) from None


@router.post(
    "/loans/import",
    response_model=ImportOut,
    status_code=201,
    summary="Import loans or a repayment schedule (CSV, Japanese headers): all rows or none",
    responses=errors(*WRITE, s422="The file's problems, loc = [file, line, column]"),
)
def post_loan_import(
    user: CurrentUserDep,
    store: StoreDep,
    file: UploadFile = File(..., description="CSV (UTF-8 or CP932), docs/formats.md"),
    kind: Literal["loans", "schedule"] = Form("loans", description="loans | schedule"),
) -> ImportOut:
    data, name = _read(file)
    try:
        with store.session() as s:
            if kind == "schedule":
                return ImportOut(stored=len(do_import_schedule(s, user.actor, data, name)))
            return ImportOut(stored=len(do_import_loans(s, user.actor, data, name)))
    except LoanFileError as exc:
        raise _file_problems(exc) from None
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None


@router.post(
    "/credit-events/import",
    response_model=ImportOut,
    status_code=201,
    summary="Import credit events (CSV, Japanese headers): all rows or none",
    responses=errors(*WRITE, s422="The file's problems, loc = [file, line, column]"),
)
def post_credit_event_import(
    user: CurrentUserDep,
    store: StoreDep,
    file: UploadFile = File(..., description="CSV (UTF-8 or CP932), docs/formats.md"),
) -> ImportOut:
    data, name = _read(file)
    try:
        with store.session() as s:
            return ImportOut(stored=len(do_import_credit_events(s, user.actor, data, name)))
    except LoanFileError as exc:
        raise _file_problems(exc) from None
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
