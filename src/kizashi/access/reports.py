"""Reads of reports on a business (計画の進捗報告・税理士によるモニタリング報告書).

A report carries the business's trial-balance figures (plan, actual, last year), its submission
timeliness and the author's comments on those figures: it travels under the business's
**試算表・決算書** consent (``Category.FINANCIALS``), the category of the figures it is made of.
It carries no dialogue record (面談記録) and no flag, so it needs no 定性 or 予兆フラグ consent.

Who reads a report (every decision audited, category ``financials``):

- the **author's organisation** (its officers, or the business itself for a report its owner
  wrote): always — its own document (``own report``);
- the business's **owner**: every report about the business (drafts included);
- a **recipient** organisation (one the author chose and sent it to): only once sent, and only
  while the business's ``financials`` consent to that organisation for the purpose holds — a
  revoked or expired consent hides the report at once. An organisation not chosen never reads
  it, whatever its consents.

A report that is missing and one the actor may not see are the same ``NotFound``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from kizashi.domain.plans import ITEMS, Granularity, monthly_actuals
from kizashi.domain.reports import (
    ItemFigures,
    PeriodTimeliness,
    ReportStatus,
    period_timeliness,
    report_figures,
)
from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.audit import AuditRecord, append_audit
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, ConsentGrant, Organisation
from kizashi.store.plan_models import BusinessPlan
from kizashi.store.reports_models import BusinessReport, ReportFigure, ReportRecipient

from .actor import Actor
from .plans import read_plan
from .policy import access_business_by_id, audit_listing
from .reads import read_monthly_series
from .rule import _active_grant, reads_data
from .timeliness import read_timeliness

CATEGORY = Category.FINANCIALS


@dataclass(frozen=True)
class ReportAccess:
    """An allowed report and how: ``own`` (the author's organisation), ``owner`` (the business)
    or ``recipient`` (an organisation it was sent to, under a financials consent)."""

    report: BusinessReport
    business: Business
    mode: str


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _record(
    actor: Actor,
    report_id: int,
    business_id: int | None,
    purpose: Purpose,
    action: str,
    decision: str,
    reason: str,
) -> AuditRecord:
    return AuditRecord(
        action=action,
        decision=decision,
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        business_id=business_id,
        category=CATEGORY.value,
        purpose=purpose.value,
        object_type="business_report",
        object_id=str(report_id),
        detail={"login": actor.login, "reason": reason},
    )


def _refused(
    actor: Actor, report_id: int, business_id: int | None, purpose: Purpose, action: str, why: str
) -> NotFound:
    return NotFound(
        f"report {report_id} not found",
        pending_audit=_record(actor, report_id, business_id, purpose, action, "deny", why),
    )


def access_report_by_id(
    session: Session,
    actor: Actor,
    report_id: int,
    purpose: Purpose,
    *,
    action: str = "read_report",
    today: date | None = None,
) -> ReportAccess:
    """The report, if the actor may read it; ``NotFound`` otherwise (audited either way)."""
    report = session.get(BusinessReport, report_id)
    if report is None or not reads_data(actor):
        raise _refused(
            actor,
            report_id,
            report.business_id if report else None,
            purpose,
            action,
            "no such report or no data role",
        )
    if actor.org_id == report.author_org_id:
        append_audit(
            session,
            _record(actor, report.id, report.business_id, purpose, action, "allow", "own report"),
        )
        business = session.get(Business, report.business_id)
        assert business is not None
        return ReportAccess(report, business, "own")
    if actor.role == Role.OWNER:
        business = access_business_by_id(
            session, actor, report.business_id, CATEGORY, purpose, action=action, today=today
        )
        return ReportAccess(report, business, "owner")
    chosen = session.execute(
        select(ReportRecipient.id).where(
            ReportRecipient.report_id == report.id,
            ReportRecipient.org_id == actor.org_id,
            ReportRecipient.sent_at.is_not(None),
        )
    ).first()
    if chosen is None:
        raise _refused(
            actor, report.id, report.business_id, purpose, action, "not sent to this organisation"
        )
    business = access_business_by_id(
        session, actor, report.business_id, CATEGORY, purpose, action=action, today=today
    )
    return ReportAccess(report, business, "recipient")


def access_report_for_author(
    session: Session, actor: Actor, report_id: int, purpose: Purpose, *, action: str
) -> ReportAccess:
    """The report, if the actor's organisation wrote it (only its author changes, sends or
    withdraws it); ``NotFound`` otherwise, audited."""
    got = access_report_by_id(session, actor, report_id, purpose, action=action)
    if got.mode != "own":
        raise _refused(actor, report_id, got.report.business_id, purpose, action, "only its author")
    return got


def access_report_for_recipient(
    session: Session, actor: Actor, report_id: int, purpose: Purpose, *, action: str
) -> tuple[ReportAccess, ReportRecipient]:
    """The report and the actor's recipient row, if it was sent to the actor's organisation
    (and its consent holds): only a recipient acknowledges it."""
    got = access_report_by_id(session, actor, report_id, purpose, action=action)
    row = (
        session.execute(
            select(ReportRecipient).where(
                ReportRecipient.report_id == report_id, ReportRecipient.org_id == actor.org_id
            )
        ).scalar_one_or_none()
        if got.mode == "recipient"
        else None
    )
    if row is None:
        raise _refused(
            actor, report_id, got.report.business_id, purpose, action, "only a recipient"
        )
    return got, row


def report_rows(actor: Actor, purpose: Purpose, on: date) -> ColumnElement[bool]:
    """The reports the actor may list: its organisation's own; the owner's business's; those
    sent to its organisation on businesses whose financials consent for ``purpose`` holds."""
    if not reads_data(actor) or actor.org_id is None:
        return false()
    own = BusinessReport.author_org_id == actor.org_id
    if actor.role == Role.OWNER:
        mine = (
            exists()
            .where(Business.id == BusinessReport.business_id, Business.org_id == actor.org_id)
            .correlate(BusinessReport)
        )
        return or_(own, mine)
    sent = (
        exists()
        .where(
            ReportRecipient.report_id == BusinessReport.id,
            ReportRecipient.org_id == actor.org_id,
            ReportRecipient.sent_at.is_not(None),
        )
        .correlate(BusinessReport)
    )
    granted = (
        exists()
        .where(
            Business.id == BusinessReport.business_id,
            Business.org_id != actor.org_id,
            _active_grant(actor.org_id, CATEGORY, purpose, on),
        )
        .correlate(BusinessReport)
    )
    return or_(own, and_(sent, granted))


@dataclass(frozen=True)
class RecipientView:
    org_id: int
    org_name: str
    sent_at: datetime | None
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class ReportRow:
    id: int
    business_id: int
    business_name: str
    kind: str
    title: str
    author_org_id: int
    author_org_name: str
    period_from: date
    period_to: date
    cadence: str
    due_on: date | None
    status: str
    sent_at: datetime | None
    own: bool
    overdue: bool


@dataclass(frozen=True)
class ReportDetail:
    row: ReportRow
    mode: str
    plan_id: int | None
    plan_title: str | None
    plan_version: int | None
    comment: str | None
    figures: tuple[ItemFigures, ...]
    timeliness: PeriodTimeliness
    figures_at: datetime
    created_at: datetime
    recipients: tuple[RecipientView, ...]
    previous_id: int | None


def _org_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        int(i): str(n)
        for i, n in session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
        ).all()
    }


def _row(
    r: BusinessReport, business_name: str, orgs: dict[int, str], actor: Actor, on: date
) -> ReportRow:
    return ReportRow(
        id=r.id,
        business_id=r.business_id,
        business_name=business_name,
        kind=r.kind,
        title=r.title,
        author_org_id=r.author_org_id,
        author_org_name=orgs.get(r.author_org_id, ""),
        period_from=r.period_from,
        period_to=r.period_to,
        cadence=r.cadence,
        due_on=r.due_on,
        status=r.status,
        sent_at=_utc(r.sent_at),
        own=r.author_org_id == actor.org_id,
        overdue=r.status == ReportStatus.DRAFT and r.due_on is not None and r.due_on < on,
    )


def list_reports(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    *,
    business_id: int | None = None,
    status: str | None = None,
    today: date | None = None,
) -> list[ReportRow]:
    """The reports the actor may see, newest period first (the listing is audited)."""
    on = today or date.today()
    query = (
        select(BusinessReport, Business.name)
        .join(Business, Business.id == BusinessReport.business_id)
        .where(report_rows(actor, purpose, on))
        .order_by(BusinessReport.period_to.desc(), BusinessReport.id.desc())
    )
    if business_id is not None:
        query = query.where(BusinessReport.business_id == business_id)
    if status is not None:
        query = query.where(BusinessReport.status == status)
    rows = session.execute(query).all()
    orgs = _org_names(session, {r.author_org_id for r, _ in rows})
    audit_listing(
        session,
        actor,
        CATEGORY,
        purpose,
        len(rows),
        {"what": "reports", "business_id": business_id},
    )
    return [_row(r, str(name), orgs, actor, on) for r, name in rows]


def read_report(
    session: Session,
    actor: Actor,
    report_id: int,
    purpose: Purpose,
    *,
    today: date | None = None,
) -> ReportDetail:
    """One report with its figures snapshot, timeliness, comments and recipients."""
    got = access_report_by_id(session, actor, report_id, purpose, today=today)
    r = got.report
    on = today or date.today()
    by_item = {
        f.item: f
        for f in session.execute(
            select(ReportFigure).where(ReportFigure.report_id == r.id)
        ).scalars()
    }
    figures = tuple(
        ItemFigures(
            item,
            by_item[item].plan if item in by_item else None,
            by_item[item].actual if item in by_item else None,
            by_item[item].last_year if item in by_item else None,
        )
        for item in ITEMS
    )
    recips = list(
        session.execute(
            select(ReportRecipient)
            .where(ReportRecipient.report_id == r.id)
            .order_by(ReportRecipient.id)
        ).scalars()
    )
    orgs = _org_names(session, {r.author_org_id, *(x.org_id for x in recips)})
    plan = session.get(BusinessPlan, r.plan_id) if r.plan_id else None
    return ReportDetail(
        row=_row(r, got.business.name, orgs, actor, on),
        mode=got.mode,
        plan_id=r.plan_id,
        plan_title=plan.title if plan else None,
        plan_version=r.plan_version,
        comment=r.comment,
        figures=figures,
        timeliness=PeriodTimeliness(r.on_time_months, r.late_months, r.missing_months, 0),
        figures_at=_utc(r.figures_at) or r.figures_at,
        created_at=_utc(r.created_at) or r.created_at,
        recipients=tuple(
            RecipientView(
                x.org_id, orgs.get(x.org_id, ""), _utc(x.sent_at), _utc(x.acknowledged_at)
            )
            for x in recips
        ),
        previous_id=r.previous_id,
    )


@dataclass(frozen=True)
class GeneratedFigures:
    """What a report is made of when it is written: the figures and the timeliness."""

    figures: tuple[ItemFigures, ...]
    timeliness: PeriodTimeliness
    plan_version: int | None


def read_report_figures(
    session: Session,
    actor: Actor,
    business_id: int,
    purpose: Purpose,
    *,
    period_from: date,
    period_to: date,
    plan_id: int | None,
    deadline_days: int,
    today: date | None = None,
) -> GeneratedFigures:
    """The period's figures against the plan (its latest version) and last year, from the
    current trial balances, and the period's submission timeliness — every read through the
    financials consent and audited (plans, monthly series, timeliness)."""
    targets = None
    granularity = None
    version = None
    if plan_id is not None:
        detail = read_plan(session, actor, plan_id, purpose, today=today)
        if detail.plan.business_id != business_id:
            raise NotFound(f"plan {plan_id} not found")
        targets, granularity = detail.targets, Granularity(detail.version.granularity)
        version = detail.version.version
    series = read_monthly_series(
        session, actor, business_id, months=120, purpose=purpose, today=today
    )
    monthly = monthly_actuals([(p.month, p.values) for p in series])
    figures = report_figures(
        monthly, period_from, period_to, targets=targets, granularity=granularity
    )
    on = today or date.today()
    record = read_timeliness(
        session,
        actor,
        business_id,
        purpose,
        deadline_days=deadline_days,
        months=36,
        today=on,
    )
    statuses = {m.month: m.status for m in record.months}
    return GeneratedFigures(figures, period_timeliness(statuses, period_from, period_to), version)


def recipient_choices(
    session: Session,
    actor: Actor,
    business_id: int,
    purpose: Purpose,
    *,
    today: date | None = None,
) -> list[tuple[int, str]]:
    """The organisations a report on the business may be sent to: those the business has given
    a live 試算表・決算書 consent (any purpose), other than the actor's own. Read by whoever
    may read the business's financials (audited)."""
    on = today or date.today()
    access_business_by_id(
        session, actor, business_id, CATEGORY, purpose, action="report_recipients", today=today
    )
    rows = session.execute(
        select(Organisation.id, Organisation.name)
        .join(ConsentGrant, ConsentGrant.grantee_org_id == Organisation.id)
        .where(
            ConsentGrant.business_id == business_id,
            ConsentGrant.category == CATEGORY,
            ConsentGrant.valid_from <= on,
            or_(ConsentGrant.valid_to.is_(None), ConsentGrant.valid_to >= on),
            ConsentGrant.revoked_at.is_(None),
            Organisation.id != (actor.org_id or -1),
        )
        .distinct()
        .order_by(Organisation.id)
    ).all()
    return [(int(i), str(n)) for i, n in rows]


@dataclass(frozen=True)
class DueReport:
    """A report of the actor's organisation still to send: due within the window or overdue."""

    report_id: int
    business_id: int
    business_name: str
    title: str
    due_on: date
    overdue: bool


def due_reports(
    session: Session,
    actor: Actor,
    *,
    within_days: int = 14,
    today: date | None = None,
) -> list[DueReport]:
    """The reminders a cadence makes: drafts the actor's organisation wrote (the next period's
    draft is made when a report with a cadence is sent), due within ``within_days`` or overdue.
    Only its own documents; the listing is audited."""
    on = today or date.today()
    if not reads_data(actor) or actor.org_id is None:
        return []
    until = on + timedelta(days=within_days)
    rows = session.execute(
        select(BusinessReport, Business.name)
        .join(Business, Business.id == BusinessReport.business_id)
        .where(
            BusinessReport.author_org_id == actor.org_id,
            BusinessReport.status == ReportStatus.DRAFT.value,
            BusinessReport.due_on.is_not(None),
            BusinessReport.due_on <= until,
        )
        .order_by(BusinessReport.due_on, BusinessReport.id)
    ).all()
    out = []
    for r, name in rows:
        assert r.due_on is not None
        out.append(DueReport(r.id, r.business_id, str(name), r.title, r.due_on, r.due_on < on))
    audit_listing(
        session, actor, CATEGORY, Purpose.MONITORING, len(out), {"what": "report_reminders"}
    )
    return out


def recipients_of(session: Session, report_id: int) -> Sequence[ReportRecipient]:
    """A report's recipient rows (the caller gated the report)."""
    return list(
        session.execute(
            select(ReportRecipient)
            .where(ReportRecipient.report_id == report_id)
            .order_by(ReportRecipient.id)
        ).scalars()
    )


__all__ = [
    "DueReport",
    "GeneratedFigures",
    "RecipientView",
    "ReportAccess",
    "ReportDetail",
    "ReportRow",
    "access_report_by_id",
    "access_report_for_author",
    "access_report_for_recipient",
    "due_reports",
    "list_reports",
    "read_report",
    "read_report_figures",
    "recipient_choices",
    "recipients_of",
]
