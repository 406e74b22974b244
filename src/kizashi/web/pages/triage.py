"""The triage queue as a page (``GET /triage``): the month's businesses to contact first, each
proposed to a team and an officer within capacity, with the reason in words; a manager assigns or
reassigns a row to a member of their team in one click, an officer takes a row for themselves
(``POST /businesses/{id}/triage/assign``; without teams any officer assigns), each officer sees
their own assignments on top, and the same rows download as CSV or
.xlsx (``GET /triage/export.csv``, ``/triage/export.xlsx``: the month chosen on the page).
Administrators set officers' capacities on the users page (``POST /admin/users/{id}/capacity``).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizashi.access.risk_admin import default_pct
from kizashi.access.triage import read_triage_queue
from kizashi.actions.triage import CapacityFull, do_assign_triage, do_set_capacity
from kizashi.domain.vocabulary import Role

from ..deps import CurrentUserDep, PagePurpose, SettingsDep, StoreDep, TranslatorDep
from ..i18n import N_
from ..state import render
from ..tabular import CSV_TYPE, XLSX_TYPE, to_csv, to_xlsx
from ..views.triage import queue_rows, table

router = APIRouter(include_in_schema=False)
PERIOD = r"^(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(?:0[1-9]|1[0-2])$"  # no year 0
ERRORS = {
    "full": N_("That officer has no capacity left this month."),
}


def _period(text: str | None) -> date | None:
    return date.fromisoformat(text + "-01") if text else None


def _lang(t: TranslatorDep) -> str:
    return "ja" if t.locale == "ja" else "en"


@router.get("/triage")
def triage_page(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
    purpose: PagePurpose,
    period: str | None = Query(None, pattern=PERIOD),
    error: str | None = Query(None, max_length=16),
) -> Response:
    with store.session() as s:
        q = read_triage_queue(
            s,
            user.actor,
            period=_period(period),
            purpose=purpose.purpose,
            data_dir=settings.data_dir,
            default_score_pct=default_pct(settings.risk_weight),
            lang=_lang(t),
        )
    return render(
        request,
        "triage.html",
        {
            "q": q,
            "rows": queue_rows(q, _lang(t)),
            "mine": queue_rows(q, _lang(t), mine=True),
            "period": f"{q.period:%Y-%m}",
            "may_assign": user.role == Role.OFFICER and bool(q.assignable),
            "error": t.gettext(ERRORS[error]) if error in ERRORS else None,
        },
    )


def _export(
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
    purpose: PagePurpose,
    period: str | None,
    fmt: str,
) -> Response:
    with store.session() as s:
        q = read_triage_queue(
            s,
            user.actor,
            period=_period(period),
            purpose=purpose.purpose,
            data_dir=settings.data_dir,
            default_score_pct=default_pct(settings.risk_weight),
            lang=_lang(t),
        )
    headers, rows = table(q, _lang(t))
    name = f"triage-{q.period:%Y-%m}.{fmt}"
    body = to_csv(headers, rows) if fmt == "csv" else to_xlsx(name[:-5], headers, rows)
    return Response(
        body,
        media_type=CSV_TYPE if fmt == "csv" else XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/triage/export.csv")
def triage_csv(
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
    purpose: PagePurpose,
    period: str | None = Query(None, pattern=PERIOD),
) -> Response:
    return _export(user, store, settings, t, purpose, period, "csv")


@router.get("/triage/export.xlsx")
def triage_xlsx(
    user: CurrentUserDep,
    store: StoreDep,
    settings: SettingsDep,
    t: TranslatorDep,
    purpose: PagePurpose,
    period: str | None = Query(None, pattern=PERIOD),
) -> Response:
    return _export(user, store, settings, t, purpose, period, "xlsx")


@router.post("/businesses/{business_id}/triage/assign")
def triage_assign(
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    officer_user_id: int = Form(..., ge=1, le=2**31 - 1),
    period: str = Form(..., pattern=PERIOD),
) -> Response:
    back = f"/triage?period={period}"
    try:
        with store.session() as s:  # NotFound → the 404 page, audited
            do_assign_triage(
                s,
                user.actor,
                business_id=business_id,
                officer_user_id=officer_user_id,
                period=date.fromisoformat(period + "-01"),
                purpose=purpose.purpose,
            )
    except CapacityFull:
        return RedirectResponse(back + "&error=full", status_code=303)
    return RedirectResponse(back + f"#b{business_id}", status_code=303)


@router.post("/admin/users/{user_id}/capacity")
def set_capacity(
    user_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    per_month: int = Form(..., ge=0, le=1000),
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        do_set_capacity(s, user.actor, user_id=user_id, per_month=per_month)
    return RedirectResponse("/admin/users#capacity", status_code=303)
