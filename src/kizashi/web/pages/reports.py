"""報告書 pages: reports on a business — 計画の進捗報告 and 税理士によるモニタリング報告書.

- ``GET /reports``: the reports the user may read (its organisation's, those sent to it, the
  owner's business's) and the reminders of reports due (drafts a cadence made);
- ``GET /businesses/{id}/reports``: the business page's section (loaded into it);
- ``GET /businesses/{id}/reports/new`` and ``POST /businesses/{id}/reports``: write one;
- ``GET /reports/{id}``: a report — figures, timeliness, comments, recipients — with, for its
  author, the form to change a draft, send or withdraw it; for a recipient, to acknowledge it;
  ``GET /reports/{id}/report.pdf``: the PDF.

Reads through ``access.reports`` (the business's 試算表・決算書 consent; the owner always; the
author's organisation always), writes through ``actions.reports``. Refused reads are the 404
page (audited); a refused write (not in a state for it, a recipient without consent) is the
page again with the reason (409).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizashi.access import access_business_by_id
from kizashi.access.plans import list_plans
from kizashi.access.reports import (
    due_reports,
    list_reports,
    read_report,
    recipient_choices,
)
from kizashi.actions.reports import (
    ReportChange,
    do_acknowledge_report,
    do_create_report,
    do_send_report,
    do_update_report,
    do_withdraw_report,
)
from kizashi.documents.report_pdf import report_pdf
from kizashi.domain.plans import ITEMS
from kizashi.domain.reports import ReportCadence, ReportKind
from kizashi.domain.vocabulary import Category
from kizashi.store.errors import NotFound

from ..deps import CurrentUserDep, PagePurpose, StoreDep
from ..i18n import N_
from ..refusal import refusal
from ..state import render, translator
from ..views.plans import ITEM_LABELS
from ..views.reports import CADENCE_LABELS, KIND_LABELS, STATUS_LABELS, report_out

router = APIRouter(include_in_schema=False)
REFUSED = N_(
    "This could not be done: the report is not in a state for it, or a value is not valid."
)


def _labels() -> dict[str, Any]:
    return {
        "item_labels": ITEM_LABELS,
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "cadence_labels": CADENCE_LABELS,
        "items": ITEMS,
    }


def _month(value: str) -> date | None:
    try:
        got = date.fromisoformat(value.strip() + "-01")
    except ValueError:
        return None
    return got if 1900 <= got.year <= 2999 else None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 10][:20]


@router.get("/reports")
def reports_page(
    request: Request, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    with store.session() as s:
        rows = list_reports(s, user.actor, purpose.purpose)
        due = due_reports(s, user.actor)
    return render(request, "reports.html", {"rows": rows, "due": due, **_labels()})


@router.get("/businesses/{business_id}/reports")
def report_section(
    request: Request, business_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    """The business page's section: the reports on the business the user may read."""
    with store.session() as s:  # NotFound → the 404 page, audited
        access_business_by_id(
            s, user.actor, business_id, Category.FINANCIALS, purpose.purpose, action="read_reports"
        )
        rows = list_reports(s, user.actor, purpose.purpose, business_id=business_id)
    return render(request, "_report_section.html", {"b_id": business_id, "rows": rows, **_labels()})


def _new_page(
    request: Request,
    store: StoreDep,
    user: CurrentUserDep,
    business_id: int,
    purpose: PagePurpose,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        choices = recipient_choices(s, user.actor, business_id, purpose.purpose)
        plans = [p for p in list_plans(s, user.actor, business_id, purpose.purpose) if p.latest]
        name = access_business_by_id(
            s,
            user.actor,
            business_id,
            Category.FINANCIALS,
            purpose.purpose,
            action="report_form",
        ).name
    return render(
        request,
        "report_new.html",
        {
            "b_id": business_id,
            "b_name": name,
            "choices": choices,
            "plans": plans,
            "purpose_value": purpose.purpose.value,
            **_labels(),
            **(extra or {}),
        },
        status_code=status_code,
    )


@router.get("/businesses/{business_id}/reports/new")
def new_report_page(
    request: Request, business_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    return _new_page(request, store, user, business_id, purpose)


@router.post("/businesses/{business_id}/reports")
async def create_report(
    request: Request,
    business_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    kind: str = Form(..., max_length=16),
    period_to: str = Form(..., max_length=7),
    cadence: str = Form("quarterly", max_length=16),
    plan_id: str = Form("", max_length=10),
    comment: str = Form("", max_length=10_000),
    title: str = Form("", max_length=200),
    due_on: str = Form("", max_length=10),
) -> Response:
    form = await request.form()
    recipients = _ids([str(v) for v in form.getlist("recipients")])
    end = _month(period_to)
    if (
        end is None
        or kind not in ReportKind.__members__.values()
        or cadence not in ReportCadence.__members__.values()
    ):
        return _new_page(request, store, user, business_id, purpose, {"bad_form": True}, 422)
    try:
        with store.session() as s:
            report = do_create_report(
                s,
                user.actor,
                business_id,
                kind=ReportKind(kind),
                period_to=end,
                purpose=purpose.purpose,
                cadence=ReportCadence(cadence),
                plan_id=int(plan_id) if plan_id.isdigit() and len(plan_id) < 10 else None,
                recipients=recipients,
                comment=comment,
                title=title,
                due=_day(due_on),
            )
            rid = report.id
    except ValueError as exc:
        problem = refusal(translator(request), exc, REFUSED)
        return _new_page(request, store, user, business_id, purpose, {"problem": problem}, 409)
    return RedirectResponse(f"/reports/{rid}?done=created", status_code=303)


def _report_page(
    request: Request,
    store: StoreDep,
    user: CurrentUserDep,
    report_id: int,
    purpose: PagePurpose,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        d = report_out(read_report(s, user.actor, report_id, purpose.purpose))  # as the API
    choices: list[tuple[int, str]] = []
    if d.mode == "own" and d.status == "draft":
        try:
            with store.session() as s:
                choices = recipient_choices(s, user.actor, d.business_id, purpose.purpose)
        except NotFound:
            choices = []  # the business's financials are no longer the author's to read
    mine = next(
        (r for r in d.recipients if d.mode == "recipient" and r.org_id == user.actor.org_id),
        None,
    )
    return render(
        request,
        "report.html",
        {
            "d": d,
            "choices": choices,
            "chosen": {r.org_id for r in d.recipients},
            "may_acknowledge": mine is not None
            and mine.acknowledged_at is None
            and d.status == "sent",
            "done": request.query_params.get("done", "")[:16],
            "purpose_value": purpose.purpose.value,
            **_labels(),
            **(extra or {}),
        },
        status_code=status_code,
    )


@router.get("/reports/{report_id}")
def report_page(
    request: Request, report_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    return _report_page(request, store, user, report_id, purpose)


@router.get("/reports/{report_id}/report.pdf")
def report_pdf_page(
    report_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    with store.session() as s:  # NotFound → the 404 page, audited
        d = read_report(s, user.actor, report_id, purpose.purpose)
    return Response(
        report_pdf(d),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="report-{report_id}.pdf"'},
    )


def _act(
    request: Request,
    store: StoreDep,
    user: CurrentUserDep,
    report_id: int,
    purpose: PagePurpose,
    fn: Any,
    *args: Any,
    done: str,
) -> Response:
    try:
        with store.session() as s:
            fn(s, user.actor, report_id, *args, purpose=purpose.purpose)
    except ValueError as exc:
        problem = refusal(translator(request), exc, REFUSED)
        return _report_page(request, store, user, report_id, purpose, {"problem": problem}, 409)
    return RedirectResponse(f"/reports/{report_id}?done={done}", status_code=303)


@router.post("/reports/{report_id}")
async def update_report(
    request: Request,
    report_id: int,
    user: CurrentUserDep,
    store: StoreDep,
    purpose: PagePurpose,
    comment: str = Form("", max_length=10_000),
    title: str = Form("", max_length=200),
    due_on: str = Form("", max_length=10),
    refresh: str = Form("", max_length=8),
) -> Response:
    form = await request.form()
    recipients = (
        _ids([str(v) for v in form.getlist("recipients")]) if "recipients_shown" in form else None
    )
    change = ReportChange(
        title=title or None,
        comment=comment,
        recipients=recipients,
        due=_day(due_on),
        refresh=bool(refresh),
    )
    return _act(request, store, user, report_id, purpose, do_update_report, change, done="saved")


@router.post("/reports/{report_id}/send")
def send_report(
    request: Request, report_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    return _act(request, store, user, report_id, purpose, do_send_report, done="sent")


@router.post("/reports/{report_id}/acknowledge")
def acknowledge_report(
    request: Request, report_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    return _act(
        request, store, user, report_id, purpose, do_acknowledge_report, done="acknowledged"
    )


@router.post("/reports/{report_id}/withdraw")
def withdraw_report(
    request: Request, report_id: int, user: CurrentUserDep, store: StoreDep, purpose: PagePurpose
) -> Response:
    return _act(request, store, user, report_id, purpose, do_withdraw_report, done="withdrawn")
