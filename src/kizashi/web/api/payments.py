"""Invoices matched to payments (入金消込) in the JSON API.

* ``GET /api/v1/businesses/{id}/payment-matches?purpose=`` — which bank movement paid which
  invoice, with the amount and any transfer fee the payer deducted (``access.matching``:
  consent for both 請求書 and 口座; 404 otherwise, the denial audited).
* ``POST /api/v1/businesses/{id}/payment-matches`` — match the business's invoices and bank
  movements again (``actions.matching.do_match_payments``: whoever may submit its 請求書);
  answers with the counts. Matching also runs after every bank or invoice import.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kizashi.access.matching import list_payment_matches
from kizashi.actions.matching import do_match_payments
from kizashi.domain.vocabulary import Purpose

from ..deps import CurrentUserDep, StoreDep
from .contract import READ, WRITE, ApiRoute, BusinessId, errors

router = APIRouter(prefix="/api/v1", tags=["money"], route_class=ApiRoute)
NOT_FOUND = "No such business, or this user may not read (or submit) its invoices and bank data"


class PaymentMatchOut(BaseModel):
    invoice_id: int
    invoice_number: str
    direction: str = Field(description="issued (paid by a deposit) or received (by a payment)")
    counterparty: str
    invoice_yen: int = Field(description="The invoice's payable amount")
    due_date: date | None
    transaction_id: int
    booked_on: date
    transaction_yen: int = Field(description="The bank movement, + in, − out")
    remitter: str
    amount_yen: int = Field(description="Taken from the movement for this invoice")
    fee_yen: int = Field(description="Transfer fee the payer deducted, settled with it")
    rule: str = Field(description="exact, fee, combined or partial")


class PaymentMatchList(BaseModel):
    business_id: int
    items: list[PaymentMatchOut]


class MatchOutcomeOut(BaseModel):
    business_id: int
    allocations: int = Field(description="Movement-to-invoice rows stored")
    invoices_paid: int = Field(description="Invoices settled in full")
    invoices_partly_paid: int
    fees_yen: int = Field(description="Transfer fees deducted by payers, all invoices")
    by_rule: dict[str, int]


@router.get(
    "/businesses/{business_id}/payment-matches",
    response_model=PaymentMatchList,
    summary="Which bank movements paid which invoices (consent: 請求書 and 口座)",
    responses=errors(*READ, 404, s404=NOT_FOUND),
)
def get_payment_matches(
    business_id: BusinessId,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: Purpose = Purpose.MONITORING,
) -> PaymentMatchList:
    with store.session() as s:
        rows = list_payment_matches(s, user.actor, business_id, purpose=purpose)
    return PaymentMatchList(
        business_id=business_id,
        items=[PaymentMatchOut.model_validate(r, from_attributes=True) for r in rows],
    )


@router.post(
    "/businesses/{business_id}/payment-matches",
    response_model=MatchOutcomeOut,
    summary="Match the business's invoices to its bank movements again",
    responses=errors(*WRITE, 404, s404=NOT_FOUND),
)
def post_payment_matches(
    business_id: BusinessId, user: CurrentUserDep, store: StoreDep
) -> MatchOutcomeOut:
    with store.session() as s:
        out = do_match_payments(s, user.actor, business_id)
    return MatchOutcomeOut.model_validate(out.to_dict())
