"""Money that moved in the JSON API: bank statements, e-invoices and receivable/payable schedules.

* ``POST /api/v1/businesses/{id}/money-files`` (multipart): one ``file`` (全銀 03/01/21,
  internet-banking CSV/xlsx, JP PINT / Peppol BIS 3 UBL, 中小企業共通EDI, a receivable or
  payable schedule) and the options of ``kizashi ingest``; answers with the outcome as
  ``kizashi ingest --json`` prints it — 201 stored; 200 duplicate or dry run; 422 when the file
  has errors (nothing stored); 413 over ``max_upload_bytes``; 404 for a business that is missing
  or that the user may not submit this category for (口座 for bank files, 請求書 for invoices
  and schedules; the denial is audited).
* ``GET /api/v1/businesses/{id}/bank-transactions``, ``…/invoices``, ``…/open-items``: what is
  stored, read under consent (口座 or 請求書) for the purpose asked.
"""

from __future__ import annotations

import typing
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from kizashi.access.money import list_bank_transactions, list_invoices, list_open_items
from kizashi.actions.bank import MoneyOutcome, do_import_money, load_money_preset, money_format_of
from kizashi.domain.vocabulary import Purpose
from kizashi.ingest.errors import IngestError
from kizashi.ingest.money import MoneyOptions

from ..deps import CurrentUserDep, SettingsDep, StoreDep
from .contract import (
    MAX_OFFSET,
    NON_BLANK,
    READ,
    WRITE,
    ApiRoute,
    BusinessId,
    IsoDate,
    ValidationErrorOut,
    errors,
    invalid,
)
from .uploads import read_uploads

router = APIRouter(prefix="/api/v1", tags=["money"], route_class=ApiRoute)
NOT_FOUND = "No such business, or this user may not submit or read this data"
MoneyFormat = Literal["auto", "zengin", "netbank_csv", "ubl_invoice", "sme_edi", "open_items"]


class MoneyOutcomeOut(BaseModel):
    business_id: int
    filename: str
    format: str | None
    kind: str | None = Field(description="bank, planned_payments, invoices or open_items")
    reason: str = Field(description="stored, duplicate, errors or dry_run")
    stored: bool
    duplicate: bool
    dry_run: bool
    submission_id: int | None
    raw_sha256: str | None
    added: dict[str, int] = Field(description="Rows added per table")
    skipped: dict[str, int] = Field(description="Rows already stored (overlapping files)")
    replaced: dict[str, int] = Field(description="Open items replaced by this schedule")
    directions: list[str] = Field(description="Per invoice: issued or received")
    matched: dict[str, Any] | None = Field(
        None, description="Invoices matched to payments after this import (see payment-matches)"
    )
    issues: list[dict[str, Any]] = Field(description="Errors and warnings with file, line, field")


class TransactionOut(BaseModel):
    id: int
    account_id: int
    account: str
    booked_on: date
    amount_yen: int = Field(description="+ money in, − money out")
    balance_yen: int | None
    counterparty: str
    description: str
    kind: str


class TransactionList(BaseModel):
    business_id: int
    total: int
    items: list[TransactionOut]


class InvoiceOut(BaseModel):
    id: int
    direction: str
    invoice_number: str
    counterparty: str
    registration_number: str | None
    issue_date: date
    due_date: date | None
    total_yen: int
    tax_yen: int
    credit_note: bool
    paid: bool = Field(description="Settled in full by matched payments (payment-matches)")
    settled_yen: int = Field(description="Applied by matched payments plus fees payers deducted")


class InvoiceList(BaseModel):
    business_id: int
    total: int
    items: list[InvoiceOut]


class OpenItemOut(BaseModel):
    id: int
    side: str
    source: str
    counterparty: str
    amount_yen: int
    due_date: date | None
    as_of: date | None


class OpenItemList(BaseModel):
    business_id: int
    items: list[OpenItemOut]


@router.post(
    "/businesses/{business_id}/money-files",
    response_model=MoneyOutcomeOut,
    status_code=201,
    summary="Upload a bank statement, e-invoice or receivable/payable schedule (multipart)",
    responses={
        **errors(*WRITE, 404, s404=NOT_FOUND, s413="Over the upload size limit"),
        200: {"description": "Duplicate or dry run: nothing stored"},
        422: {
            "description": "The file has errors (nothing stored), or an invalid field",
            "model": MoneyOutcomeOut | ValidationErrorOut,
        },
    },
)
async def post_money_file(
    business_id: BusinessId,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    file: UploadFile = File(..., description="One file"),
    format: MoneyFormat | None = Form(
        None,
        description="Importer name; auto to detect",
        json_schema_extra={"enum": list(typing.get_args(MoneyFormat))},
    ),
    direction: Literal["issued", "received"] | None = Form(
        None,
        description="Invoices: issued or received",
        json_schema_extra={"enum": ["issued", "received"]},
    ),
    confirm_other_party: bool = Form(False, description="Store although another holder is named"),
    side: Literal["receivable", "payable"] | None = Form(
        None,
        description="Schedules: receivable or payable",
        json_schema_extra={"enum": ["receivable", "payable"]},
    ),
    as_of: IsoDate | None = Form(
        None,
        description="Schedules: the date of the balances",
        json_schema_extra={"type": "string", "format": "date"},
    ),
    dry_run: bool = Form(False, description="Analyse, store nothing"),
    preset: str | None = Form(
        None,
        min_length=1,
        max_length=100,
        pattern=NON_BLANK,
        description="A layout your organisation saved (GET /api/v1/money-presets) naming the "
        "columns of a bank CSV or balance list kizashi does not recognise",
    ),
) -> JSONResponse:
    fmt = None if not format or format == "auto" else str(format)
    ((data, name),) = await read_uploads([file], settings.max_upload_bytes)
    if preset and fmt is None and money_format_of(data, name) is None:
        fmt = "netbank_csv"  # a layout names the columns of a file no header was found in

    def run() -> MoneyOutcome:  # parsing and storing off the event loop (a worker thread)
        with store.session() as s:
            try:
                columns = load_money_preset(s, user.actor, preset) if preset else None
            except IngestError:
                raise invalid(["body", "preset"], "no saved layout of that name") from None
            options = MoneyOptions(side=side, as_of=as_of, preset=columns)
            return do_import_money(
                s,
                user.actor,
                business_id=business_id,
                data=data,
                filename=name,
                raw_dir=settings.raw_dir,
                format=fmt,
                options=options,
                direction=direction,
                confirm_other_party=confirm_other_party,
                dry_run=dry_run,
                max_bytes=settings.max_upload_bytes,
            )

    outcome = await run_in_threadpool(run)
    body = MoneyOutcomeOut.model_validate(outcome.to_dict())
    status = 201 if outcome.stored else (422 if outcome.reason == "errors" else 200)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


@router.get(
    "/businesses/{business_id}/bank-transactions",
    response_model=TransactionList,
    summary="Bank transactions of a business, newest first (consent: 口座)",
    responses=errors(*READ, 404, s404=NOT_FOUND),
)
def get_bank_transactions(
    business_id: BusinessId,
    user: CurrentUserDep,
    store: StoreDep,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    purpose: Purpose = Purpose.MONITORING,
) -> TransactionList:
    with store.session() as s:
        total, rows = list_bank_transactions(
            s, user.actor, business_id, purpose=purpose, limit=limit, offset=offset
        )
    return TransactionList(
        business_id=business_id,
        total=total,
        items=[TransactionOut.model_validate(r, from_attributes=True) for r in rows],
    )


@router.get(
    "/businesses/{business_id}/invoices",
    response_model=InvoiceList,
    summary="Invoices issued and received, newest first (consent: 請求書)",
    responses=errors(*READ, 404, s404=NOT_FOUND),
)
def get_invoices(
    business_id: BusinessId,
    user: CurrentUserDep,
    store: StoreDep,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    purpose: Purpose = Purpose.MONITORING,
) -> InvoiceList:
    with store.session() as s:
        total, rows = list_invoices(
            s, user.actor, business_id, purpose=purpose, limit=limit, offset=offset
        )
    return InvoiceList(
        business_id=business_id,
        total=total,
        items=[InvoiceOut.model_validate(r, from_attributes=True) for r in rows],
    )


@router.get(
    "/businesses/{business_id}/open-items",
    response_model=OpenItemList,
    summary="Open receivables and payables by due date (consent: 請求書)",
    responses=errors(*READ, 404, s404=NOT_FOUND),
)
def get_open_items(
    business_id: BusinessId,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: Purpose = Purpose.MONITORING,
) -> OpenItemList:
    with store.session() as s:
        rows = list_open_items(s, user.actor, business_id, purpose=purpose)
    return OpenItemList(
        business_id=business_id,
        items=[OpenItemOut.model_validate(r, from_attributes=True) for r in rows],
    )
