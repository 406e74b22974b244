"""Writes of support cases (支援案件), each with its audit record.

Only officers of the organisation that holds a case change it; another organisation that reads
it under a 定性・面談記録 consent reads only (a write is refused, audited); the business's owner
only comments on the dialogue records shared with them. A case opens from flags of the business
(the officer must see them: category ``flags`` and the flag's pack scope) or by hand (the
officer must see the business's ``profile``). Every refusal changes nothing and is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor, access_business_by_id
from kizashi.access.cases import CaseAccess, access_case_by_id, read_dialogue
from kizashi.access.monitoring import _flag_scope
from kizashi.domain.refusals import Refused
from kizashi.domain.support import (
    ActionParty,
    Cadence,
    CaseStage,
    CaseStatus,
    Channel,
    NonFinancialItem,
    Outcome,
    SupportType,
    next_contact,
)
from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.audit import AuditRecord, audit_write
from kizashi.store.errors import NotFound, with_audit
from kizashi.store.models import Flag, User
from kizashi.store.rawfiles import put_raw_file
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

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


def _refused(
    actor: Actor, action: str, business_id: int | None, object_id: object, exc: Exception
) -> Exception:
    return with_audit(
        exc,
        AuditRecord(
            action=action,
            decision="deny",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            business_id=business_id,
            category=Category.QUALITATIVE.value,
            object_type="support_case",
            object_id=str(object_id),
            detail={"login": actor.login, "reason": str(exc)},
        ),
    )


def _check_officer(session: Session, actor: Actor, user_id: int, action: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.org_id != actor.org_id or not user.active or user.role != Role.OFFICER:
        raise _refused(
            actor,
            action,
            None,
            user_id,
            Refused(
                "担当者は自組織の有効な担当者から選んでください",
                "Choose the person in charge among the active officers of your organisation.",
            ),
        )
    return user


def _own_open_case(
    session: Session, actor: Actor, case_id: int, purpose: Purpose, action: str
) -> SupportCase:
    """The case, if the actor is an officer of its organisation and it is open."""
    got: CaseAccess = access_case_by_id(session, actor, case_id, purpose, action=action)
    if got.mode != "own":
        raise _refused(
            actor,
            action,
            got.case.business_id,
            case_id,
            PermissionError("only the organisation that holds the case changes it"),
        )
    if got.case.status != CaseStatus.OPEN:
        raise _refused(
            actor,
            action,
            got.case.business_id,
            case_id,
            Refused("この案件は終了しています", "The case is closed."),
        )
    return got.case


def _event(
    session: Session,
    actor: Actor,
    case: SupportCase,
    name: str,
    old: object,
    new: object,
    note: str | None = None,
) -> None:
    session.add(
        SupportCaseEvent(
            case_id=case.id,
            at=_now(),
            user_id=actor.user_id,
            field=name,
            old=None if old is None else str(old),
            new=None if new is None else str(new),
            note=note,
        )
    )


def do_open_case(
    session: Session,
    actor: Actor,
    *,
    business_id: int,
    purpose: Purpose,
    support_type: SupportType,
    title: str = "",
    flag_ids: Sequence[int] = (),
    owner_user_id: int | None = None,
    stage: CaseStage = CaseStage.INTAKE,
    cadence: Cadence = Cadence.MONTHLY,
    next_contact_on: date | None = None,
    today: date | None = None,
) -> SupportCase:
    """Open a case on a business for the actor's organisation, linking the given flags."""
    action = "open_case"
    if actor.role != Role.OFFICER or actor.org_id is None:
        raise _refused(
            actor, action, business_id, "new", PermissionError("an officer opens a case")
        )
    ids = sorted(set(flag_ids))
    category = Category.FLAGS if ids else Category.PROFILE
    business = access_business_by_id(
        session, actor, business_id, category, purpose, action=action, today=today
    )
    if ids:
        seen = set(
            session.execute(
                select(Flag.id).where(
                    Flag.id.in_(ids), Flag.business_id == business.id, _flag_scope(actor)
                )
            ).scalars()
        )
        missing = [i for i in ids if i not in seen]
        if missing:
            raise _refused(
                actor,
                action,
                business_id,
                "new",
                Refused(
                    f"この事業者の見られるフラグではありません: {missing}",
                    f"Not flags of this business you can see: {missing}",
                ),
            )
    owner = _check_officer(session, actor, owner_user_id or actor.user_id or 0, action)
    clean = title.strip()[:200] or business.name
    case = SupportCase(
        business_id=business.id,
        org_id=actor.org_id,
        title=clean,
        support_type=SupportType(support_type).value,
        stage=CaseStage(stage).value,
        status=CaseStatus.OPEN.value,
        owner_user_id=owner.id,
        next_contact_on=next_contact_on,
        cadence=Cadence(cadence).value,
        opened_at=_now(),
        opened_by_user_id=actor.user_id,
    )
    session.add(case)
    session.flush()
    for fid in ids:
        session.add(SupportCaseFlag(case_id=case.id, flag_id=fid))
    _event(session, actor, case, "status", None, CaseStatus.OPEN.value)
    _event(session, actor, case, "support_type", None, case.support_type)
    audit_write(
        session,
        actor,
        action,
        object_type="support_case",
        object_id=case.id,
        business_id=business.id,
        support_type=case.support_type,
        flags=ids,
        owner_user_id=owner.id,
    )
    return case


class _Unset:
    pass


UNSET = _Unset()


@dataclass(frozen=True)
class CaseChange:
    """What to change; a field left ``UNSET`` stays."""

    support_type: SupportType | _Unset = UNSET
    stage: CaseStage | _Unset = UNSET
    owner_user_id: int | _Unset = UNSET
    next_contact_on: date | _Unset | None = UNSET
    cadence: Cadence | _Unset = UNSET
    note: str | None = None


def do_update_case(
    session: Session, actor: Actor, *, case_id: int, change: CaseChange, purpose: Purpose
) -> SupportCase:
    """Change a case's support type, stage, owner officer, next contact or cadence (history
    kept: one event per changed field, with the note)."""
    action = "update_case"
    case = _own_open_case(session, actor, case_id, purpose, action)
    note = change.note.strip() if change.note and change.note.strip() else None
    changed: dict[str, str | None] = {}

    def put(name: str, new: object) -> None:
        old = getattr(case, name)
        if old != new:
            _event(session, actor, case, name, old, new, note)
            setattr(case, name, new)
            changed[name] = None if new is None else str(new)

    if not isinstance(change.support_type, _Unset):
        put("support_type", SupportType(change.support_type).value)
    if not isinstance(change.stage, _Unset):
        put("stage", CaseStage(change.stage).value)
    if not isinstance(change.owner_user_id, _Unset):
        put("owner_user_id", _check_officer(session, actor, change.owner_user_id, action).id)
    if not isinstance(change.next_contact_on, _Unset):
        put("next_contact_on", change.next_contact_on)
    if not isinstance(change.cadence, _Unset):
        put("cadence", Cadence(change.cadence).value)
    if note and not changed:
        _event(session, actor, case, "note", None, None, note)
    audit_write(
        session,
        actor,
        action,
        object_type="support_case",
        object_id=case.id,
        business_id=case.business_id,
        changed=changed,
        note=note,
    )
    return case


def do_close_case(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    outcome: Outcome,
    note: str | None,
    purpose: Purpose,
) -> SupportCase:
    """Close a case with its outcome (改善, 計画合意, 紹介, 条件変更・再生, 廃業 …)."""
    action = "close_case"
    case = _own_open_case(session, actor, case_id, purpose, action)
    case.status = CaseStatus.CLOSED.value
    case.outcome = Outcome(outcome).value
    case.outcome_note = note.strip() if note and note.strip() else None
    case.closed_at = _now()
    case.next_contact_on = None
    _event(session, actor, case, "status", CaseStatus.OPEN.value, CaseStatus.CLOSED.value, note)
    _event(session, actor, case, "outcome", None, case.outcome, note)
    audit_write(
        session,
        actor,
        action,
        object_type="support_case",
        object_id=case.id,
        business_id=case.business_id,
        outcome=case.outcome,
    )
    return case


@dataclass(frozen=True)
class ActionInput:
    what: str
    party: ActionParty
    due_on: date | None = None


@dataclass(frozen=True)
class DialogueInput:
    held_on: date
    channel: Channel
    topics: str
    attendees: Sequence[str] = ()
    place: str | None = None
    owner_said: str | None = None
    shared_with_owner: bool = False
    actions: Sequence[ActionInput] = ()
    attachments: Sequence[tuple[str, bytes]] = field(default_factory=tuple)


def do_add_dialogue(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    dialogue: DialogueInput,
    purpose: Purpose,
    raw_dir: Path,
) -> DialogueRecord:
    """Record a dialogue (面談記録) with its agreed actions and attachments, all or nothing.

    The case's next contact moves to the dialogue's date plus its cadence (none: unchanged)."""
    action = "add_dialogue"
    case = _own_open_case(session, actor, case_id, purpose, action)

    def bad(ja: str, en: str) -> Exception:
        return _refused(actor, action, case.business_id, case.id, Refused(ja, en))

    topics = dialogue.topics.strip()
    if not topics:
        raise bad("話し合った内容を入力してください", "Please enter the topics discussed.")
    for a in dialogue.actions:
        if not a.what.strip():
            raise bad("合意事項の内容を入力してください", "Please say what each agreed action is.")
    for name, data in dialogue.attachments:
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise bad(f"添付ファイルが大きすぎます: {name}", f"An attachment is too large: {name}")
    record = DialogueRecord(
        case_id=case.id,
        held_on=dialogue.held_on,
        channel=Channel(dialogue.channel).value,
        place=(dialogue.place or "").strip()[:200] or None,
        attendees="\n".join(a.strip() for a in dialogue.attendees if a.strip()),
        topics=topics,
        owner_said=(dialogue.owner_said or "").strip() or None,
        shared_with_owner=dialogue.shared_with_owner,
        created_at=_now(),
        created_by_user_id=actor.user_id,
    )
    session.add(record)
    session.flush()
    for a in dialogue.actions:
        session.add(
            DialogueAction(
                dialogue_id=record.id,
                what=a.what.strip(),
                party=ActionParty(a.party).value,
                due_on=a.due_on,
            )
        )
    files = []
    for name, data in dialogue.attachments:
        clean = Path(name).name[:400] or "attachment"
        raw = put_raw_file(session, raw_dir, data, clean)
        session.add(
            DialogueAttachment(dialogue_id=record.id, raw_sha256=raw.sha256, filename=clean)
        )
        files.append({"filename": clean, "sha256": raw.sha256})
    following = next_contact(Cadence(case.cadence), dialogue.held_on)
    if following is not None and following != case.next_contact_on:
        _event(session, actor, case, "next_contact_on", case.next_contact_on, following)
        case.next_contact_on = following
    audit_write(
        session,
        actor,
        action,
        object_type="dialogue_record",
        object_id=record.id,
        business_id=case.business_id,
        case_id=case.id,
        shared_with_owner=record.shared_with_owner,
        actions=len(dialogue.actions),
        attachments=files,
    )
    return record


def do_complete_action(
    session: Session,
    actor: Actor,
    *,
    action_id: int,
    done_on: date | None,
    purpose: Purpose,
    case_id: int | None = None,
) -> DialogueAction:
    """Mark an agreed action done on ``done_on`` (None: not done again); with ``case_id``, only
    an action of that case (another case's action is not found)."""
    row = session.get(DialogueAction, action_id)
    record = session.get(DialogueRecord, row.dialogue_id) if row else None
    if row is None or record is None or case_id not in (None, record.case_id):
        raise NotFound(f"action {action_id} not found")
    case = _own_open_case(session, actor, record.case_id, purpose, "complete_action")
    row.done_on = done_on
    audit_write(
        session,
        actor,
        "complete_action",
        object_type="dialogue_action",
        object_id=row.id,
        business_id=case.business_id,
        done_on=done_on.isoformat() if done_on else None,
    )
    return row


def do_comment_dialogue(
    session: Session, actor: Actor, *, dialogue_id: int, body: str, purpose: Purpose
) -> DialogueComment:
    """The owner's own comment on a record shared with them (officers of the case's
    organisation may answer on the same thread)."""
    action = "comment_dialogue"
    got, _view = read_dialogue(session, actor, dialogue_id, purpose)
    if got.mode == "consent":
        raise _refused(
            actor,
            action,
            got.case.business_id,
            got.case.id,
            PermissionError("another organisation reads this record only"),
        )
    text = body.strip()
    if not text:
        raise _refused(
            actor,
            action,
            got.case.business_id,
            got.case.id,
            Refused("コメントを入力してください", "Please enter a comment."),
        )
    comment = DialogueComment(
        dialogue_id=dialogue_id, user_id=actor.user_id, at=_now(), body=text[:4000]
    )
    session.add(comment)
    session.flush()
    audit_write(
        session,
        actor,
        action,
        object_type="dialogue_record",
        object_id=dialogue_id,
        business_id=got.case.business_id,
        comment_id=comment.id,
    )
    return comment


def do_set_non_financial(
    session: Session,
    actor: Actor,
    *,
    case_id: int,
    period: str,
    item: NonFinancialItem,
    body: str,
    purpose: Purpose,
) -> CaseNonFinancial:
    """Enter a non-financial ロカベン item of a case for a period (e.g. ``2026``, ``2026-09``);
    the same item and period again replaces the text (the audit log keeps the change)."""
    action = "set_non_financial"
    case = _own_open_case(session, actor, case_id, purpose, action)
    label = period.strip()
    if not label or len(label) > 16:
        raise _refused(
            actor,
            action,
            case.business_id,
            case.id,
            Refused(
                "期間を16文字以内で入力してください",
                "Please give the period in 1 to 16 characters.",
            ),
        )
    key = NonFinancialItem(item).value
    row = session.execute(
        select(CaseNonFinancial).where(
            CaseNonFinancial.case_id == case.id,
            CaseNonFinancial.period == label,
            CaseNonFinancial.item == key,
        )
    ).scalar_one_or_none()
    old = row.body if row else None
    if row is None:
        row = CaseNonFinancial(case_id=case.id, period=label, item=key, body="")
        session.add(row)
    row.body = body.strip()
    row.updated_at = _now()
    row.updated_by_user_id = actor.user_id
    session.flush()
    audit_write(
        session,
        actor,
        action,
        object_type="support_case",
        object_id=case.id,
        business_id=case.business_id,
        period=label,
        item=key,
        replaced=old is not None,
    )
    return row
