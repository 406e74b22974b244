"""Referrals across organisations (紹介・持込): create, approve or refuse (the owner), accept or
decline (the receiver), withdraw (the sender).

* An officer refers a business its organisation may see to another organisation (a bank to the
  保証協会's 経営支援, to the 活性化協議会, to a 税理士 for a 405事業 plan, to よろず支援拠点) with
  a handover note, optionally from one of its own cases. Nothing travels yet.
* The business's owner approves with a selection — flags, indicators, chosen dialogue records
  (of the sender's cases, among those shared with the owner) — or refuses. Approval creates
  consent grants for the receiver under purpose 紹介 (``Purpose.REFERRAL``) through
  ``do_grant_consent``: 基本情報 always, 予兆フラグ for flags, 試算表・決算書 for indicators,
  定性・面談記録 for dialogue records (which are marked as sent with this referral). Only then
  does the receiver see the referral.
* The receiver accepts (a case opens at the receiver, linked to the sender's case, and the
  sender's case is linked back) or declines with a reason. The sender may withdraw until it is
  answered. A decline or a withdrawal ends the grants the approval created.

Every write is audited; a refusal carries its ``deny`` record. A request that cannot be carried
out raises ``ReferralError`` (a ``ValueError``) with a stable ``code`` and a Japanese message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_by_id
from kizashi.access.cases import access_case_by_id
from kizashi.access.referrals import referral_party
from kizashi.actions.cases import do_open_case
from kizashi.actions.consent import do_grant_consent
from kizashi.domain.referrals import (
    MAX_NOTE_CHARS,
    MAX_REASON_CHARS,
    OPEN_STATUSES,
    ReferralKind,
    ReferralStatus,
)
from kizashi.domain.support import SupportType
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.store.audit import AuditRecord, audit_write
from kizashi.store.errors import NotFound, with_audit
from kizashi.store.models import Business, ConsentGrant, Organisation
from kizashi.store.referral_models import Referral, ReferralDialogue, ReferralGrant
from kizashi.store.support_models import DialogueRecord, SupportCase, SupportCaseEvent

# The support type of the case an accepted referral opens, by kind (the receiver may change it).
CASE_TYPE = {
    ReferralKind.GUARANTOR_SUPPORT: SupportType.IMPROVEMENT,
    ReferralKind.REVITALIZATION: SupportType.TURNAROUND,
    ReferralKind.PLAN_405: SupportType.IMPROVEMENT,
    ReferralKind.YOROZU: SupportType.CORE_BUSINESS,
    ReferralKind.OTHER: SupportType.IMPROVEMENT,
}


class ReferralError(ValueError):
    """A referral operation that cannot be carried out; ``code`` names why (stable)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _now() -> datetime:
    return datetime.now(UTC)


def _refused(actor: Actor, action: str, business_id: int | None, object_id: object, why: str):
    return with_audit(
        PermissionError(why),
        AuditRecord(
            action=action,
            decision="deny",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            business_id=business_id,
            object_type="referral",
            object_id=str(object_id),
            detail={"login": actor.login, "reason": why},
        ),
    )


def _referral(session: Session, actor: Actor, referral_id: int, action: str) -> Referral:
    """The referral if the actor is one of its parties (sender, receiver once the owner
    approved, the business's owner); ``NotFound`` otherwise (audited)."""
    ref = session.get(Referral, referral_id)
    if ref is not None and referral_party(session, actor, ref) is not None:
        return ref
    raise NotFound(
        f"referral {referral_id} not found",
        pending_audit=AuditRecord(
            action=action,
            decision="deny",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            business_id=ref.business_id if ref else None,
            object_type="referral",
            object_id=str(referral_id),
            detail={"login": actor.login, "reason": "no such referral or not a party"},
        ),
    )


def _status_error(ref: Referral, *allowed: ReferralStatus) -> ReferralError | None:
    if ref.status in allowed:
        return None
    return ReferralError("status", "この紹介はこの操作ができる状態ではありません")


def _audit(session: Session, actor: Actor, action: str, ref: Referral, **detail: object) -> None:
    audit_write(
        session,
        actor,
        action,
        object_type="referral",
        object_id=ref.id,
        business_id=ref.business_id,
        status=ref.status,
        **detail,
    )


def do_create_referral(
    session: Session,
    actor: Actor,
    *,
    business_id: int,
    to_org_id: int,
    kind: ReferralKind,
    note: str,
    from_case_id: int | None = None,
    purpose: Purpose = Purpose.SUPPORT,
    today: date | None = None,
) -> Referral:
    """An officer refers a business it may see to another organisation; it waits for the owner.

    ``purpose``: the one under which the officer's organisation holds the business (a 保証協会
    follows its guaranteed borrowers under 期中モニタリング and refers them from there); never
    ``referral`` — what another organisation referred to it is not its to pass on."""
    action = "create_referral"
    if actor.role != Role.OFFICER or actor.org_id is None:
        raise _refused(actor, action, business_id, "new", "an officer refers a business")
    if purpose == Purpose.REFERRAL:
        raise ReferralError("purpose", "紹介で受けた事業者をさらに紹介することはできません")
    access_business_by_id(
        session, actor, business_id, Category.PROFILE, purpose, action=action, today=today
    )
    receiver = session.get(Organisation, to_org_id)
    if receiver is None or receiver.kind == OrgKind.BUSINESS or receiver.id == actor.org_id:
        raise ReferralError("receiver", "紹介先は自組織以外の支援機関・金融機関を選んでください")
    clean = (note or "").strip()
    if not clean:
        raise ReferralError("note", "引継ぎメモを入力してください")
    if len(clean) > MAX_NOTE_CHARS:
        raise ReferralError("note", f"引継ぎメモは{MAX_NOTE_CHARS}文字以内にしてください")
    if from_case_id is not None:
        got = access_case_by_id(session, actor, from_case_id, purpose, action=action)
        if got.mode != "own" or got.case.business_id != business_id:
            raise ReferralError("case", "紹介元の案件は自組織のこの事業者の案件を選んでください")
    duplicate = session.execute(
        select(Referral.id).where(
            Referral.business_id == business_id,
            Referral.from_org_id == actor.org_id,
            Referral.to_org_id == to_org_id,
            Referral.status.in_([s.value for s in OPEN_STATUSES]),
        )
    ).first()
    if duplicate is not None:
        raise ReferralError("duplicate", "同じ紹介先への紹介がすでに進行中です")
    ref = Referral(
        business_id=business_id,
        from_org_id=actor.org_id,
        to_org_id=receiver.id,
        from_case_id=from_case_id,
        kind=ReferralKind(kind).value,
        note=clean,
        status=ReferralStatus.AWAITING_OWNER.value,
        created_at=_now(),
        created_by_user_id=actor.user_id,
        share_flags=False,
        share_indicators=False,
    )
    session.add(ref)
    session.flush()
    _audit(
        session, actor, action, ref, to_org_id=receiver.id, kind=ref.kind, from_case_id=from_case_id
    )
    return ref


def selectable_dialogues(session: Session, ref: Referral) -> list[DialogueRecord]:
    """The records the owner may send: the sender's records about the business that are
    shared with the owner (the owner consents only to what they can read)."""
    return list(
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


def do_approve_referral(
    session: Session,
    actor: Actor,
    *,
    referral_id: int,
    share_flags: bool,
    share_indicators: bool,
    dialogue_ids: Sequence[int] = (),
    today: date | None = None,
) -> Referral:
    """The owner lets the referral go with a selection: grants for the receiver under 紹介."""
    action = "approve_referral"
    ref = _referral(session, actor, referral_id, action)
    if referral_party(session, actor, ref) != "owner":
        raise _refused(actor, action, ref.business_id, ref.id, "only the business's owner")
    if err := _status_error(ref, ReferralStatus.AWAITING_OWNER):
        raise err
    wanted = sorted(set(int(i) for i in dialogue_ids))
    allowed = {r.id for r in selectable_dialogues(session, ref)}
    if any(i not in allowed for i in wanted):
        raise ReferralError("dialogues", "選べるのは紹介元の、事業者に共有された面談記録だけです")
    categories = [Category.PROFILE]
    if share_flags:
        categories.append(Category.FLAGS)
    if share_indicators:
        categories.append(Category.FINANCIALS)
    if wanted:
        categories.append(Category.QUALITATIVE)
    business = session.get(Business, ref.business_id)
    receiver = session.get(Organisation, ref.to_org_id)
    assert business is not None and receiver is not None
    grants = do_grant_consent(
        session,
        actor,
        business=business,
        grantee=receiver,
        categories=categories,
        purpose=Purpose.REFERRAL,
        valid_from=today or date.today(),
    )
    for g in grants:
        session.add(ReferralGrant(referral_id=ref.id, grant_id=g.id))
    for i in wanted:
        session.add(ReferralDialogue(referral_id=ref.id, dialogue_id=i))
    ref.share_flags = bool(share_flags)
    ref.share_indicators = bool(share_indicators)
    ref.status = ReferralStatus.PENDING.value
    ref.owner_decided_at = _now()
    ref.owner_user_id = actor.user_id
    session.flush()
    _audit(
        session,
        actor,
        action,
        ref,
        categories=[c.value for c in categories],
        dialogue_ids=wanted,
        grant_ids=[g.id for g in grants],
    )
    return ref


def _reason(reason: str | None, required: bool) -> str | None:
    clean = (reason or "").strip()
    if required and not clean:
        raise ReferralError("reason", "理由を入力してください")
    if len(clean) > MAX_REASON_CHARS:
        raise ReferralError("reason", f"理由は{MAX_REASON_CHARS}文字以内にしてください")
    return clean or None


def do_refuse_referral(
    session: Session, actor: Actor, *, referral_id: int, reason: str | None = None
) -> Referral:
    """The owner does not let the referral go: nothing travels, the receiver never sees it."""
    action = "refuse_referral"
    ref = _referral(session, actor, referral_id, action)
    if referral_party(session, actor, ref) != "owner":
        raise _refused(actor, action, ref.business_id, ref.id, "only the business's owner")
    if err := _status_error(ref, ReferralStatus.AWAITING_OWNER):
        raise err
    ref.reason = _reason(reason, False)
    ref.status = ReferralStatus.REFUSED.value
    ref.owner_decided_at = _now()
    ref.owner_user_id = actor.user_id
    session.flush()
    _audit(session, actor, action, ref)
    return ref


def _end_grants(session: Session, actor: Actor, ref: Referral, why: str) -> list[int]:
    """End the grants this referral's approval created (a decline or a withdrawal)."""
    now = _now()
    ended = []
    for g in session.execute(
        select(ConsentGrant)
        .join(ReferralGrant, ReferralGrant.grant_id == ConsentGrant.id)
        .where(ReferralGrant.referral_id == ref.id, ConsentGrant.revoked_at.is_(None))
    ).scalars():
        g.revoked_at = now
        g.revoked_by_user_id = actor.user_id
        ended.append(g.id)
        audit_write(
            session,
            actor,
            "revoke_consent",
            object_type="consent_grant",
            object_id=g.id,
            business_id=ref.business_id,
            grantee_org_id=g.grantee_org_id,
            category=g.category.value,
            purpose=g.purpose.value,
            source=g.source.value,
            referral_id=ref.id,
            reason=why,
        )
    session.flush()
    return ended


def do_accept_referral(
    session: Session,
    actor: Actor,
    *,
    referral_id: int,
    owner_user_id: int | None = None,
    support_type: SupportType | None = None,
    today: date | None = None,
) -> tuple[Referral, SupportCase]:
    """The receiver takes the referral on: a case opens at the receiver, linked to the sender's
    case (and the sender's case linked back to it)."""
    action = "accept_referral"
    ref = _referral(session, actor, referral_id, action)
    if referral_party(session, actor, ref) != "receiver":
        raise _refused(actor, action, ref.business_id, ref.id, "only the receiving organisation")
    if err := _status_error(ref, ReferralStatus.PENDING):
        raise err
    kind = ReferralKind(ref.kind)
    case = do_open_case(
        session,
        actor,
        business_id=ref.business_id,
        purpose=Purpose.REFERRAL,
        support_type=support_type or CASE_TYPE[kind],
        title=f"紹介受入: {session.get(Organisation, ref.from_org_id).name}",  # type: ignore[union-attr]
        owner_user_id=owner_user_id,
        today=today,
    )
    case.linked_case_id = ref.from_case_id
    if ref.from_case_id is not None:
        sender_case = session.get(SupportCase, ref.from_case_id)
        if sender_case is not None and sender_case.linked_case_id is None:
            sender_case.linked_case_id = case.id
            session.add(
                SupportCaseEvent(
                    case_id=sender_case.id,
                    at=_now(),
                    user_id=actor.user_id,
                    field="linked_case",
                    old=None,
                    new=str(case.id),
                    note="referral accepted",
                )
            )
    ref.to_case_id = case.id
    ref.status = ReferralStatus.ACCEPTED.value
    ref.answered_at = _now()
    ref.answered_by_user_id = actor.user_id
    session.flush()
    _audit(session, actor, action, ref, to_case_id=case.id, from_case_id=ref.from_case_id)
    return ref, case


def do_decline_referral(
    session: Session, actor: Actor, *, referral_id: int, reason: str
) -> Referral:
    """The receiver declines, with a reason; the grants the approval created end."""
    action = "decline_referral"
    ref = _referral(session, actor, referral_id, action)
    if referral_party(session, actor, ref) != "receiver":
        raise _refused(actor, action, ref.business_id, ref.id, "only the receiving organisation")
    if err := _status_error(ref, ReferralStatus.PENDING):
        raise err
    ref.reason = _reason(reason, True)
    ref.status = ReferralStatus.DECLINED.value
    ref.answered_at = _now()
    ref.answered_by_user_id = actor.user_id
    ended = _end_grants(session, actor, ref, "referral declined")
    _audit(session, actor, action, ref, ended_grants=ended)
    return ref


def do_withdraw_referral(
    session: Session, actor: Actor, *, referral_id: int, reason: str | None = None
) -> Referral:
    """The sender withdraws a referral not yet answered; the grants the approval created end."""
    action = "withdraw_referral"
    ref = _referral(session, actor, referral_id, action)
    if referral_party(session, actor, ref) != "sender":
        raise _refused(actor, action, ref.business_id, ref.id, "only the referring organisation")
    if err := _status_error(ref, ReferralStatus.AWAITING_OWNER, ReferralStatus.PENDING):
        raise err
    ref.reason = _reason(reason, False)
    ref.status = ReferralStatus.WITHDRAWN.value
    ref.answered_at = _now()
    ref.answered_by_user_id = actor.user_id
    ended = _end_grants(session, actor, ref, "referral withdrawn")
    _audit(session, actor, action, ref, ended_grants=ended)
    return ref
