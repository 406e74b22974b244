"""Reports on a business (計画の進捗報告・税理士によるモニタリング報告書) in the JSON API.

Reads go through ``access.reports`` (the author's organisation; the business's owner; an
organisation it was sent to, while the business's 試算表・決算書 consent to it holds); writes
through ``actions.reports``. A report that is missing and one the user may not read are the same
404; every decision is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from kizashi.access.reports import (
    DueReport,
    ReportRow,
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
from kizashi.domain.reports import ReportCadence, ReportKind, ReportStatus
from kizashi.domain.vocabulary import Purpose

from ..deps import ApiPurpose, CurrentUserDep, StoreDep, UnitOfWork
from ..views.reports import ReportOut, report_out
from .contract import MAX_ID, NO_NUL, READ, WRITE, ApiRoute, BusinessId, IsoDate, RowId, errors

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
NOT_VISIBLE = "No such report, or not yours to read or change"
CONFLICT = "Not in a state for this; a recipient without the business's financials consent"
PDF_TYPE = "application/pdf"
MONTH = r"^(?:19|2[0-9])[0-9]{2}-(?:0[1-9]|1[0-2])$"  # YYYY-MM, years 1900–2999
ReportId = Annotated[int, Path(ge=1, le=MAX_ID, description="The report's id", examples=[1])]
OrgIds = Annotated[list[RowId], Field(max_length=20)]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ReportKind
    period_to: str = Field(pattern=MONTH, description="The period's last month, YYYY-MM")
    period_from: str | None = Field(
        None, pattern=MONTH, description="Its first month (default: from the cadence)"
    )
    cadence: ReportCadence = ReportCadence.QUARTERLY
    plan_id: RowId | None = None
    recipient_org_ids: OrgIds = Field(default_factory=list)
    comment: str | None = Field(None, max_length=10_000, pattern=NO_NUL)
    title: str | None = Field(None, max_length=200, pattern=NO_NUL)
    due_on: IsoDate | None = None
    purpose: Purpose = Purpose.MONITORING


class ReportPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=200, pattern=NO_NUL)
    comment: str | None = Field(None, max_length=10_000, pattern=NO_NUL)
    recipient_org_ids: OrgIds | None = None
    due_on: IsoDate | None = None
    refresh: StrictBool = Field(False, description="Take the figures again (a draft only)")
    purpose: Purpose = Purpose.MONITORING


class PurposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: Purpose = Purpose.MONITORING


class SentOut(BaseModel):
    report: ReportOut
    next_report_id: int | None = Field(description="The next period's draft (a cadence)")


class RecipientChoiceOut(BaseModel):
    org_id: int
    name: str


def _month(value: str) -> date:
    return date.fromisoformat(value + "-01")


def _write(store: StoreDep, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """One unit of work; a refusal keeps its audit record before it becomes 403/409."""
    try:
        with store.session() as s:
            got = fn(s, *args, **kw)
            return got.id if hasattr(got, "id") else got
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


def _out(store: StoreDep, user: CurrentUserDep, rid: int, purpose: Purpose) -> ReportOut:
    with store.session() as s:
        return report_out(read_report(s, user.actor, rid, purpose))


@router.get(
    "/reports",
    response_model=list[ReportRow],
    summary="Reports you may read: your organisation's, those sent to it, your business's",
    responses=errors(*READ),
)
def get_reports(
    user: CurrentUserDep,
    s: UnitOfWork,
    business_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: ReportStatus | None = None,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> list[ReportRow]:
    return list_reports(
        s, user.actor, purpose, business_id=business_id, status=status.value if status else None
    )


@router.get(
    "/businesses/{business_id}/report-recipients",
    response_model=list[RecipientChoiceOut],
    summary="Organisations a report on the business may be sent to (its financials consent)",
    responses=errors(*READ, 404, s404="No such business, or no consent for financials"),
)
def get_recipient_choices(
    business_id: BusinessId,
    user: CurrentUserDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> list[RecipientChoiceOut]:
    return [
        RecipientChoiceOut(org_id=i, name=n)
        for i, n in recipient_choices(s, user.actor, business_id, purpose)
    ]


@router.post(
    "/businesses/{business_id}/reports",
    response_model=ReportOut,
    status_code=201,
    summary="Write a report (a draft): the period's figures against the plan and last year",
    responses=errors(
        *WRITE, 404, 409, s404="No such business or plan, or not visible", s409=CONFLICT
    ),
)
def post_report(
    business_id: BusinessId,
    body: Annotated[ReportIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> ReportOut:
    rid = _write(
        store,
        do_create_report,
        user.actor,
        business_id,
        kind=body.kind,
        period_to=_month(body.period_to),
        period_from=_month(body.period_from) if body.period_from else None,
        purpose=body.purpose,
        cadence=body.cadence,
        plan_id=body.plan_id,
        recipients=body.recipient_org_ids,
        comment=body.comment,
        title=body.title,
        due=body.due_on,
    )
    return _out(store, user, rid, body.purpose)


@router.get(
    "/reports/{report_id}",
    response_model=ReportOut,
    summary="A report: figures (int yen), timeliness, comments, recipients",
    responses=errors(*READ, 404, s404=NOT_VISIBLE),
)
def get_report(
    report_id: ReportId,
    user: CurrentUserDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> ReportOut:
    return report_out(read_report(s, user.actor, report_id, purpose))


@router.get(
    "/reports/{report_id}/report.pdf",
    summary="A report as a one-page PDF (A4)",
    responses={**errors(*READ, 404, s404=NOT_VISIBLE), 200: {"content": {PDF_TYPE: {}}}},
    response_class=Response,
)
def get_report_pdf(
    report_id: ReportId,
    user: CurrentUserDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> Response:
    body = report_pdf(read_report(s, user.actor, report_id, purpose))
    return Response(
        body,
        media_type=PDF_TYPE,
        headers={"Content-Disposition": f'attachment; filename="report-{report_id}.pdf"'},
    )


@router.patch(
    "/reports/{report_id}",
    response_model=ReportOut,
    summary="Change a draft (its author): title, comments, recipients, due date, figures",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def patch_report(
    report_id: ReportId,
    body: Annotated[ReportPatch, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> ReportOut:
    change = ReportChange(
        title=body.title,
        comment=body.comment,
        recipients=body.recipient_org_ids,
        due=body.due_on,
        refresh=body.refresh,
    )
    _write(store, do_update_report, user.actor, report_id, change, purpose=body.purpose)
    return _out(store, user, report_id, body.purpose)


@router.post(
    "/reports/{report_id}/send",
    response_model=SentOut,
    summary="Send a draft to its recipients (its author); a cadence makes the next draft",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_send(
    report_id: ReportId,
    body: Annotated[PurposeIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> SentOut:
    def send(s: Any, actor: Any) -> int | None:
        _, nxt = do_send_report(s, actor, report_id, purpose=body.purpose)
        return nxt.id if nxt else None

    nxt = _write(store, send, user.actor)
    return SentOut(report=_out(store, user, report_id, body.purpose), next_report_id=nxt)


@router.post(
    "/reports/{report_id}/acknowledge",
    response_model=ReportOut,
    summary="Acknowledge a report sent to your organisation (受領)",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_acknowledge(
    report_id: ReportId,
    body: Annotated[PurposeIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> ReportOut:
    _write(store, do_acknowledge_report, user.actor, report_id, purpose=body.purpose)
    return _out(store, user, report_id, body.purpose)


@router.post(
    "/reports/{report_id}/withdraw",
    response_model=ReportOut,
    summary="Withdraw a report (its author): it stays on record, marked withdrawn",
    responses=errors(*WRITE, 404, 409, s404=NOT_VISIBLE, s409=CONFLICT),
)
def post_withdraw(
    report_id: ReportId,
    body: Annotated[PurposeIn, Body()],
    user: CurrentUserDep,
    store: StoreDep,
) -> ReportOut:
    _write(store, do_withdraw_report, user.actor, report_id, purpose=body.purpose)
    return _out(store, user, report_id, body.purpose)


@router.get(
    "/me/report-reminders",
    response_model=list[DueReport],
    summary="Your organisation's reports due soon or overdue (drafts a cadence made)",
    responses=errors(*READ),
)
def get_report_reminders(
    user: CurrentUserDep,
    s: UnitOfWork,
    within_days: Annotated[int, Query(ge=0, le=366)] = 14,
) -> list[DueReport]:
    return due_reports(s, user.actor, within_days=within_days)
