"""The demo's support cases: every institution's first officer finds open cases with dialogue
records, agreed actions and due reminders, and the owners (owner1, owner2, …) find records shared
with them.

Run once by ``build_demo`` after the consent day, through ``actions.cases`` like a person (each
write audited). For each institution, its first officer opens cases on up to three businesses
it may see — businesses with an owner login first —, from their open flags where it sees them,
by hand otherwise; records a dialogue three weeks ago (shared with the owner, one action for the
business and one for the institution due in a few days); one case's next contact is already
overdue. Dates are relative to the day the demo is built.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.access.monitoring import _flag_scope
from kizashi.actions.cases import (
    ActionInput,
    CaseChange,
    DialogueInput,
    do_add_dialogue,
    do_open_case,
    do_set_non_financial,
    do_update_case,
)
from kizashi.domain.consent import default_purpose
from kizashi.domain.support import ActionParty, Cadence, Channel, NonFinancialItem, SupportType
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, BusinessLink, ConsentGrant, Flag, Organisation, User

CASES_PER_INSTITUTION = 3
TYPES = {
    OrgKind.BANK: SupportType.CORE_BUSINESS,
    OrgKind.GUARANTOR: SupportType.IMPROVEMENT,
    OrgKind.REVITALIZATION: SupportType.TURNAROUND,
    OrgKind.SUPPORTER: SupportType.IMPROVEMENT,
}


def _candidates(s: Session, org_id: int) -> list[int]:
    """Businesses linked to or granting to the organisation, those with an owner login first."""
    linked = select(BusinessLink.business_id).where(BusinessLink.org_id == org_id)
    granted = select(ConsentGrant.business_id).where(ConsentGrant.grantee_org_id == org_id)
    owned = (
        select(Business.id)
        .join(User, User.org_id == Business.org_id)
        .where(User.role == Role.OWNER)
    )
    ids = list(
        s.execute(
            select(Business.id)
            .where(Business.id.in_(linked.union(granted)))
            .order_by(Business.id.in_(owned).desc(), Business.id)
            .limit(40)
        ).scalars()
    )
    return ids


def add_support_cases(store: Store, raw_dir: Path, *, today: date | None = None) -> int:
    """Open the demo's cases (see the module's doc); returns how many were opened."""
    today = today or date.today()
    opened = 0
    with store.session() as s:
        orgs = list(
            s.execute(
                select(Organisation)
                .where(Organisation.kind != OrgKind.BUSINESS)
                .order_by(Organisation.id)
            ).scalars()
        )
        officers: dict[int, tuple[Actor, str]] = {}
        for o in orgs:
            user = s.execute(
                select(User)
                .where(User.org_id == o.id, User.role == Role.OFFICER, User.active.is_(True))
                .order_by(User.id)
                .limit(1)
            ).scalar_one_or_none()
            if user is not None:
                officers[o.id] = (Actor.from_user(user), user.display_name)
        kinds = [(o.id, o.kind) for o in orgs]
    for org_id, kind in kinds:
        if org_id not in officers:
            continue
        actor, officer_name = officers[org_id]
        purpose = default_purpose(kind)
        with store.session() as s:
            candidates = _candidates(s, org_id)
        n = 0
        for bid in candidates:
            if n >= CASES_PER_INSTITUTION:
                break
            try:
                with store.session() as s:
                    flags = list(
                        s.execute(
                            select(Flag.id)
                            .where(Flag.business_id == bid, Flag.is_open, _flag_scope(actor))
                            .limit(3)
                        ).scalars()
                    )
                    case = do_open_case(
                        s,
                        actor,
                        business_id=bid,
                        purpose=purpose,
                        support_type=TYPES.get(kind, SupportType.IMPROVEMENT),
                        title="予兆フラグを受けた対話" if flags else "定期的な対話",
                        flag_ids=flags,
                        cadence=Cadence.MONTHLY if n % 2 == 0 else Cadence.QUARTERLY,
                    )
                    held = today - timedelta(days=21 + n)
                    do_add_dialogue(
                        s,
                        actor,
                        case_id=case.id,
                        dialogue=DialogueInput(
                            held_on=held,
                            channel=Channel.VISIT if n % 2 == 0 else Channel.ONLINE,
                            place="本社" if n % 2 == 0 else None,
                            attendees=["代表取締役", "顧問税理士", officer_name],
                            topics="直近の試算表と資金繰り、今後の受注の見通し",
                            owner_said="主要取引先の発注が戻りつつあるが、仕入値の上昇が続いている",
                            shared_with_owner=True,
                            actions=[
                                ActionInput(
                                    "資金繰り表 (3か月分) を作る",
                                    ActionParty.OWNER,
                                    today + timedelta(days=10),
                                ),
                                ActionInput(
                                    "返済条件の見直し案を用意する",
                                    ActionParty.OFFICER,
                                    today + timedelta(days=3 + n),
                                ),
                            ],
                            attachments=[
                                ("面談メモ.txt", f"面談メモ {held.isoformat()}\n".encode())
                            ],
                        ),
                        purpose=purpose,
                        raw_dir=raw_dir,
                    )
                    do_set_non_financial(
                        s,
                        actor,
                        case_id=case.id,
                        period=str(today.year),
                        item=NonFinancialItem.MANAGER,
                        body="経営者は60代。後継者候補は社内にいるが、まだ話し合っていない。",
                        purpose=purpose,
                    )
                    if n == CASES_PER_INSTITUTION - 1:  # one contact already overdue
                        do_update_case(
                            s,
                            actor,
                            case_id=case.id,
                            change=CaseChange(next_contact_on=today - timedelta(days=2)),
                            purpose=purpose,
                        )
                n += 1
                opened += 1
            except (NotFound, ValueError, PermissionError):
                continue  # not visible to this officer: the next business
    return opened
