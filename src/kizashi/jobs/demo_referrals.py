"""The demo's referrals: the first demo bank's officer has referred two of its support cases'
businesses (those with an owner login) — one to the 活性化協議会, which the owner already consented
to with the flags and the shared dialogue records (the council finds it waiting in its inbox),
and one to the 保証協会's management support, still waiting for the owner (the owner finds it in
the portal). The second bank's officer has referred two more, both consented to: one to the
保証協会's management support and one to the first tax office for a 405 plan, so the 保証協会 and
the accountant each find one waiting in their inbox too. Run once by ``build_demo`` after the
support cases, through ``actions.referrals`` like a person (each write audited).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.cases import list_cases
from kizashi.access.referrals import read_referral
from kizashi.actions.referrals import do_approve_referral, do_create_referral
from kizashi.domain.consent import default_purpose
from kizashi.domain.referrals import ReferralKind
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, Organisation, User
from kizashi.store.referral_models import ReferralGrant

from .demo_world import BANKS, COUNCIL, GUARANTOR, SUPPORTERS

NOTES = {
    ReferralKind.REVITALIZATION: (
        "売上の減少が続き、借入の返済負担が重くなっています。金融機関調整を含む再生計画の検討をお願いします。"
    ),
    ReferralKind.GUARANTOR_SUPPORT: (
        "資金繰りの改善に向けて、専門家派遣による経営支援をご検討ください。当行の面談記録を引き継ぎます。"
    ),
    ReferralKind.PLAN_405: (
        "計画を下回る実績が続いています。経営改善計画(405事業)の策定支援をお願いします。"
    ),
}
# per sender (a bank's officer): (kind, receiver's code, the owner consents)
SENT = (
    (
        BANKS[0].users[0][0],
        (
            (ReferralKind.REVITALIZATION, COUNCIL.code, True),
            (ReferralKind.GUARANTOR_SUPPORT, GUARANTOR.code, False),
        ),
    ),
    (
        BANKS[1].users[0][0],
        (
            (ReferralKind.GUARANTOR_SUPPORT, GUARANTOR.code, True),
            (ReferralKind.PLAN_405, SUPPORTERS[0].code, True),
        ),
    ),
)


def add_referrals(store: Store, *, today: date | None = None) -> int:
    """Make the demo's referrals (see the module's doc); returns how many consent grants the
    owners' approvals created (the demo counts its grants)."""
    return sum(_refer(store, login, plan, today) for login, plan in SENT)


def _refer(
    store: Store,
    login: str,
    plan: tuple[tuple[ReferralKind, str, bool], ...],
    today: date | None,
) -> int:
    """One officer's referrals, one per open case of a business with an owner login."""
    with store.session() as s:
        officer = s.execute(
            select(User).where(User.login == login, User.role == Role.OFFICER)
        ).scalar_one_or_none()
        orgs = {
            code: oid
            for code, oid in s.execute(
                select(Organisation.code, Organisation.id).where(
                    Organisation.code.in_([code for _, code, _ in plan])
                )
            ).all()
        }
        if officer is None or len(orgs) < len({code for _, code, _ in plan}):
            return 0
        actor = Actor.from_user(officer)
        cases = [
            c for c in list_cases(s, actor, default_purpose(OrgKind.BANK), status="open") if c.own
        ]
        owners: dict[int, Actor] = {}
        for user, business_id in s.execute(
            select(User, Business.id)
            .join(Business, Business.org_id == User.org_id)
            .where(User.role == Role.OWNER)
        ).all():
            owners.setdefault(int(business_id), Actor.from_user(user))
    made = granted = 0
    for case in (c for c in cases if c.business_id in owners):
        if made >= len(plan):
            break
        kind, to_code, approve = plan[made]
        to_org = orgs[to_code]
        try:
            with store.session() as s:
                ref = do_create_referral(
                    s,
                    actor,
                    business_id=case.business_id,
                    to_org_id=to_org,
                    kind=kind,
                    note=NOTES[kind],
                    from_case_id=case.id,
                    today=today,
                )
                if approve:
                    owner = owners[case.business_id]
                    choices = read_referral(s, owner, ref.id).selectable
                    do_approve_referral(
                        s,
                        owner,
                        referral_id=ref.id,
                        share_flags=True,
                        share_indicators=True,
                        dialogue_ids=[d.id for d in choices],
                        today=today,
                    )
                    granted += len(
                        s.execute(
                            select(ReferralGrant.id).where(ReferralGrant.referral_id == ref.id)
                        ).all()
                    )
            made += 1
        except (NotFound, ValueError, PermissionError):
            continue  # not possible for this case: the next one
    return granted
