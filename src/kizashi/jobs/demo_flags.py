"""The demo's responses to flags: each organisation has already worked on some of its flags.

Run once by ``kizashi demo`` after the demo's first monitoring run (the flags exist only then),
through ``actions.flags`` like a person (each change audited, each kept in the organisation's
own history):

* every demo bank's officer has confirmed (確認済) its first open flag and taken it in hand
  (対応中, assigned to the officer, due in two weeks), and confirmed its second one;
* the 保証協会's officer has marked 対応不要 (with its own reason) a flag a bank is handling —
  so the two organisations show different states of the same flag — and has taken another in
  hand (対応中, due in ten days);
* every owner login with an open flag has acknowledged (確認済) the first one, with a note.

The other flags stay 新規, so each queue still has work. Businesses with an owner login come
first, so the same flag carries a bank's, the 保証協会's and the owner's own responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.access.rule import flag_rows
from kizashi.actions.flags import ResponseChange, do_update_flag_response
from kizashi.domain.consent import default_purpose
from kizashi.domain.vocabulary import FlagState, OrgKind, Purpose, Role
from kizashi.store.db import Store
from kizashi.store.models import Business, Flag, Organisation, User

from .demo_world import BANKS, GUARANTOR


@dataclass(frozen=True)
class FlagDay:
    """The (organisation id, flag id) pairs the demo answered, by who answered."""

    banks: tuple[tuple[int, int], ...]
    guarantor: tuple[tuple[int, int], ...]
    owners: tuple[tuple[int, int], ...]


def _officer(s: Session, code: str) -> Actor | None:
    user = s.execute(
        select(User)
        .join(Organisation, Organisation.id == User.org_id)
        .where(Organisation.code == code, User.role == Role.OFFICER, User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    ).scalar_one_or_none()
    return Actor.from_user(user) if user else None


def _open_flags(s: Session, visible: ColumnElement[bool]) -> list[int]:
    """The open flags a person may see (``visible``: the access rule's ``flag_rows`` for them),
    those of businesses with an owner login first."""
    owned = (
        select(Business.id)
        .join(User, User.org_id == Business.org_id)
        .where(User.role == Role.OWNER)
    )
    return list(
        s.execute(
            select(Flag.id)
            .where(Flag.is_open.is_(True), visible)
            .order_by(Flag.business_id.in_(owned).desc(), Flag.business_id, Flag.id)
        ).scalars()
    )


def _change(
    s: Session, actor: Actor, flag_id: int, purpose: Purpose, today: date, *steps: ResponseChange
) -> None:
    """The person's changes, one after the other (each its own entry in the history)."""
    for step in steps:
        do_update_flag_response(
            s, actor, flag_id=flag_id, change=step, purpose=purpose, today=today
        )


def add_flag_responses(store: Store, *, today: date | None = None) -> FlagDay:
    """Record the demo's responses (see the module's doc)."""
    today = today or date.today()
    banks: list[tuple[int, int]] = []
    guarantor: list[tuple[int, int]] = []
    owners: list[tuple[int, int]] = []
    purpose = default_purpose(OrgKind.BANK)
    with store.session() as s:
        for spec in BANKS:
            bank = _officer(s, spec.code)
            if bank is None or bank.org_id is None:
                continue
            flags = _open_flags(s, flag_rows(bank, purpose, today))
            if flags:
                _change(
                    s,
                    bank,
                    flags[0],
                    purpose,
                    today,
                    ResponseChange(
                        state=FlagState.ACKNOWLEDGED, reason="月次の試算表で内容を確認しました"
                    ),
                    ResponseChange(
                        state=FlagState.IN_PROGRESS,
                        reason="来週の訪問で資金繰りと受注の見通しをお聞きする",
                        assignee_user_id=bank.user_id,
                        due_on=today + timedelta(days=14),
                    ),
                )
                banks.append((bank.org_id, flags[0]))
            if len(flags) > 1:
                _change(
                    s, bank, flags[1], purpose, today, ResponseChange(state=FlagState.ACKNOWLEDGED)
                )
                banks.append((bank.org_id, flags[1]))
        cgc = _officer(s, GUARANTOR.code)
        if cgc is not None and cgc.org_id is not None:
            cgc_purpose = default_purpose(OrgKind.GUARANTOR)
            flags = _open_flags(s, flag_rows(cgc, cgc_purpose, today))
            handled_by_banks = [f for _, f in banks if f in flags]
            not_needed = handled_by_banks[0] if handled_by_banks else (flags[0] if flags else None)
            if not_needed is not None:
                _change(
                    s,
                    cgc,
                    not_needed,
                    cgc_purpose,
                    today,
                    ResponseChange(
                        state=FlagState.NOT_NEEDED,
                        reason="取扱金融機関が対応中のため、当協会は期中管理の定例確認で足りる",
                    ),
                )
                guarantor.append((cgc.org_id, not_needed))
            rest = [f for f in flags if f != not_needed]
            if rest:
                _change(
                    s,
                    cgc,
                    rest[0],
                    cgc_purpose,
                    today,
                    ResponseChange(state=FlagState.ACKNOWLEDGED),
                    ResponseChange(
                        state=FlagState.IN_PROGRESS,
                        reason="経営改善サポートの専門家派遣を検討",
                        assignee_user_id=cgc.user_id,
                        due_on=today + timedelta(days=10),
                    ),
                )
                guarantor.append((cgc.org_id, rest[0]))
        owner_users = (
            s.execute(select(User).where(User.role == Role.OWNER).order_by(User.id)).scalars().all()
        )
        for user in owner_users:
            owner = Actor.from_user(user)
            owner_purpose = default_purpose(OrgKind.BUSINESS)
            flags = _open_flags(s, flag_rows(owner, owner_purpose, today))
            if flags and owner.org_id is not None:
                _change(
                    s,
                    owner,
                    flags[0],
                    owner_purpose,
                    today,
                    ResponseChange(
                        state=FlagState.ACKNOWLEDGED,
                        reason="確認しました。次の面談で事情をご説明します",
                    ),
                )
                owners.append((owner.org_id, flags[0]))
    return FlagDay(tuple(banks), tuple(guarantor), tuple(owners))
