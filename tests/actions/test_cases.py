"""Support cases: opened by hand or from flags, changed with history, dialogue records with
agreed actions, attachments and the owner's comments, reminders by cadence, closed with an
outcome; another organisation reads only under a 定性・面談記録 consent, and never writes."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from kizashi.access.cases import due_reminders, list_cases, read_case, shared_dialogues
from kizashi.actions.cases import (
    ActionInput,
    CaseChange,
    DialogueInput,
    do_add_dialogue,
    do_close_case,
    do_comment_dialogue,
    do_open_case,
    do_set_non_financial,
    do_update_case,
)
from kizashi.actions.consent import do_grant_consent
from kizashi.domain.support import (
    ActionParty,
    Cadence,
    Channel,
    NonFinancialItem,
    Outcome,
    SupportType,
)
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent
from kizashi.store.rawfiles import read_raw_file
from kizashi.store.support_models import DialogueRecord, SupportCase, SupportCaseFlag
from tests.actions.test_flag_responses import flagged  # noqa: F401  (fixture)
from tests.world import TODAY, make_world

S = Purpose.SUPPORT


def _count(s, model) -> int:
    return s.execute(select(func.count()).select_from(model)).scalar_one()


def _open(store, w, **kw):
    with store.session() as s:
        case = do_open_case(
            s,
            w.actors["a_officer"],
            business_id=w.business.id,
            purpose=S,
            support_type=SupportType.IMPROVEMENT,
            title="資金繰りの相談",
            cadence=Cadence.MONTHLY,
            next_contact_on=date(2026, 12, 1),
            **kw,
        )
        return case.id


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def test_case_life_with_dialogue_shared_with_the_owner(store, world, tmp_path):
    w = world
    case_id = _open(store, w)
    officer, owner = w.actors["a_officer"], w.actors["owner"]
    pdf = b"%PDF-1.4 minutes"
    with store.session() as s:
        do_update_case(
            s,
            officer,
            case_id=case_id,
            change=CaseChange(support_type=SupportType.TURNAROUND, note="債務超過のため"),
            purpose=S,
        )
        rec = do_add_dialogue(
            s,
            officer,
            case_id=case_id,
            dialogue=DialogueInput(
                held_on=date(2026, 11, 20),
                channel=Channel.VISIT,
                place="本社",
                attendees=["代表取締役 山田", "顧問税理士 佐藤"],
                topics="売上減少と資金繰り",
                owner_said="主要取引先の発注が減った",
                shared_with_owner=True,
                actions=[
                    ActionInput("資金繰り表を作る", ActionParty.OWNER, date(2026, 12, 10)),
                    ActionInput("条件変更の検討", ActionParty.OFFICER, date(2026, 11, 30)),
                ],
                attachments=[("議事メモ.pdf", pdf)],
            ),
            purpose=S,
            raw_dir=tmp_path / "raw",
        )
        rec_id = rec.id
        do_add_dialogue(
            s,
            officer,
            case_id=case_id,
            dialogue=DialogueInput(
                held_on=date(2026, 11, 21), channel=Channel.PHONE, topics="内部の検討メモ"
            ),
            purpose=S,
            raw_dir=tmp_path / "raw",
        )
        do_set_non_financial(
            s,
            officer,
            case_id=case_id,
            period="2026",
            item=NonFinancialItem.MANAGER,
            body="後継者は長男",
            purpose=S,
        )
    sha = hashlib.sha256(pdf).hexdigest()
    assert read_raw_file(tmp_path / "raw", sha) == pdf
    with store.session() as s:
        detail = read_case(s, officer, case_id, S, today=TODAY)
        assert detail.row.support_type == "turnaround"
        # history: opened as 経営改善, changed to 事業再生 with the reason
        types = [(e.old, e.new, e.note) for e in detail.history if e.field == "support_type"]
        assert types == [
            (None, "improvement", None),
            ("improvement", "turnaround", "債務超過のため"),
        ]
        # the monthly cadence moved the next contact to a month after the latest dialogue
        assert detail.row.next_contact_on == date(2026, 12, 21)
        assert len(detail.dialogues) == 2
        first = next(d for d in detail.dialogues if d.id == rec_id)
        assert first.attendees == ["代表取締役 山田", "顧問税理士 佐藤"]
        assert [a.party for a in first.actions] == ["owner", "officer"]
        assert first.attachments[0].sha256 == sha
        assert [(n.period, n.item, n.body) for n in detail.non_financial] == [
            ("2026", "manager", "後継者は長男")
        ]
        reminders = due_reminders(s, officer, today=TODAY)
        # the officer's own action is due (overdue after 30 Nov); the owner's is not the officer's
        assert [(r.kind, r.due_on) for r in reminders] == [("action", date(2026, 11, 30))]
        # the owner sees only the shared record, and comments on it
        shared = shared_dialogues(s, owner, w.business.id, S)
        assert [d.id for d in shared] == [rec_id]
        assert read_case(s, owner, case_id, S).dialogues[0].id == rec_id
    with store.session() as s:
        do_comment_dialogue(
            s, owner, dialogue_id=rec_id, body="資金繰り表は来週送ります", purpose=S
        )
    with store.session() as s:
        shared = shared_dialogues(s, owner, w.business.id, S)
        assert [c.body for c in shared[0].comments] == ["資金繰り表は来週送ります"]
        hidden = s.execute(
            select(DialogueRecord.id).where(DialogueRecord.shared_with_owner.is_(False))
        ).scalar_one()
    with pytest.raises(NotFound), store.session() as s:
        do_comment_dialogue(s, owner, dialogue_id=hidden, body="x", purpose=S)
    with store.session() as s:
        do_close_case(
            s, officer, case_id=case_id, outcome=Outcome.PLAN_AGREED, note="計画合意", purpose=S
        )
    with store.session() as s:
        case = s.get(SupportCase, case_id)
        assert (case.status, case.outcome, case.next_contact_on) == ("closed", "plan_agreed", None)
        assert due_reminders(s, officer, today=TODAY) == []
        actions = {
            a
            for (a,) in s.execute(
                select(AuditEvent.action).where(AuditEvent.decision == "write")
            ).all()
        }
    assert {"open_case", "update_case", "add_dialogue", "comment_dialogue", "close_case"} <= actions
    # a closed case takes no more changes
    with pytest.raises(ValueError), store.session() as s:
        do_update_case(s, officer, case_id=case_id, change=CaseChange(note="x"), purpose=S)


def test_other_organisation_reads_only_under_qualitative_consent_and_never_writes(store, world):
    w = world
    case_id = _open(store, w)
    bank_b, cgc = w.actors["b_officer"], w.actors["cgc_officer"]
    for actor in (bank_b, cgc, w.actors["a_admin"], w.actors["other_owner"]):
        with pytest.raises(NotFound), store.session() as s:
            read_case(s, actor, case_id, S, today=TODAY)
        with store.session() as s:
            assert list_cases(s, actor, S, today=TODAY) == []
    with store.session() as s:
        denials = s.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.decision == "deny", AuditEvent.action == "read_case")
        ).scalar_one()
    assert denials == 4
    # a consent for another purpose or another category opens nothing
    with store.session() as s:
        do_grant_consent(
            s,
            w.actors["owner"],
            business=w.business,
            grantee=w.bank_b,
            categories=[Category.FLAGS],
            purpose=S,
            valid_from=date(2026, 4, 1),
        )
    with pytest.raises(NotFound), store.session() as s:
        read_case(s, bank_b, case_id, S, today=TODAY)
    with store.session() as s:
        do_grant_consent(
            s,
            w.actors["owner"],
            business=w.business,
            grantee=w.bank_b,
            categories=[Category.QUALITATIVE],
            purpose=S,
            valid_from=date(2026, 4, 1),
        )
    with store.session() as s:
        detail = read_case(s, bank_b, case_id, S, today=TODAY)
        assert detail.mode == "consent"
        assert [c.id for c in list_cases(s, bank_b, S, today=TODAY)] == [case_id]
    with pytest.raises(PermissionError), store.session() as s:
        do_update_case(s, bank_b, case_id=case_id, change=CaseChange(note="x"), purpose=S)
    with store.session() as s:
        assert _count(s, SupportCase) == 1
        denied = s.execute(
            select(AuditEvent.action).where(
                AuditEvent.decision == "deny", AuditEvent.action == "update_case"
            )
        ).all()
        assert len(denied) == 1


def test_opening_needs_sight_of_the_business_and_an_officer(store, world):
    w = world
    with pytest.raises(NotFound), store.session() as s:  # bank B is not linked to it
        do_open_case(
            s,
            w.actors["b_officer"],
            business_id=w.business.id,
            purpose=S,
            support_type=SupportType.CORE_BUSINESS,
        )
    with pytest.raises(PermissionError), store.session() as s:
        do_open_case(
            s,
            w.actors["owner"],
            business_id=w.business.id,
            purpose=S,
            support_type=SupportType.CORE_BUSINESS,
        )
    with pytest.raises(ValueError), store.session() as s:  # owner officer of another org
        do_open_case(
            s,
            w.actors["a_officer"],
            business_id=w.business.id,
            purpose=S,
            support_type=SupportType.CORE_BUSINESS,
            owner_user_id=w.actors["b_officer"].user_id,
        )
    with store.session() as s:
        assert _count(s, SupportCase) == 0


def test_a_case_opens_from_the_flags_the_officer_sees(store, flagged):  # noqa: F811
    w, flag_id, _ids = flagged
    with store.session() as s:  # bank A sees the flags under its consent (monitoring)
        case = do_open_case(
            s,
            w.actors["a_officer"],
            business_id=w.business.id,
            purpose=Purpose.MONITORING,
            support_type=SupportType.IMPROVEMENT,
            flag_ids=[flag_id],
        )
        case_id = case.id
    with store.session() as s:
        assert s.execute(select(SupportCaseFlag.flag_id)).scalars().all() == [flag_id]
        assert read_case(s, w.actors["a_officer"], case_id, Purpose.MONITORING).flag_ids == [
            flag_id
        ]
    with pytest.raises(NotFound), store.session() as s:  # bank B: no flags consent
        do_open_case(
            s,
            w.actors["b_officer"],
            business_id=w.business.id,
            purpose=Purpose.MONITORING,
            support_type=SupportType.IMPROVEMENT,
            flag_ids=[flag_id],
        )


def test_a_change_of_officer_reads_as_names_in_the_history(store, world):
    from kizashi.access import Actor
    from kizashi.actions.organisations import do_add_user
    from kizashi.domain.vocabulary import Role

    w = world
    case_id = _open(store, w)
    with store.session() as s:
        other = do_add_user(
            s,
            Actor.system(),
            org=w.bank_a,
            login="a_officer2",
            password="password-123456",
            display_name="二人目の担当",
            role=Role.OFFICER,
        )
        s.flush()
        do_update_case(
            s,
            w.actors["a_officer"],
            case_id=case_id,
            change=CaseChange(owner_user_id=other.id, note="異動のため"),
            purpose=S,
        )
    with store.session() as s:
        detail = read_case(s, w.actors["a_officer"], case_id, S)
        moves = [(e.old, e.new) for e in detail.history if e.field == "owner_user_id"]
        assert moves == [("a_officer", "二人目の担当")]
        assert detail.row.owner_name == "二人目の担当"
