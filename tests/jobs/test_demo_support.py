"""The demo's support cases: every institution's first officer finds open cases and due
reminders; some owners find dialogue records shared with them."""

from __future__ import annotations

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.cases import due_reminders, list_cases, shared_dialogues
from kizashi.domain.consent import default_purpose
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.store.models import Business, Organisation, User
from tests.jobs.test_demo import demo  # noqa: F401  (fixture)


def test_officers_find_open_cases_and_reminders_owners_shared_records(store, demo):  # noqa: F811
    with store.session() as s:
        orgs = (
            s.execute(select(Organisation).where(Organisation.kind != OrgKind.BUSINESS))
            .scalars()
            .all()
        )
        seen = 0
        for org in orgs:
            officer = s.execute(
                select(User)
                .where(User.org_id == org.id, User.role == Role.OFFICER)
                .order_by(User.id)
                .limit(1)
            ).scalar_one_or_none()
            if officer is None:
                continue
            actor = Actor.from_user(officer)
            cases = list_cases(s, actor, default_purpose(org.kind), status="open")
            if not cases:
                continue
            seen += 1
            reminders = due_reminders(s, actor)
            assert {r.kind for r in reminders} == {"action", "contact"}, org.name
            assert any(r.overdue for r in reminders), org.name
        assert seen >= 3
        owners = s.execute(select(User).where(User.role == Role.OWNER)).scalars().all()
        shared = 0
        for u in owners:
            biz = s.execute(select(Business.id).where(Business.org_id == u.org_id)).scalar_one()
            shared += len(
                shared_dialogues(s, Actor.from_user(u), biz, default_purpose(OrgKind.BUSINESS))
            )
        assert shared >= 1
