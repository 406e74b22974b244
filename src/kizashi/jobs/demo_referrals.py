"""The demo's referrals: the first demo bank's officer has referred two of its support cases'
businesses (those with an owner login) — one to the 活性化協議会, which the owner already consented
to with the flags and the shared dialogue records (the council finds it waiting in its inbox),
and one to the 保証協会's management support, still waiting for the owner (the owner finds it in
the portal). Run once by ``build_demo`` after the support cases, through ``actions.referrals``
like a person (each write audited).
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

from .demo_world import BANKS, COUNCIL, GUARANTOR

NOTES = {
    ReferralKind.REVITALIZATION: (
        "売上の減少が続き、借入の返済負担が重くなっています。金融機関調整を含む再生計画の検討をお願いします。"
    ),
    ReferralKind.GUARANTOR_SUPPORT: (
        "資金繰りの改善に向けて、専門家派遣による経営支援をご検討ください。当行の面談記録を引き継ぎます。"
    ),
}


def add_referrals(store: Store, *, today: date | None = None) -> int:
    """Make the demo's referrals (see the module's doc); returns how many consent grants the
    owner's approval created (the demo counts its grants)."""
    with store.session() as s:
        officer = s.execute(
            select(User).where(User.login == BANKS[0].users[0][0], User.role == Role.OFFICER)
        ).scalar_one_or_none()
        orgs = {
            code: oid
            for code, oid in s.execute(
                select(Organisation.code, Organisation.id).where(
                    Organisation.code.in_([COUNCIL.code, GUARANTOR.code])
                )
            ).all()
        }
        if officer is None or len(orgs) < 2:
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
    plan = [
        (ReferralKind.REVITALIZATION, orgs[COUNCIL.code], True),
        (ReferralKind.GUARANTOR_SUPPORT, orgs[GUARANTOR.code], False),
    ]
    made = granted = 0
    for case in (c for c in cases if c.business_id in owners):
        if made >= len(plan):
            break
        kind, to_org, approve = plan[made]
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
