"""Referrals across organisations: bank A refers the business to the 活性化協議会; the council
sees nothing before the owner approves, then exactly what the owner chose (the flags, one
dialogue record — not the others, not the indicators); accepting opens a case at the council
linked both ways; declining or withdrawing ends the grants; each step by its party only."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kizashi.access import Actor
from kizashi.access.cases import list_cases, read_case
from kizashi.access.monitoring import read_flags, read_indicators
from kizashi.access.referrals import list_referrals, read_referral
from kizashi.actions.cases import DialogueInput, do_add_dialogue, do_open_case
from kizashi.actions.organisations import do_add_organisation, do_add_user
from kizashi.actions.referrals import (
    ReferralError,
    do_accept_referral,
    do_approve_referral,
    do_create_referral,
    do_decline_referral,
    do_refuse_referral,
    do_withdraw_referral,
)
from kizashi.domain.referrals import ReferralKind, ReferralStatus
from kizashi.domain.support import Channel, SupportType
from kizashi.domain.vocabulary import OrgKind, Purpose, Role
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent, ConsentGrant, Flag
from kizashi.store.referral_models import Referral
from kizashi.store.support_models import SupportCase
from tests.actions.test_flag_responses import flagged  # noqa: F401  (fixture)
from tests.world import SYSTEM, TODAY

S = Purpose.SUPPORT
R = Purpose.REFERRAL


def _council(store) -> tuple[int, Actor]:
    with store.session() as s:
        org = do_add_organisation(
            s, SYSTEM, kind=OrgKind.REVITALIZATION, name="テスト活性化協議会", code="council"
        )
        user = do_add_user(
            s,
            SYSTEM,
            org=org,
            login="council_officer",
            password="password123",
            display_name="協議会担当",
            role=Role.OFFICER,
        )
        return org.id, Actor.from_user(user)


def _setup(store, w, tmp_path):
    """Bank A's case with three records: two shared with the owner, one internal."""
    officer = w.actors["a_officer"]
    with store.session() as s:
        case = do_open_case(
            s, officer, business_id=w.business.id, purpose=S, support_type=SupportType.IMPROVEMENT
        )
        ids = []
        for day, topics, shared in (
            (date(2026, 10, 1), "資金繰りの確認", True),
            (date(2026, 11, 1), "再生の相談", True),
            (date(2026, 11, 10), "行内の検討メモ", False),
        ):
            ids.append(
                do_add_dialogue(
                    s,
                    officer,
                    case_id=case.id,
                    dialogue=DialogueInput(
                        held_on=day,
                        channel=Channel.VISIT,
                        topics=topics,
                        attendees=["社長"],
                        shared_with_owner=shared,
                    ),
                    purpose=S,
                    raw_dir=tmp_path / "raw",
                ).id
            )
        return case.id, ids


def _create(store, w, to_org_id, case_id=None) -> int:
    with store.session() as s:
        return do_create_referral(
            s,
            w.actors["a_officer"],
            business_id=w.business.id,
            to_org_id=to_org_id,
            kind=ReferralKind.REVITALIZATION,
            note="借入過多で返済が厳しい。再生計画の検討をお願いしたい。",
            from_case_id=case_id,
            today=TODAY,
        ).id


def test_the_council_sees_exactly_what_the_owner_sent_and_the_cases_link(
    store,
    flagged,  # noqa: F811
    tmp_path,
    settings,
):
    w, flag_id, _ = flagged
    council_org, council = _council(store)
    case_id, (shared_1, shared_2, internal) = _setup(store, w, tmp_path)
    ref_id = _create(store, w, council_org, case_id)

    # before the owner's approval the council sees nothing: not the referral, not the flags
    with store.session() as s:
        assert list_referrals(s, council) == []
        assert [r.id for r in list_referrals(s, w.actors["a_officer"])] == [ref_id]
        assert [r.id for r in list_referrals(s, w.actors["owner"])] == [ref_id]
    for read in (
        lambda s: read_referral(s, council, ref_id),
        lambda s: read_flags(s, council, w.business.id, R, today=TODAY),
    ):
        with pytest.raises(NotFound), store.session() as s:
            read(s)
    with pytest.raises(NotFound), store.session() as s:
        do_accept_referral(s, council, referral_id=ref_id)

    # the owner may choose only records shared with them
    with store.session() as s:
        detail = read_referral(s, w.actors["owner"], ref_id)
        assert {d.id for d in detail.selectable} == {shared_1, shared_2}
    with pytest.raises(ReferralError), store.session() as s:
        do_approve_referral(
            s,
            w.actors["owner"],
            referral_id=ref_id,
            share_flags=True,
            share_indicators=False,
            dialogue_ids=[internal],
        )
    # the bank cannot approve for the owner
    with pytest.raises(PermissionError), store.session() as s:
        do_approve_referral(
            s, w.actors["a_officer"], referral_id=ref_id, share_flags=True, share_indicators=True
        )
    with store.session() as s:
        do_approve_referral(
            s,
            w.actors["owner"],
            referral_id=ref_id,
            share_flags=True,
            share_indicators=False,
            dialogue_ids=[shared_2],
            today=TODAY,
        )
        grants = s.execute(
            select(ConsentGrant.category, ConsentGrant.purpose).where(
                ConsentGrant.grantee_org_id == council_org
            )
        ).all()
        assert sorted(c.value for c, _ in grants) == ["flags", "profile", "qualitative"]
        assert {p for _, p in grants} == {R}

    with store.session() as s:
        [row] = list_referrals(s, council, box="received")
        assert row.status == ReferralStatus.PENDING and row.party == "receiver"
        detail = read_referral(s, council, ref_id, data_dir=settings.data_dir, today=TODAY)
        open_flags = set(
            s.execute(
                select(Flag.id).where(
                    Flag.business_id == w.business.id, Flag.is_open.is_(True), Flag.org_id.is_(None)
                )
            ).scalars()
        )
        assert flag_id in open_flags and {f.id for f in detail.flags} == open_flags
        assert [d.id for d in detail.dialogues] == [shared_2]
        assert detail.dialogues[0].topics == "再生の相談"
        assert detail.indicators is None
        # the sender's other records stay with the sender
        assert "行内の検討メモ" not in repr(detail)
    with pytest.raises(NotFound), store.session() as s:
        read_indicators(s, council, settings.data_dir, w.business.id, R, today=TODAY)
    for purpose in (S, R):  # the sender's case itself stays with the sender
        with pytest.raises(NotFound), store.session() as s:
            read_case(s, council, case_id, purpose, today=TODAY)
    with store.session() as s:
        assert list_cases(s, council, R, today=TODAY) == []

    with store.session() as s:
        ref, new_case = do_accept_referral(s, council, referral_id=ref_id, today=TODAY)
        new_case_id = new_case.id
        assert ref.status == ReferralStatus.ACCEPTED
    with store.session() as s:
        mine = read_case(s, council, new_case_id, S, today=TODAY)
        assert mine.row.linked_case_id == case_id and mine.row.org_id == council_org
        theirs = read_case(s, w.actors["a_officer"], case_id, S, today=TODAY)
        assert theirs.row.linked_case_id == new_case_id
        for who in ("a_officer", "owner"):
            [row] = list_referrals(s, w.actors[who])
            assert row.status == ReferralStatus.ACCEPTED and row.to_case_id == new_case_id
        actions = set(s.execute(select(AuditEvent.action)).scalars())
        assert {"create_referral", "approve_referral", "accept_referral"} <= actions
    # answered: no second answer, no withdrawal
    with pytest.raises(ReferralError), store.session() as s:
        do_decline_referral(s, council, referral_id=ref_id, reason="重複")
    with pytest.raises(ReferralError), store.session() as s:
        do_withdraw_referral(s, w.actors["a_officer"], referral_id=ref_id)


def test_decline_withdraw_and_refuse_end_what_travelled(store, flagged, tmp_path):  # noqa: F811
    w, _, _ = flagged
    council_org, council = _council(store)
    ref_id = _create(store, w, council_org)
    with store.session() as s:
        do_approve_referral(
            s, w.actors["owner"], referral_id=ref_id, share_flags=True, share_indicators=True
        )
    with pytest.raises(ReferralError), store.session() as s:
        do_decline_referral(s, council, referral_id=ref_id, reason="  ")
    with store.session() as s:
        do_decline_referral(s, council, referral_id=ref_id, reason="対象外の業種のため")
    with store.session() as s:
        open_grants = s.execute(
            select(func.count())
            .select_from(ConsentGrant)
            .where(ConsentGrant.grantee_org_id == council_org, ConsentGrant.revoked_at.is_(None))
        ).scalar_one()
        assert open_grants == 0
        [row] = list_referrals(s, w.actors["a_officer"])
        assert row.status == ReferralStatus.DECLINED and row.reason == "対象外の業種のため"
    with pytest.raises(NotFound), store.session() as s:
        read_flags(s, council, w.business.id, R, today=TODAY)

    # a new referral to the same council: the owner refuses; the council never sees it
    second = _create(store, w, council_org)
    with store.session() as s:
        do_refuse_referral(s, w.actors["owner"], referral_id=second, reason="まだ早い")
    with store.session() as s:
        assert [r.id for r in list_referrals(s, council)] == [ref_id]
    # a third: approved, then withdrawn by the bank (the other bank may not)
    third = _create(store, w, council_org)
    with store.session() as s:
        do_approve_referral(
            s, w.actors["owner"], referral_id=third, share_flags=True, share_indicators=False
        )
    with pytest.raises(NotFound), store.session() as s:
        do_withdraw_referral(s, w.actors["b_officer"], referral_id=third)
    with store.session() as s:
        do_withdraw_referral(s, w.actors["a_officer"], referral_id=third)
        assert s.get(Referral, third).status == ReferralStatus.WITHDRAWN
    with pytest.raises(NotFound), store.session() as s:
        read_flags(s, council, w.business.id, R, today=TODAY)
    with store.session() as s:
        assert s.execute(select(func.count()).select_from(SupportCase)).scalar_one() == 0


def test_bad_referrals_are_refused(store, flagged):  # noqa: F811
    w, _, _ = flagged
    with pytest.raises(ReferralError), store.session() as s:
        _create(store, w, w.bank_a.id)  # to itself
    with pytest.raises(ReferralError), store.session() as s:
        do_create_referral(
            s,
            w.actors["a_officer"],
            business_id=w.business.id,
            to_org_id=w.guarantor.id,
            kind=ReferralKind.GUARANTOR_SUPPORT,
            note="   ",
        )
    # the owner cannot refer; an officer of an organisation that cannot see the business neither
    with pytest.raises(PermissionError), store.session() as s:
        do_create_referral(
            s,
            w.actors["owner"],
            business_id=w.business.id,
            to_org_id=w.guarantor.id,
            kind=ReferralKind.GUARANTOR_SUPPORT,
            note="x",
        )
    with pytest.raises(NotFound), store.session() as s:
        do_create_referral(
            s,
            w.actors["a_officer"],
            business_id=w.other_business.id,
            to_org_id=w.guarantor.id,
            kind=ReferralKind.GUARANTOR_SUPPORT,
            note="x",
        )
    _create(store, w, w.guarantor.id)
    with pytest.raises(ReferralError), store.session() as s:
        _create(store, w, w.guarantor.id)  # one open referral per receiver
