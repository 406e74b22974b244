"""Reads of support cases (支援案件) and their dialogue records (面談記録).

Who reads a case (every decision audited, category ``qualitative``):

- an **officer of the organisation that holds the case** reads all of it (its own record;
  audited as ``own case``);
- an **officer of another organisation** reads it only under an active consent grant of the
  business for 定性・面談記録 (``Category.QUALITATIVE``) and the purpose — the consent rule of
  ``access_business_by_id`` —, read-only;
- the **business's owner** reads, across the cases about their business, only the dialogue
  records shared with them (and the comments on them).

A case that is missing and one the actor may not see are the same ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.audit import AuditRecord, append_audit
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, Flag, User
from kizashi.store.support_models import (
    CaseNonFinancial,
    DialogueAction,
    DialogueAttachment,
    DialogueComment,
    DialogueRecord,
    SupportCase,
    SupportCaseEvent,
    SupportCaseFlag,
)

from .actor import Actor
from .policy import access_business_by_id, audit_listing
from .rule import _active_grant, reads_data


@dataclass(frozen=True)
class CaseAccess:
    """An allowed case and how: ``own`` (its organisation), ``consent`` (another organisation
    under a 定性 grant, read-only) or ``owner`` (the business: shared records only)."""

    case: SupportCase
    business: Business
    mode: str


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _own_record(actor: Actor, case: SupportCase, purpose: Purpose, action: str) -> AuditRecord:
    return AuditRecord(
        action=action,
        decision="allow",
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        business_id=case.business_id,
        category=Category.QUALITATIVE.value,
        purpose=purpose.value,
        object_type="support_case",
        object_id=str(case.id),
        detail={"login": actor.login, "reason": "own case"},
    )


def access_case_by_id(
    session: Session,
    actor: Actor,
    case_id: int,
    purpose: Purpose,
    *,
    action: str = "read_case",
    today: date | None = None,
) -> CaseAccess:
    """The case, if the actor may read it; ``NotFound`` otherwise (audited either way)."""
    case = session.get(SupportCase, case_id)
    if case is None or not reads_data(actor):
        raise NotFound(
            f"case {case_id} not found",
            pending_audit=AuditRecord(
                action=action,
                decision="deny",
                actor_user_id=actor.user_id,
                actor_org_id=actor.org_id,
                business_id=case.business_id if case else None,
                category=Category.QUALITATIVE.value,
                purpose=purpose.value,
                object_type="support_case",
                object_id=str(case_id),
                detail={"login": actor.login, "reason": "no such case or no data role"},
            ),
        )
    if actor.role == Role.OFFICER and case.org_id == actor.org_id:
        append_audit(session, _own_record(actor, case, purpose, action))
        business = session.get(Business, case.business_id)
        assert business is not None
        return CaseAccess(case, business, "own")
    if purpose == Purpose.REFERRAL and actor.role != Role.OWNER:
        # a referral's 定性 grant covers only the records sent with it (access.referrals)
        raise NotFound(
            f"case {case_id} not found",
            pending_audit=AuditRecord(
                action=action,
                decision="deny",
                actor_user_id=actor.user_id,
                actor_org_id=actor.org_id,
                business_id=case.business_id,
                category=Category.QUALITATIVE.value,
                purpose=purpose.value,
                object_type="support_case",
                object_id=str(case_id),
                detail={"login": actor.login, "reason": "referral: read through the referral"},
            ),
        )
    business = access_business_by_id(
        session, actor, case.business_id, Category.QUALITATIVE, purpose, action=action, today=today
    )
    return CaseAccess(case, business, "owner" if actor.role == Role.OWNER else "consent")


def case_rows(actor: Actor, purpose: Purpose, on: date) -> ColumnElement[bool]:
    """The cases an officer may list: its organisation's own, and other organisations' cases on
    businesses that granted it 定性・面談記録 for ``purpose``. The owner lists none (they read
    shared records: :func:`shared_dialogues`)."""
    if not reads_data(actor) or actor.role != Role.OFFICER or actor.org_id is None:
        return false()
    if purpose == Purpose.REFERRAL:  # a referral's records are read through the referral
        return SupportCase.org_id == actor.org_id
    grant = _active_grant(actor.org_id, Category.QUALITATIVE, purpose, on)
    granted = exists().where(Business.id == SupportCase.business_id, grant)
    return or_(SupportCase.org_id == actor.org_id, granted)


@dataclass(frozen=True)
class CaseRow:
    id: int
    business_id: int
    business_name: str
    org_id: int
    title: str
    support_type: str
    stage: str
    status: str
    owner_name: str | None
    next_contact_on: date | None
    cadence: str
    outcome: str | None
    own: bool
    linked_case_id: int | None


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {
        int(k): str(v)
        for k, v in session.execute(
            select(User.id, User.display_name).where(User.id.in_(wanted))
        ).all()
    }


def list_cases(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    *,
    business_id: int | None = None,
    status: str | None = None,
    mine: bool = False,
    today: date | None = None,
) -> list[CaseRow]:
    """The cases the actor may see, newest first (the listing is audited)."""
    on = today or date.today()
    query = (
        select(SupportCase, Business.name)
        .join(Business, Business.id == SupportCase.business_id)
        .where(case_rows(actor, purpose, on))
        .order_by(SupportCase.opened_at.desc(), SupportCase.id.desc())
    )
    if business_id is not None:
        query = query.where(SupportCase.business_id == business_id)
    if status is not None:
        query = query.where(SupportCase.status == status)
    if mine:
        query = query.where(SupportCase.owner_user_id == (actor.user_id or -1))
    rows = session.execute(query).all()
    names = _names(session, {c.owner_user_id for c, _ in rows})
    audit_listing(
        session,
        actor,
        Category.QUALITATIVE,
        purpose,
        len(rows),
        {"what": "support_cases", "business_id": business_id},
    )
    return [
        CaseRow(
            id=c.id,
            business_id=c.business_id,
            business_name=str(name),
            org_id=c.org_id,
            title=c.title,
            support_type=c.support_type,
            stage=c.stage,
            status=c.status,
            owner_name=names.get(c.owner_user_id),
            next_contact_on=c.next_contact_on,
            cadence=c.cadence,
            outcome=c.outcome,
            own=c.org_id == actor.org_id,
            linked_case_id=c.linked_case_id,
        )
        for c, name in rows
    ]


@dataclass(frozen=True)
class ActionView:
    id: int
    what: str
    party: str
    due_on: date | None
    done_on: date | None


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    sha256: str


@dataclass(frozen=True)
class CommentView:
    at: datetime
    user_name: str | None
    body: str


@dataclass(frozen=True)
class DialogueView:
    id: int
    case_id: int
    held_on: date
    channel: str
    place: str | None
    attendees: list[str]
    topics: str
    owner_said: str | None
    shared_with_owner: bool
    created_by: str | None
    actions: list[ActionView] = field(default_factory=list)
    attachments: list[AttachmentView] = field(default_factory=list)
    comments: list[CommentView] = field(default_factory=list)


@dataclass(frozen=True)
class CaseEventView:
    at: datetime
    user_name: str | None
    field: str
    old: str | None
    new: str | None
    note: str | None


@dataclass(frozen=True)
class NonFinancialView:
    period: str
    item: str
    body: str
    updated_at: datetime


@dataclass(frozen=True)
class CaseDetail:
    row: CaseRow
    mode: str
    flag_ids: list[int]
    history: list[CaseEventView]
    dialogues: list[DialogueView]
    non_financial: list[NonFinancialView]
    opened_at: datetime
    closed_at: datetime | None
    outcome_note: str | None
    owner_user_id: int


def dialogue_views(
    session: Session, records: list[DialogueRecord], names: dict[int, str] | None = None
) -> list[DialogueView]:
    """Records with their actions, attachments and comments (the caller gated them)."""
    ids = [r.id for r in records]
    if not ids:
        return []
    actions: dict[int, list[ActionView]] = {}
    for a in session.execute(
        select(DialogueAction)
        .where(DialogueAction.dialogue_id.in_(ids))
        .order_by(DialogueAction.id)
    ).scalars():
        actions.setdefault(a.dialogue_id, []).append(
            ActionView(a.id, a.what, a.party, a.due_on, a.done_on)
        )
    files: dict[int, list[AttachmentView]] = {}
    for f in session.execute(
        select(DialogueAttachment)
        .where(DialogueAttachment.dialogue_id.in_(ids))
        .order_by(DialogueAttachment.id)
    ).scalars():
        files.setdefault(f.dialogue_id, []).append(AttachmentView(f.id, f.filename, f.raw_sha256))
    comments_rows = list(
        session.execute(
            select(DialogueComment)
            .where(DialogueComment.dialogue_id.in_(ids))
            .order_by(DialogueComment.at, DialogueComment.id)
        ).scalars()
    )
    people = dict(names or {})
    people.update(
        _names(
            session,
            {c.user_id for c in comments_rows} | {r.created_by_user_id for r in records},
        )
    )
    comments: dict[int, list[CommentView]] = {}
    for c in comments_rows:
        comments.setdefault(c.dialogue_id, []).append(
            CommentView(_utc(c.at) or c.at, people.get(c.user_id or 0), c.body)
        )
    return [
        DialogueView(
            id=r.id,
            case_id=r.case_id,
            held_on=r.held_on,
            channel=r.channel,
            place=r.place,
            attendees=[line for line in r.attendees.splitlines() if line.strip()],
            topics=r.topics,
            owner_said=r.owner_said,
            shared_with_owner=r.shared_with_owner,
            created_by=people.get(r.created_by_user_id or 0),
            actions=actions.get(r.id, []),
            attachments=files.get(r.id, []),
            comments=comments.get(r.id, []),
        )
        for r in records
    ]


def read_case(
    session: Session, actor: Actor, case_id: int, purpose: Purpose, *, today: date | None = None
) -> CaseDetail:
    """One case with its flags, history, dialogue records and non-financial items.

    The owner reads only the records shared with them (and no history or internal items)."""
    got = access_case_by_id(session, actor, case_id, purpose, today=today)
    c = got.case
    owner_view = got.mode == "owner"
    records_q = select(DialogueRecord).where(DialogueRecord.case_id == c.id)
    if owner_view:
        records_q = records_q.where(DialogueRecord.shared_with_owner.is_(True))
    records = list(
        session.execute(
            records_q.order_by(DialogueRecord.held_on.desc(), DialogueRecord.id.desc())
        ).scalars()
    )
    events = (
        []
        if owner_view
        else list(
            session.execute(
                select(SupportCaseEvent)
                .where(SupportCaseEvent.case_id == c.id)
                .order_by(SupportCaseEvent.at, SupportCaseEvent.id)
            ).scalars()
        )
    )
    wanted: set[int | None] = {c.owner_user_id, *(e.user_id for e in events)}
    # an officer change reads as people's names (users of the case's organisation)
    wanted |= {int(v) for e in events if e.field == "owner_user_id" for v in (e.old, e.new) if v}
    names = _names(session, wanted)

    def shown(e: SupportCaseEvent, value: str | None) -> str | None:
        if e.field == "owner_user_id" and value and value.isdigit():
            return names.get(int(value), value)
        return value

    flag_ids = [
        int(i)
        for i in session.execute(
            select(SupportCaseFlag.flag_id)
            .where(SupportCaseFlag.case_id == c.id)
            .order_by(SupportCaseFlag.flag_id)
        ).scalars()
    ]
    items = (
        []
        if owner_view
        else [
            NonFinancialView(n.period, n.item, n.body, _utc(n.updated_at) or n.updated_at)
            for n in session.execute(
                select(CaseNonFinancial)
                .where(CaseNonFinancial.case_id == c.id)
                .order_by(CaseNonFinancial.period.desc(), CaseNonFinancial.id)
            ).scalars()
        ]
    )
    row = CaseRow(
        id=c.id,
        business_id=c.business_id,
        business_name=got.business.name,
        org_id=c.org_id,
        title=c.title,
        support_type=c.support_type,
        stage=c.stage,
        status=c.status,
        owner_name=names.get(c.owner_user_id),
        next_contact_on=c.next_contact_on,
        cadence=c.cadence,
        outcome=c.outcome,
        own=c.org_id == actor.org_id,
        linked_case_id=c.linked_case_id,
    )
    return CaseDetail(
        row=row,
        mode=got.mode,
        flag_ids=[] if owner_view else flag_ids,
        history=[
            CaseEventView(
                _utc(e.at) or e.at,
                names.get(e.user_id or 0),
                e.field,
                shown(e, e.old),
                shown(e, e.new),
                e.note,
            )
            for e in events
        ],
        dialogues=dialogue_views(session, records, names),
        non_financial=items,
        opened_at=_utc(c.opened_at) or c.opened_at,
        closed_at=_utc(c.closed_at),
        outcome_note=c.outcome_note,
        owner_user_id=c.owner_user_id,
    )


def shared_dialogues(
    session: Session, actor: Actor, business_id: int, purpose: Purpose
) -> list[DialogueView]:
    """The dialogue records about a business shared with its owner, newest first (the owner's
    portal; gated as the business's own ``qualitative`` data)."""
    if actor.role != Role.OWNER:
        raise NotFound(
            f"business {business_id} not found",
            pending_audit=AuditRecord(
                action="read_shared_dialogues",
                decision="deny",
                actor_user_id=actor.user_id,
                actor_org_id=actor.org_id,
                business_id=business_id,
                category=Category.QUALITATIVE.value,
                purpose=purpose.value,
                detail={"login": actor.login, "reason": "the business's owner only"},
            ),
        )
    access_business_by_id(
        session, actor, business_id, Category.QUALITATIVE, purpose, action="read_shared_dialogues"
    )
    records = list(
        session.execute(
            select(DialogueRecord)
            .join(SupportCase, SupportCase.id == DialogueRecord.case_id)
            .where(
                SupportCase.business_id == business_id,
                DialogueRecord.shared_with_owner.is_(True),
            )
            .order_by(DialogueRecord.held_on.desc(), DialogueRecord.id.desc())
        ).scalars()
    )
    return dialogue_views(session, records)


def read_dialogue(
    session: Session, actor: Actor, dialogue_id: int, purpose: Purpose
) -> tuple[CaseAccess, DialogueView]:
    """One dialogue record, through its case's gate; the owner only a shared one."""
    record = session.get(DialogueRecord, dialogue_id)
    if record is None:
        raise NotFound(f"dialogue {dialogue_id} not found")
    got = access_case_by_id(session, actor, record.case_id, purpose, action="read_dialogue")
    if got.mode == "owner" and not record.shared_with_owner:
        raise NotFound(f"dialogue {dialogue_id} not found")
    return got, dialogue_views(session, [record])[0]


def read_attachment(
    session: Session, actor: Actor, attachment_id: int, purpose: Purpose
) -> DialogueAttachment:
    """An attachment's row (its bytes by ``raw_sha256``), gated like its record."""
    att = session.get(DialogueAttachment, attachment_id)
    if att is None:
        raise NotFound(f"attachment {attachment_id} not found")
    read_dialogue(session, actor, att.dialogue_id, purpose)
    return att


@dataclass(frozen=True)
class Reminder:
    """Something due for the officer: a contact (``kind`` contact) or an agreed action."""

    kind: str  # contact | action
    due_on: date
    case_id: int
    business_id: int
    business_name: str
    what: str
    overdue: bool


def due_reminders(
    session: Session, actor: Actor, *, today: date | None = None, within_days: int = 14
) -> list[Reminder]:
    """The officer's reminders due within ``within_days``: next contacts of their open cases
    (set by the cadence after each dialogue) and open actions of those cases that their
    organisation agreed to do. Overdue ones first. Not business data beyond the officer's own
    cases; the listing is audited. The business's owner: the actions the business agreed to
    in the records shared with them (open cases about their business), nothing else."""
    on = today or date.today()
    until = on + timedelta(days=within_days)
    if actor.role == Role.OWNER and actor.org_id is not None:
        return _owner_reminders(session, actor, on, until)
    if actor.role != Role.OFFICER or actor.user_id is None:
        return []
    mine = and_(
        SupportCase.owner_user_id == actor.user_id,
        SupportCase.org_id == actor.org_id,
        SupportCase.status == "open",
    )
    out: list[Reminder] = []
    for c, name in session.execute(
        select(SupportCase, Business.name)
        .join(Business, Business.id == SupportCase.business_id)
        .where(mine, SupportCase.next_contact_on.is_not(None), SupportCase.next_contact_on <= until)
    ).all():
        assert c.next_contact_on is not None
        out.append(
            Reminder(
                "contact",
                c.next_contact_on,
                c.id,
                c.business_id,
                str(name),
                c.title,
                c.next_contact_on < on,
            )
        )
    for a, c, name in session.execute(
        select(DialogueAction, SupportCase, Business.name)
        .join(DialogueRecord, DialogueRecord.id == DialogueAction.dialogue_id)
        .join(SupportCase, SupportCase.id == DialogueRecord.case_id)
        .join(Business, Business.id == SupportCase.business_id)
        .where(
            mine,
            DialogueAction.done_on.is_(None),
            DialogueAction.party == "officer",
            DialogueAction.due_on.is_not(None),
            DialogueAction.due_on <= until,
        )
    ).all():
        assert a.due_on is not None
        out.append(
            Reminder("action", a.due_on, c.id, c.business_id, str(name), a.what, a.due_on < on)
        )
    out.sort(key=lambda r: (r.due_on, r.case_id, r.kind))
    audit_listing(
        session, actor, Category.QUALITATIVE, Purpose.SUPPORT, len(out), {"what": "reminders"}
    )
    return out


def _owner_reminders(session: Session, actor: Actor, on: date, until: date) -> list[Reminder]:
    ours = select(Business.id).where(Business.org_id == actor.org_id)
    out = [
        Reminder("action", a.due_on, c.id, c.business_id, str(name), a.what, a.due_on < on)
        for a, c, name in session.execute(
            select(DialogueAction, SupportCase, Business.name)
            .join(DialogueRecord, DialogueRecord.id == DialogueAction.dialogue_id)
            .join(SupportCase, SupportCase.id == DialogueRecord.case_id)
            .join(Business, Business.id == SupportCase.business_id)
            .where(
                SupportCase.business_id.in_(ours),
                SupportCase.status == "open",
                DialogueRecord.shared_with_owner.is_(True),
                DialogueAction.done_on.is_(None),
                DialogueAction.party == "owner",
                DialogueAction.due_on.is_not(None),
                DialogueAction.due_on <= until,
            )
        ).all()
        if a.due_on is not None
    ]
    out.sort(key=lambda r: (r.due_on, r.case_id))
    audit_listing(
        session, actor, Category.QUALITATIVE, Purpose.SUPPORT, len(out), {"what": "reminders"}
    )
    return out


def case_flags_visible(session: Session, flag_ids: list[int], business_id: int) -> list[Flag]:
    """The flags (of this business) among ``flag_ids``; the caller checks their scope."""
    if not flag_ids:
        return []
    return list(
        session.execute(
            select(Flag).where(Flag.id.in_(flag_ids), Flag.business_id == business_id)
        ).scalars()
    )
