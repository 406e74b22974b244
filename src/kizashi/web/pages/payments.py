"""入金消込 page: which bank movements paid which invoices of a business, and a button to match
again.

Read through ``access.matching`` (consent for both 請求書 and 口座; a refusal is the 404 page,
audited). Matching again (``actions.matching.do_match_payments``) is offered to whoever may
submit the business's 請求書; it posts here and redirects back with the counts.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kizashi.access.matching import list_payment_matches
from kizashi.access.reads import read_business_profile
from kizashi.actions.matching import do_match_payments
from kizashi.store.errors import NotFound

from ..deps import CurrentUserDep, PagePurpose, StoreDep, TranslatorDep
from ..i18n import N_
from ..state import render

router = APIRouter(include_in_schema=False)
RULES = {
    "exact": N_("Amount agrees"),
    "fee": N_("Transfer fee deducted"),
    "combined": N_("Several invoices in one payment"),
    "partial": N_("Part payment"),
}


@router.get("/businesses/{business_id}/payments")
def payments_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    t: TranslatorDep,
    purpose: PagePurpose,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        rows = list_payment_matches(s, user.actor, business_id, purpose=purpose.purpose)
        try:
            name = read_business_profile(s, user.actor, business_id).name
        except NotFound:
            name = None
    q = request.query_params
    done = None
    if q.get("done") == "matched":
        done = t.gettext(
            "Matched again: {paid} invoices paid, {partly} partly paid.",
            paid=q.get("paid", "0"),
            partly=q.get("partly", "0"),
        )
    return render(
        request,
        "payments.html",
        {
            "b_id": business_id,
            "b_name": name,
            "rows": rows,
            "rules": {k: t.gettext(v) for k, v in RULES.items()},
            "done": done,
        },
    )


@router.post("/businesses/{business_id}/payments/match")
def match_again(business_id: int, user: CurrentUserDep, store: StoreDep) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        out = do_match_payments(s, user.actor, business_id)
    query = urlencode(
        {"done": "matched", "paid": out.invoices_paid, "partly": out.invoices_partly_paid}
    )
    return RedirectResponse(f"/businesses/{business_id}/payments?{query}", status_code=303)
