"""Interest-rate stress and grace-period ends as pages (issue 14), linked from the portfolio and
the business page:

* ``GET /portfolio/stress`` — new 経常赤字 at +0.25, +0.5, +1 and +2 pt over the businesses whose
  financials the user may read, with the businesses named;
* ``GET /businesses/{id}/stress`` — one business: 12-month 経常利益, the debt that reprices and
  the profit after each step (the 404 page when not allowed, audited);
* ``GET /portfolio/grace`` — businesses whose 据置期間 ends within N months, with the principal
  that starts and the projected coverage.

The choices (month, basis, floating share) come from a GET form; a value that is not one of
them is said on the page (422), in the page's language, and nothing is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kizashi.access.cash import list_grace_ends
from kizashi.access.stress import read_business_stress, read_portfolio_stress
from kizashi.domain.periods import parse_month
from kizashi.engine.exec.stress import BASES

from ..deps import CurrentUserDep, PagePurpose, SettingsDep, StoreDep
from ..i18n import N_
from ..state import render, translator

router = APIRouter(include_in_schema=False)
BASIS_LABELS = {
    "all": N_("every borrowing in the books"),
    "repricing": N_("what reprices within a year (short-term, current portion, floating share)"),
}


@dataclass(frozen=True)
class Choices:
    month: date | None
    month_text: str
    basis: str
    share_pct: int  # the floating share of long-term borrowings, whole percent
    error: str | None


def _choices(request: Request) -> Choices:
    q = request.query_params
    t = translator(request)
    month_text = (q.get("month") or "").strip()
    basis = q.get("basis") or "all"
    share_text = (q.get("floating_share_pct") or "30").strip()
    error = None
    month = None
    if month_text:
        try:
            month = parse_month(month_text)
        except ValueError:
            error = t.gettext("The month must be written YYYY-MM.")
    if basis not in BASES:
        error, basis = t.gettext("Choose which borrowings the rate applies to."), "all"
    share = 30
    if not share_text.isdigit() or not 0 <= int(share_text) <= 100:
        error = t.gettext("The floating share is a whole percent from 0 to 100.")
    else:
        share = int(share_text)
    return Choices(month, month_text, basis, share, error)


@router.get("/portfolio/stress")
def portfolio_stress_page(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    purpose: PagePurpose,
) -> Response:
    c = _choices(request)
    view = None
    if c.error is None:
        with store.session() as s:
            view = read_portfolio_stress(
                s,
                user.actor,
                settings.data_dir,
                purpose=purpose.purpose,
                month=c.month,
                basis=c.basis,
                floating_share=c.share_pct / 100,
            )
    return render(
        request,
        "stress_portfolio.html",
        {"v": view, "c": c, "bases": BASIS_LABELS},
        status_code=422 if c.error else 200,
    )


@router.get("/businesses/{business_id}/stress")
def business_stress_page(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    purpose: PagePurpose,
) -> Response:
    c = _choices(request)
    with store.session() as s:  # NotFound → the 404 page, audited
        view = read_business_stress(
            s,
            user.actor,
            settings.data_dir,
            business_id,
            purpose=purpose.purpose,
            month=c.month if c.error is None else None,
            basis=c.basis,
            floating_share=c.share_pct / 100,
        )
    return render(
        request,
        "stress_business.html",
        {
            "v": view if c.error is None else None,
            "b_name": view.business_name,
            "b_id": business_id,
            "c": c,
            "bases": BASIS_LABELS,
        },
        status_code=422 if c.error else 200,
    )


@router.get("/portfolio/grace")
def grace_page(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
) -> Response:
    t = translator(request)
    text = (request.query_params.get("months") or "12").strip()
    error = None
    months = 12
    if not text.isdigit() or not 1 <= int(text) <= 60:
        error = t.gettext("The number of months is a whole number from 1 to 60.")
    else:
        months = int(text)
    rows = []
    if error is None:
        with store.session() as s:
            rows = list_grace_ends(s, user.actor, purpose=purpose.purpose, within_months=months)
    return render(
        request,
        "grace.html",
        {"rows": rows, "months": months, "months_text": text, "error": error},
        status_code=422 if error else 200,
    )
