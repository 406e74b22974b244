"""Reports on a business as the API returns them and the pages render them: one view model
(``ReportOut``, figures with their deviation and change from last year in int yen) built from
``access.reports.ReportDetail``, and the labels of kinds, statuses and cadences (gettext)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from kizashi.access.reports import ReportDetail

from ..i18n import N_

KIND_LABELS = {
    "progress": N_("Plan progress report"),
    "monitoring": N_("Accountant's monitoring report"),
}
STATUS_LABELS = {
    "draft": N_("Draft"),
    "sent": N_("Sent"),
    "acknowledged": N_("Receipt acknowledged"),
    "withdrawn": N_("Withdrawn"),
}
CADENCE_LABELS = {
    "none": N_("One-off"),
    "quarterly": N_("Quarterly"),
    "yearly": N_("Yearly"),
}


class FigureOut(BaseModel):
    item: str = Field(description="sales | gross_profit | operating_profit | cash | borrowings")
    plan: int | None = Field(description="The plan of the period (yen); none: no target")
    actual: int | None = Field(description="The period's actual (P/L: sum; B/S: at its end)")
    deviation: int | None = Field(description="actual − plan")
    last_year: int | None = Field(description="Actual of the same months a year before")
    change: int | None = Field(description="actual − last_year")


class TimelinessOut(BaseModel):
    on_time: int
    late: int
    missing: int


class RecipientOut(BaseModel):
    org_id: int
    org_name: str
    sent_at: datetime | None
    acknowledged_at: datetime | None


class ReportOut(BaseModel):
    id: int
    business_id: int
    business_name: str
    kind: str = Field(description="progress | monitoring")
    title: str
    author_org_id: int
    author_org_name: str
    period_from: date = Field(description="First day of the first month")
    period_to: date = Field(description="First day of the last month")
    cadence: str = Field(description="none | quarterly | yearly")
    due_on: date | None
    status: str = Field(description="draft | sent | acknowledged | withdrawn")
    sent_at: datetime | None
    mode: str = Field(description="How you read it: own | owner | recipient")
    plan_id: int | None
    plan_title: str | None
    plan_version: int | None
    comment: str | None
    figures: list[FigureOut]
    timeliness: TimelinessOut
    figures_at: datetime = Field(description="When the figures were taken from the trial balances")
    recipients: list[RecipientOut]
    previous_id: int | None


def report_out(d: ReportDetail) -> ReportOut:
    r = d.row
    return ReportOut(
        id=r.id,
        business_id=r.business_id,
        business_name=r.business_name,
        kind=r.kind,
        title=r.title,
        author_org_id=r.author_org_id,
        author_org_name=r.author_org_name,
        period_from=r.period_from,
        period_to=r.period_to,
        cadence=r.cadence,
        due_on=r.due_on,
        status=r.status,
        sent_at=r.sent_at,
        mode=d.mode,
        plan_id=d.plan_id,
        plan_title=d.plan_title,
        plan_version=d.plan_version,
        comment=d.comment,
        figures=[
            FigureOut(
                item=f.item,
                plan=f.plan,
                actual=f.actual,
                deviation=f.deviation,
                last_year=f.last_year,
                change=f.change,
            )
            for f in d.figures
        ],
        timeliness=TimelinessOut(
            on_time=d.timeliness.on_time, late=d.timeliness.late, missing=d.timeliness.missing
        ),
        figures_at=d.figures_at,
        recipients=[
            RecipientOut(
                org_id=x.org_id,
                org_name=x.org_name,
                sent_at=x.sent_at,
                acknowledged_at=x.acknowledged_at,
            )
            for x in d.recipients
        ],
        previous_id=d.previous_id,
    )
