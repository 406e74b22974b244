"""Reads of referrals (紹介・持込) and of exactly what travels with them.

Who sees a referral (every read audited):

- the **sender** (officers of the referring organisation): its referrals, their status and the
  owner's selection — not the receiver's case;
- the **receiver** (officers of the organisation referred to): only once the owner approved
  it. What it reads through the referral is exactly the owner's selection, each part under the
  grant (purpose 紹介) the approval created: the flags if chosen (予兆フラグ), the indicators if
  chosen (試算表・決算書), and the chosen dialogue records only (定性・面談記録) — never the
  sender's other records. A revoked grant hides its part at once;
- the business's **owner**: every referral about their business, with the records they may
  choose to send.

A referral that is missing and one the actor may not see are the same ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from kizashi.domain.referrals import ReferralStatus
from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.audit import AuditRecord, append_audit
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, Organisation
from kizashi.store.referral_models import Referral, ReferralDialogue
from kizashi.store.support_models import DialogueRecord, SupportCase

from .actor import Actor
from .cases import DialogueView, dialogue_views
from .monitoring import FlagView, IndicatorsView, read_flags, read_indicators
from .policy import access_business_by_id, audit_listing

HIDDEN_FROM_RECEIVER = (ReferralStatus.AWAITING_OWNER.value, ReferralStatus.REFUSED.value)


def referral_party(session: Session, actor: Actor, ref: Referral) -> str | None:
    """``sender``, ``receiver`` or ``owner``: how the actor takes part (None: not at all).
    The receiver takes part only once the owner approved."""
    if actor.org_id is None:
        return None
    if actor.role == Role.OFFICER and actor.org_id == ref.from_org_id:
        return "sender"
    if (
        actor.role == Role.OFFICER
        and actor.org_id == ref.to_org_id
        and ref.status not in HIDDEN_FROM_RECEIVER
        and ref.owner_decided_at is not None
    ):
        return "receiver"
    if actor.role == Role.OWNER:
        business = session.get(Business, ref.business_id)
        if business is not None and business.org_id == actor.org_id:
            return "owner"
    return None


def referral_rows(actor: Actor) -> ColumnElement[bool]:
    """The referrals the actor may list (see :func:`referral_party`)."""
    if actor.org_id is None:
        return false()
    if actor.role == Role.OFFICER:
        return or_(
            Referral.from_org_id == actor.org_id,
            and_(
                Referral.to_org_id == actor.org_id,
                Referral.status.not_in(HIDDEN_FROM_RECEIVER),
                Referral.owner_decided_at.is_not(None),
            ),
        )
    if actor.role == Role.OWNER:
        return Referral.business_id.in_(select(Business.id).where(Business.org_id == actor.org_id))
    return false()


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class ReferralRow:
    id: int
    business_id: int
    business_name: str
    from_org_id: int
    from_org_name: str
    to_org_id: int
    to_org_name: str
    kind: str
    status: str
    note: str
    reason: str | None
    created_at: datetime
    owner_decided_at: datetime | None
    answered_at: datetime | None
    from_case_id: int | None
    to_case_id: int | None
    share_flags: bool
    share_indicators: bool
    dialogue_ids: list[int]
    party: str  # sender | receiver | owner


def _rows(session: Session, actor: Actor, refs: list[Referral]) -> list[ReferralRow]:
    orgs: dict[int, str] = {}
    ids = {r.from_org_id for r in refs} | {r.to_org_id for r in refs}
    if ids:
        orgs = {
            int(i): str(n)
            for i, n in session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
            ).all()
        }
    names: dict[int, str] = {}
    biz = {r.business_id for r in refs}
    if biz:
        names = {
            int(i): str(n)
            for i, n in session.execute(
                select(Business.id, Business.name).where(Business.id.in_(biz))
            ).all()
        }
    chosen: dict[int, list[int]] = {}
    if refs:
        for rid, did in session.execute(
            select(ReferralDialogue.referral_id, ReferralDialogue.dialogue_id)
            .where(ReferralDialogue.referral_id.in_([r.id for r in refs]))
            .order_by(ReferralDialogue.dialogue_id)
        ).all():
            chosen.setdefault(int(rid), []).append(int(did))
    out = []
    for r in refs:
        party = referral_party(session, actor, r) or ""
        out.append(
            ReferralRow(
                id=r.id,
                business_id=r.business_id,
                business_name=names.get(r.business_id, ""),
                from_org_id=r.from_org_id,
                from_org_name=orgs.get(r.from_org_id, ""),
                to_org_id=r.to_org_id,
                to_org_name=orgs.get(r.to_org_id, ""),
                kind=r.kind,
                status=r.status,
                note=r.note,
                reason=r.reason,
                created_at=_utc(r.created_at) or r.created_at,
                owner_decided_at=_utc(r.owner_decided_at),
                answered_at=_utc(r.answered_at),
                from_case_id=r.from_case_id,
                # the sender sees that a case was opened, the receiver and owner its number
                to_case_id=r.to_case_id,
                share_flags=r.share_flags,
                share_indicators=r.share_indicators,
                dialogue_ids=chosen.get(r.id, []),
                party=party,
            )
        )
    return out


def list_referrals(
    session: Session,
    actor: Actor,
    *,
    box: str | None = None,
    business_id: int | None = None,
    status: str | None = None,
) -> list[ReferralRow]:
    """The referrals the actor takes part in, newest first. ``box``: ``sent`` (the actor's
    organisation referred), ``received`` (referred to it) or None (both; the owner: theirs)."""
    query = select(Referral).where(referral_rows(actor))
    if box == "sent":
        query = query.where(Referral.from_org_id == (actor.org_id or -1))
    elif box == "received":
        query = query.where(Referral.to_org_id == (actor.org_id or -1))
    if business_id is not None:
        query = query.where(Referral.business_id == business_id)
    if status is not None:
        query = query.where(Referral.status == status)
    refs = list(
        session.execute(query.order_by(Referral.created_at.desc(), Referral.id.desc())).scalars()
    )
    audit_listing(
        session,
        actor,
        Category.PROFILE,
        Purpose.REFERRAL,
        len(refs),
        {"what": "referrals", "box": box, "business_id": business_id},
    )
    return _rows(session, actor, refs)


def access_referral_by_id(
    session: Session, actor: Actor, referral_id: int, *, action: str = "read_referral"
) -> tuple[Referral, str]:
    """The referral and the actor's part in it; ``NotFound`` otherwise (audited either way)."""
    ref = session.get(Referral, referral_id)
    party = referral_party(session, actor, ref) if ref is not None else None
    record = AuditRecord(
        action=action,
        decision="allow" if party else "deny",
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        business_id=ref.business_id if ref else None,
        category=Category.PROFILE.value,
        purpose=Purpose.REFERRAL.value,
        object_type="referral",
        object_id=str(referral_id),
        detail={"login": actor.login, "reason": party or "no such referral or not a party"},
    )
    if ref is None or party is None:
        raise NotFound(f"referral {referral_id} not found", pending_audit=record)
    append_audit(session, record)
    return ref, party


@dataclass(frozen=True)
class ReferralDetail:
    row: ReferralRow
    # what the receiver reads through the referral (empty for the other parties and for the
    # parts the owner did not choose or whose grant ended)
    flags: list[FlagView] = field(default_factory=list)
    indicators: IndicatorsView | None = None
    dialogues: list[DialogueView] = field(default_factory=list)
    # the owner, while it waits for them: the records they may choose to send
    selectable: list[DialogueView] = field(default_factory=list)


def _granted(
    session: Session, actor: Actor, business_id: int, category: Category, today: date | None
) -> bool:
    try:
        access_business_by_id(
            session,
            actor,
            business_id,
            category,
            Purpose.REFERRAL,
            action="read_referral_shared",
            today=today,
        )
    except NotFound:
        return False
    return True


def shared_dialogue_records(session: Session, referral_id: int) -> list[DialogueRecord]:
    """The dialogue records sent with a referral (the caller gated them)."""
    return list(
        session.execute(
            select(DialogueRecord)
            .join(ReferralDialogue, ReferralDialogue.dialogue_id == DialogueRecord.id)
            .where(ReferralDialogue.referral_id == referral_id)
            .order_by(DialogueRecord.held_on.desc(), DialogueRecord.id.desc())
        ).scalars()
    )


def read_referral(
    session: Session,
    actor: Actor,
    referral_id: int,
    *,
    data_dir: Path | None = None,
    today: date | None = None,
) -> ReferralDetail:
    """One referral; for the receiver, exactly what the owner sent with it."""
    ref, party = access_referral_by_id(session, actor, referral_id)
    row = _rows(session, actor, [ref])[0]
    if party == "owner" and ref.status == ReferralStatus.AWAITING_OWNER:
        records = list(
            session.execute(
                select(DialogueRecord)
                .join(SupportCase, SupportCase.id == DialogueRecord.case_id)
                .where(
                    SupportCase.business_id == ref.business_id,
                    SupportCase.org_id == ref.from_org_id,
                    DialogueRecord.shared_with_owner.is_(True),
                )
                .order_by(DialogueRecord.held_on.desc(), DialogueRecord.id.desc())
            ).scalars()
        )
        return ReferralDetail(row=row, selectable=dialogue_views(session, records))
    if party == "owner" and row.dialogue_ids:
        # the owner sees again what they sent (their own records, shared with them)
        return ReferralDetail(
            row=row, dialogues=dialogue_views(session, shared_dialogue_records(session, ref.id))
        )
    if party != "receiver":
        return ReferralDetail(row=row)
    flags: list[FlagView] = []
    if ref.share_flags and _granted(session, actor, ref.business_id, Category.FLAGS, today):
        flags = read_flags(session, actor, ref.business_id, Purpose.REFERRAL, today=today)
    indicators = None
    if (
        ref.share_indicators
        and data_dir is not None
        and _granted(session, actor, ref.business_id, Category.FINANCIALS, today)
    ):
        indicators = read_indicators(
            session, actor, data_dir, ref.business_id, Purpose.REFERRAL, today=today
        )
    dialogues: list[DialogueView] = []
    if row.dialogue_ids and _granted(session, actor, ref.business_id, Category.QUALITATIVE, today):
        dialogues = dialogue_views(session, shared_dialogue_records(session, ref.id))
    return ReferralDetail(row=row, flags=flags, indicators=indicators, dialogues=dialogues)


def referrals_of_case(session: Session, case_id: int) -> list[Referral]:
    """The referrals made from or opened as this case (the caller gated the case)."""
    return list(
        session.execute(
            select(Referral)
            .where(or_(Referral.from_case_id == case_id, Referral.to_case_id == case_id))
            .order_by(Referral.id)
        ).scalars()
    )


@dataclass(frozen=True)
class OrgChoice:
    id: int
    code: str
    name: str
    kind: str


def referral_receivers(session: Session, actor: Actor) -> list[OrgChoice]:
    """The organisations an officer may refer to: every institution but its own (not
    business data: the list of organisations on the instance)."""
    if actor.role != Role.OFFICER or actor.org_id is None:
        return []
    return [
        OrgChoice(int(i), str(c), str(n), str(k))
        for i, c, n, k in session.execute(
            select(Organisation.id, Organisation.code, Organisation.name, Organisation.kind)
            .where(Organisation.kind != "business", Organisation.id != actor.org_id)
            .order_by(Organisation.kind, Organisation.name)
        ).all()
    ]


def organisation_id_by_code(session: Session, code: str) -> int | None:
    """An organisation's id by its code (None: no such organisation)."""
    found = session.execute(select(Organisation.id).where(Organisation.code == code)).scalar()
    return int(found) if found is not None else None
