"""借入・保証 pages: a business's loans, guarantees and credit events (read under the ``loans``
category), the lender's and the guarantor's forms to enter a loan, record a credit event and
mark a loan paid off (完済), and the CSV import of loans, repayment schedules and credit events.

Every form posts here, is carried out by ``actions.loans`` in one unit of work and redirects
back with a ``done`` code, or shows the refusal on the page. An import stores all rows or none
and lists each problem with its line and column. Reads that are refused are the 404 page
(audited), as everywhere else.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from kizashi.access.loans import party_loan
from kizashi.access.reads import read_business_profile, read_loans
from kizashi.actions.loans import (
    LoanInput,
    do_add_loan,
    do_close_loan,
    do_import_credit_events,
    do_import_loans,
    do_import_schedule,
    do_record_credit_event,
)
from kizashi.domain.vocabulary import CreditEventKind, OrgKind, Role
from kizashi.ingest.loans import LoanFileError
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation

from ..deps import CurrentUserDep, StoreDep, TranslatorDep
from ..i18n import N_
from ..refusal import refusal
from ..state import render

router = APIRouter(include_in_schema=False)
MAX_FILE = 5 * 1024 * 1024

DONE = {
    "loan": N_("The loan was recorded."),
    "closed": N_("The loan was marked as paid off."),
    "event": N_("The credit event was recorded."),
}
REFUSED = N_("The entry was refused: check the number, the amounts, the dates and the parties.")
IMPORT_KINDS = {
    "loans": N_("Loans and guarantees"),
    "schedule": N_("Repayment schedule"),
    "credit_events": N_("Credit events"),
}


def _enters_loans(user: CurrentUserDep) -> bool:
    """Officers of banks and 信用保証協会 enter loans; the forms are shown to them only."""
    return user.role == Role.OFFICER and user.org_kind in (OrgKind.BANK, OrgKind.GUARANTOR)


def _refusal(exc: Exception, t: TranslatorDep) -> str:
    """Why an entry was refused: the rules' own words in the page's language."""
    if isinstance(exc, PermissionError):
        return N_("Only an officer of the lender or the guarantor records loan data.")
    return refusal(t, exc, REFUSED)


def _error_text(t: TranslatorDep, error: str | None) -> str | None:
    """The refusal in the page's language: the actions word their reasons in Japanese, so an
    English page says what was refused without them."""
    if error is None:
        return None
    translated = t.gettext(error)
    if t.locale != "ja" and not translated.isascii():
        return t.gettext(REFUSED)
    return translated


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _page(
    request: Request,
    store: StoreDep,
    user: CurrentUserDep,
    t: TranslatorDep,
    business_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        book = read_loans(s, user.actor, business_id)
        try:
            name = read_business_profile(s, user.actor, business_id).name
        except NotFound:
            name = None
        orgs = (
            s.execute(
                select(Organisation.code, Organisation.name, Organisation.kind)
                .where(Organisation.kind.in_([OrgKind.BANK, OrgKind.GUARANTOR]))
                .order_by(Organisation.name)
            ).all()
            if _enters_loans(user)
            else []
        )
    done = request.query_params.get("done")
    return render(
        request,
        "loans.html",
        {
            "b_id": business_id,
            "b_name": name,
            "book": book,
            "may_enter": _enters_loans(user),
            "banks": [(c, n) for c, n, k in orgs if k == OrgKind.BANK],
            "guarantors": [(c, n) for c, n, k in orgs if k == OrgKind.GUARANTOR],
            "kinds": list(CreditEventKind),
            "done": t.gettext(DONE[done]) if done in DONE else None,
            "error": _error_text(t, error),
        },
        status_code=status_code,
    )


@router.get("/businesses/{business_id}/loans")
def loans_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
) -> Response:
    return _page(request, store, user, t, business_id)


def _back(business_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(
        f"/businesses/{business_id}/loans?{urlencode({'done': done})}", status_code=303
    )


@router.post("/businesses/{business_id}/loans")
def add_loan(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    loan_number: str = Form(..., max_length=40),
    lender: str = Form(..., max_length=64),
    guarantor: str = Form("", max_length=64),
    guarantee_number: str = Form("", max_length=40),
    guarantee_ratio_pct: int = Form(0),
    original_amount: int = Form(..., ge=1, le=10**15 - 1),
    balance: int = Form(..., ge=0, le=10**15 - 1),
    balance_as_of: str = Form("", max_length=10),
    interest_rate_pct: str = Form(..., max_length=8),
    start_date: str = Form(..., max_length=10),
    grace_end_date: str = Form("", max_length=10),
    maturity_date: str = Form(..., max_length=10),
) -> Response:
    start, maturity = _date(start_date), _date(maturity_date)
    try:
        bp = Decimal(interest_rate_pct) * 100
    except InvalidOperation:
        bp = Decimal("0.5")
    if start is None or maturity is None or bp != bp.to_integral_value() or bp < 0:
        return _page(
            request,
            store,
            user,
            t,
            business_id,
            error=N_("Please give the dates as YYYY-MM-DD and the rate in percent."),
            status_code=422,
        )
    try:
        with store.session() as s:
            codes = {
                c: i
                for c, i in s.execute(
                    select(Organisation.code, Organisation.id).where(
                        Organisation.code.in_([lender, guarantor])
                    )
                ).all()
            }
            do_add_loan(
                s,
                user.actor,
                LoanInput(
                    business_id=business_id,
                    lender_org_id=codes.get(lender, 0),
                    guarantor_org_id=codes.get(guarantor) if guarantor else None,
                    loan_number=loan_number.strip(),
                    original_amount=original_amount,
                    balance=balance,
                    balance_as_of=_date(balance_as_of) or date.today(),
                    guarantee_ratio_pct=guarantee_ratio_pct,
                    interest_rate_bp=int(bp),
                    start_date=start,
                    maturity_date=maturity,
                    grace_end_date=_date(grace_end_date),
                    guarantee_number=guarantee_number.strip() or None,
                ),
            )
    except (PermissionError, ValueError) as exc:
        return _page(request, store, user, t, business_id, error=_refusal(exc, t), status_code=409)
    return _back(business_id, "loan")


@router.post("/businesses/{business_id}/loans/{loan_id}/close")
def close_loan(
    request: Request,
    business_id: int,
    loan_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    paid_off_on: str = Form("", max_length=10),
) -> Response:
    try:
        with store.session() as s:
            party_loan(s, user.actor, loan_id, business_id=business_id)
            do_close_loan(
                s, user.actor, loan_id=loan_id, paid_off_on=_date(paid_off_on) or date.today()
            )
    except ValueError as exc:
        return _page(request, store, user, t, business_id, error=_refusal(exc, t), status_code=409)
    return _back(business_id, "closed")


@router.post("/businesses/{business_id}/credit-events")
def add_credit_event(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    kind: str = Form(..., max_length=32),
    occurred_on: str = Form(..., max_length=10),
    loan_id: str = Form("", max_length=12),
    days_past_due: str = Form("", max_length=6),
    note: str = Form("", max_length=2000),
) -> Response:
    when = _date(occurred_on)
    try:
        what = CreditEventKind(kind)
    except ValueError:
        what = None
    if when is None or what is None or (days_past_due and not days_past_due.isdigit()):
        return _page(
            request,
            store,
            user,
            t,
            business_id,
            error=N_("Please give the kind, the date (YYYY-MM-DD) and the days past due."),
            status_code=422,
        )
    try:
        with store.session() as s:
            loan = None
            if loan_id.isdigit():
                loan = party_loan(s, user.actor, int(loan_id), business_id=business_id)
            do_record_credit_event(
                s,
                user.actor,
                loan=loan,
                business_id=business_id,
                kind=what,
                occurred_on=when,
                days_past_due=int(days_past_due) if days_past_due else None,
                note=note,
            )
    except (PermissionError, ValueError) as exc:
        return _page(request, store, user, t, business_id, error=_refusal(exc, t), status_code=409)
    return _back(business_id, "event")


def _import_page(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(
        request, "loans_import.html", {"kinds": IMPORT_KINDS, **context}, status_code=status_code
    )


@router.get("/loans/import")
def import_form(request: Request, user: CurrentUserDep) -> Response:
    if not _enters_loans(user):
        raise NotFound("loan import")
    return _import_page(request, {})


@router.post("/loans/import")
def import_file(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    file: UploadFile = File(...),
    kind: str = Form("loans", max_length=16),
) -> Response:
    if not _enters_loans(user):
        raise NotFound("loan import")
    data = file.file.read(MAX_FILE + 1)
    name = file.filename or "upload.csv"
    if len(data) > MAX_FILE or kind not in IMPORT_KINDS:
        return _import_page(request, {"too_large": len(data) > MAX_FILE}, status_code=422)
    try:
        with store.session() as s:
            if kind == "schedule":
                stored = len(do_import_schedule(s, user.actor, data, name))
            elif kind == "credit_events":
                stored = len(do_import_credit_events(s, user.actor, data, name))
            else:
                stored = len(do_import_loans(s, user.actor, data, name))
    except LoanFileError as exc:
        return _import_page(
            request, {"problems": exc.problems, "filename": name, "kind": kind}, status_code=422
        )
    except PermissionError:
        raise NotFound("loan import") from None
    return _import_page(request, {"stored": stored, "filename": name, "kind": kind})
