"""The demo's reports: a bank finds the accountant's monitoring report sent to it, the
accountant finds the next quarter's draft, owner1 finds its progress report due within the week;
an organisation not chosen sees none of them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.reports import due_reports, list_reports, read_report
from kizashi.domain.periods import add_months
from kizashi.domain.vocabulary import Purpose
from kizashi.jobs.demo_world import SUPPORTERS
from kizashi.store.models import User
from kizashi.store.reports_models import BusinessReport, ReportRecipient
from tests.jobs.test_demo import demo  # noqa: F401  (fixture)


def _actor(s, login: str) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.from_user(s.execute(select(User).where(User.login == login)).scalar_one())


def test_the_demo_has_a_sent_monitoring_report_and_a_report_due(store, demo):  # noqa: F811
    with store.session() as s:
        acct = _actor(s, SUPPORTERS[0].users[0][0])
        sent = s.execute(
            select(BusinessReport).where(
                BusinessReport.kind == "monitoring", BusinessReport.status == "sent"
            )
        ).scalar_one()
        [to] = (
            s.execute(select(ReportRecipient.org_id).where(ReportRecipient.report_id == sent.id))
            .scalars()
            .all()
        )
        reader = Actor.from_user(
            s.execute(
                select(User).where(User.org_id == to, User.role == "officer").order_by(User.id)
            )
            .scalars()
            .first()
        )
        purposes = [p for p in Purpose if any(r.id == sent.id for r in list_reports(s, reader, p))]
        assert purposes, "the chosen bank lists the report for some purpose"
        detail = read_report(s, reader, sent.id, purposes[0])
        assert detail.mode == "recipient" and detail.comment
        assert any(f.actual is not None for f in detail.figures)
        drafts = [r for r in list_reports(s, acct, purposes[0]) if r.status == "draft"]
        assert [r.period_from for r in drafts] == [add_months(sent.period_to, 1)]
        owner = _actor(s, "owner1")
        due = due_reports(s, owner)
        assert len(due) == 1 and due[0].due_on == date.today() + timedelta(days=7)
        others = (
            s.execute(
                select(User).where(
                    User.role == "officer", User.org_id != to, User.org_id != acct.org_id
                )
            )
            .scalars()
            .all()
        )
        for u in others:
            assert all(r.id != sent.id for r in list_reports(s, Actor.from_user(u), purposes[0]))
