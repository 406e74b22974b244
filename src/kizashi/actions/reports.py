"""Writes of reports on a business (計画の進捗報告・税理士によるモニタリング報告書), each audited.

- ``do_create_report``: whoever may read the business's financials for the purpose (the owner,
  or an officer under a 試算表・決算書 consent) writes a report: its figures are generated from
  the plan and the current trial balances and kept as a snapshot (int yen). The accountant's
  monitoring report (``monitoring``) is written by an accountant's organisation
  (``OrgKind.SUPPORTER``) only.
- The recipients are chosen among the organisations the business has given a live financials
  consent (``access.reports.recipient_choices``): the owner's consent is what a report travels
  under; the choice is checked again when it is sent.
- ``do_update_report`` (drafts only; the figures can be taken again), ``do_send_report``
  (frozen from then on; a cadence makes the next period's draft, due ``due_days`` after that
  period: the reminder), ``do_acknowledge_report`` (a recipient), ``do_withdraw_report``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_by_id
from kizashi.access.reports import (
    GeneratedFigures,
    access_report_for_author,
    access_report_for_recipient,
    read_report_figures,
    recipient_choices,
    recipients_of,
)
from kizashi.domain.periods import month_end, month_start
from kizashi.domain.refusals import Refused
from kizashi.domain.reports import (
    DEFAULT_DUE_DAYS,
    REPORT_KIND_JA,
    ReportCadence,
    ReportKind,
    ReportStatus,
    due_on,
    months_of,
    move,
    next_period,
    period_for,
    period_label,
)
from kizashi.domain.vocabulary import Category, OrgKind, Purpose
from kizashi.store.audit import audit_write
from kizashi.store.models import Organisation
from kizashi.store.reports_models import BusinessReport, ReportFigure, ReportRecipient

MAX_MONTHS = 24  # a report covers at most two years
DEADLINE_DAYS = 30  # the submission deadline the timeliness snapshot is counted against


def _now() -> datetime:
    return datetime.now(UTC)


def _check_recipients(
    session: Session,
    actor: Actor,
    business_id: int,
    org_ids: Sequence[int],
    purpose: Purpose,
    today: date | None,
) -> list[int]:
    allowed = dict(recipient_choices(session, actor, business_id, purpose, today=today))
    out: list[int] = []
    for org_id in org_ids:
        if org_id in out:
            continue
        if org_id not in allowed:
            org = session.get(Organisation, org_id)
            name = org.name if org else f"#{org_id}"
            raise Refused(
                f"{name} には、この事業者の試算表・決算書を見る同意がないため送れません",
                f"{name} has no consent of the business to its trial balances and statements:"
                " the report cannot be sent there.",
            )
        out.append(org_id)
    return out


def _store_figures(session: Session, report: BusinessReport, got: GeneratedFigures) -> None:
    session.execute(delete(ReportFigure).where(ReportFigure.report_id == report.id))
    for f in got.figures:
        session.add(
            ReportFigure(
                report_id=report.id,
                item=f.item,
                plan=f.plan,
                actual=f.actual,
                last_year=f.last_year,
            )
        )
    report.plan_version = got.plan_version
    report.on_time_months = got.timeliness.on_time
    report.late_months = got.timeliness.late
    report.missing_months = got.timeliness.missing
    report.figures_at = _now()


def _set_recipients(session: Session, report: BusinessReport, org_ids: Sequence[int]) -> None:
    session.execute(delete(ReportRecipient).where(ReportRecipient.report_id == report.id))
    for org_id in org_ids:
        session.add(ReportRecipient(report_id=report.id, org_id=org_id))


def do_create_report(
    session: Session,
    actor: Actor,
    business_id: int,
    *,
    kind: ReportKind,
    period_to: date,
    purpose: Purpose,
    cadence: ReportCadence = ReportCadence.NONE,
    period_from: date | None = None,
    plan_id: int | None = None,
    recipients: Sequence[int] = (),
    comment: str | None = None,
    title: str | None = None,
    due: date | None = None,
    previous_id: int | None = None,
    today: date | None = None,
) -> BusinessReport:
    """A draft report on the business with its figures snapshot (all or nothing)."""
    business = access_business_by_id(
        session, actor, business_id, Category.FINANCIALS, purpose, action="create_report"
    )
    kind, cadence = ReportKind(kind), ReportCadence(cadence)
    author = session.get(Organisation, actor.org_id) if actor.org_id else None
    if author is None:
        raise Refused(
            "組織に属していないため報告書を作れません",
            "Only a member of an organisation writes reports.",
        )
    if kind == ReportKind.MONITORING and author.kind != OrgKind.SUPPORTER:
        raise Refused(
            "税理士によるモニタリング報告書は税理士等の組織だけが作れます",
            "Only an accountant's (supporter's) organisation writes the monitoring report.",
        )
    start, end = period_for(cadence, period_to)
    if period_from is not None:
        start = month_start(period_from)
    if start > end:
        raise Refused("期間の終わりが始まりより前です", "The period ends before it begins.")
    if len(months_of(start, end)) > MAX_MONTHS:
        raise Refused(
            f"報告の期間は{MAX_MONTHS}か月までです",
            f"A report covers at most {MAX_MONTHS} months.",
        )
    chosen = _check_recipients(session, actor, business_id, recipients, purpose, today)
    got = read_report_figures(
        session,
        actor,
        business_id,
        purpose,
        period_from=start,
        period_to=end,
        plan_id=plan_id,
        deadline_days=DEADLINE_DAYS,
        today=today,
    )
    text = (title or "").strip() or f"{REPORT_KIND_JA[kind]} {period_label(start, end)}"
    report = BusinessReport(
        business_id=business.id,
        kind=kind.value,
        title=text[:200],
        author_org_id=author.id,
        author_user_id=actor.user_id,
        plan_id=plan_id,
        period_from=start,
        period_to=end,
        cadence=cadence.value,
        due_on=due if due is not None else due_on(end, DEFAULT_DUE_DAYS),
        status=ReportStatus.DRAFT.value,
        comment=(comment or "").strip() or None,
        on_time_months=0,
        late_months=0,
        missing_months=0,
        figures_at=_now(),
        created_at=_now(),
        previous_id=previous_id,
    )
    session.add(report)
    session.flush()
    _store_figures(session, report, got)
    _set_recipients(session, report, chosen)
    session.flush()
    audit_write(
        session,
        actor,
        "create_report",
        object_type="business_report",
        object_id=report.id,
        business_id=business.id,
        kind=kind.value,
        period_from=start.isoformat(),
        period_to=end.isoformat(),
        plan_id=plan_id,
        recipients=chosen,
        cadence=cadence.value,
    )
    return report


@dataclass(frozen=True)
class ReportChange:
    """What to change in a draft; None leaves a field as it is."""

    title: str | None = None
    comment: str | None = None  # "" clears it
    recipients: Sequence[int] | None = None
    due: date | None = None
    refresh: bool = False  # take the figures again from the current plan and trial balances


def do_update_report(
    session: Session,
    actor: Actor,
    report_id: int,
    change: ReportChange,
    *,
    purpose: Purpose,
    today: date | None = None,
) -> BusinessReport:
    """Change a draft (its author only): title, comments, recipients, due date, figures."""
    got = access_report_for_author(session, actor, report_id, purpose, action="update_report")
    report = got.report
    if report.status != ReportStatus.DRAFT:
        raise Refused(
            "送付済みの報告書は変えられません", "A report that was sent cannot be changed."
        )
    changed: list[str] = []
    if change.title is not None and change.title.strip():
        report.title = change.title.strip()[:200]
        changed.append("title")
    if change.comment is not None:
        report.comment = change.comment.strip() or None
        changed.append("comment")
    if change.due is not None:
        report.due_on = change.due
        changed.append("due_on")
    if change.recipients is not None:
        chosen = _check_recipients(
            session, actor, report.business_id, change.recipients, purpose, today
        )
        _set_recipients(session, report, chosen)
        changed.append("recipients")
    if change.refresh:
        figures = read_report_figures(
            session,
            actor,
            report.business_id,
            purpose,
            period_from=report.period_from,
            period_to=report.period_to,
            plan_id=report.plan_id,
            deadline_days=DEADLINE_DAYS,
            today=today,
        )
        _store_figures(session, report, figures)
        changed.append("figures")
    session.flush()
    audit_write(
        session,
        actor,
        "update_report",
        object_type="business_report",
        object_id=report.id,
        business_id=report.business_id,
        changed=changed,
    )
    return report


def do_send_report(
    session: Session,
    actor: Actor,
    report_id: int,
    *,
    purpose: Purpose,
    today: date | None = None,
) -> tuple[BusinessReport, BusinessReport | None]:
    """Send a draft to its recipients (its author only); each must still hold the business's
    financials consent. With a cadence, the next period's draft is made (returned second)."""
    got = access_report_for_author(session, actor, report_id, purpose, action="send_report")
    report = got.report
    after = move(report.status, "send")
    rows = recipients_of(session, report.id)
    if not rows:
        raise Refused("送り先を選んでください", "Please choose at least one recipient.")
    _check_recipients(session, actor, report.business_id, [r.org_id for r in rows], purpose, today)
    now = _now()
    for r in rows:
        r.sent_at = now
    report.status = after.value
    report.sent_at = now
    session.flush()
    audit_write(
        session,
        actor,
        "send_report",
        object_type="business_report",
        object_id=report.id,
        business_id=report.business_id,
        recipients=[r.org_id for r in rows],
    )
    successor = None
    following = next_period(ReportCadence(report.cadence), report.period_to)
    if following is not None:
        start, end = following
        days = (
            (report.due_on - month_end(report.period_to)).days
            if report.due_on is not None
            else DEFAULT_DUE_DAYS
        )
        successor = do_create_report(
            session,
            actor,
            report.business_id,
            kind=ReportKind(report.kind),
            period_from=start,
            period_to=end,
            purpose=purpose,
            cadence=ReportCadence(report.cadence),
            plan_id=report.plan_id,
            recipients=[r.org_id for r in rows],
            due=due_on(end, days),
            previous_id=report.id,
            today=today,
        )
    return report, successor


def do_acknowledge_report(
    session: Session, actor: Actor, report_id: int, *, purpose: Purpose
) -> BusinessReport:
    """A recipient acknowledges a sent report (受領); the report is 受領済 once every recipient
    has."""
    got, row = access_report_for_recipient(
        session, actor, report_id, purpose, action="acknowledge_report"
    )
    report = got.report
    move(report.status, "acknowledge")
    if row.acknowledged_at is None:
        row.acknowledged_at = _now()
        row.acknowledged_by_user_id = actor.user_id
    session.flush()
    if all(r.acknowledged_at is not None for r in recipients_of(session, report.id)):
        report.status = move(report.status, "acknowledge_all").value
    session.flush()
    audit_write(
        session,
        actor,
        "acknowledge_report",
        object_type="business_report",
        object_id=report.id,
        business_id=report.business_id,
        status=report.status,
    )
    return report


def do_withdraw_report(
    session: Session, actor: Actor, report_id: int, *, purpose: Purpose
) -> BusinessReport:
    """End a report (its author only): a draft or a sent report is withdrawn (取下げ); it stays
    on record, marked so, for everyone who could read it."""
    got = access_report_for_author(session, actor, report_id, purpose, action="withdraw_report")
    report = got.report
    report.status = move(report.status, "withdraw").value
    report.withdrawn_at = _now()
    session.flush()
    audit_write(
        session,
        actor,
        "withdraw_report",
        object_type="business_report",
        object_id=report.id,
        business_id=report.business_id,
    )
    return report


__all__ = [
    "ReportChange",
    "do_acknowledge_report",
    "do_create_report",
    "do_send_report",
    "do_update_report",
    "do_withdraw_report",
]
