"""Consent's whole life on SQLite and PostgreSQL: grant, revoke, request, answer (all, part,
none), withdraw, expire, 包括同意 — each write audited, each refusal audited and changing
nothing, and reads following the grants at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kizashi.access import access_business_by_id
from kizashi.access.consent import (
    access_business_for_request,
    grant_for_owner,
    read_business_consents,
    read_organisation_consents,
    request_for_owner,
    request_for_requester,
    who_looked,
)
from kizashi.actions.consent import (
    ConsentError,
    ConsentRefused,
    do_grant_consent,
    do_record_application_consent,
    do_request_consent,
    do_respond_consent_request,
    do_revoke_consent,
    do_withdraw_consent_request,
)
from kizashi.domain.consent import GrantSource, GrantStanding, RequestStatus
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent, ConsentGrant, ConsentRequest
from tests.world import make_world

F, L, P, Q = Category.FINANCIALS, Category.LOANS, Category.PROFILE, Category.QUALITATIVE
CR = Purpose.CREDIT_REVIEW
TODAY = date.today()


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def _count(store, model) -> int:
    with store.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def _last(store) -> AuditEvent:
    with store.session() as s:
        return s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()


def _can_read(store, actor, business_id, category, purpose) -> bool:
    try:
        with store.session() as s:
            access_business_by_id(s, actor, business_id, category, purpose)
        return True
    except NotFound:
        return False


def _ask(store, world, categories=(F, L, Q), **kw):
    with store.session() as s:
        business = access_business_for_request(s, world.actors["a_officer"], world.business.id)
        req = do_request_consent(
            s,
            world.actors["a_officer"],
            business=business,
            categories=categories,
            purpose=CR,
            reason="新規融資の審査のため",
            valid_from=TODAY,
            valid_to=TODAY + timedelta(days=90),
            expiry_days=30,
            **kw,
        )
        return req.id


def test_grant_then_revoke_takes_effect_at_once(store, world):
    owner, bank = world.actors["owner"], world.actors["b_officer"]
    assert not _can_read(store, bank, world.business.id, Q, Purpose.SUPPORT)
    with store.session() as s:
        grants = do_grant_consent(
            s,
            owner,
            business=s.merge(world.business),
            grantee=s.merge(world.bank_b),
            categories=[Q, P],
            purpose=Purpose.SUPPORT,
            valid_from=TODAY,
            valid_to=TODAY + timedelta(days=10),
        )
        ids = [g.id for g in grants]
    assert _can_read(store, bank, world.business.id, Q, Purpose.SUPPORT)
    assert not _can_read(store, bank, world.business.id, Q, Purpose.MONITORING)  # other purpose
    assert _last(store).decision == "deny"
    with store.session() as s:
        view = read_business_consents(s, owner, world.business.id)
        mine = [g for g in view.grants if g.id in ids]
        assert {g.standing for g in mine} == {GrantStanding.ENDING_SOON}  # ends within 30 days
        assert {g.source for g in mine} == {GrantSource.OWNER}
        do_revoke_consent(s, owner, grant=grant_for_owner(s, owner, ids[0]))
    assert not _can_read(store, bank, world.business.id, Q, Purpose.SUPPORT)
    with store.session() as s:
        events = (
            s.execute(select(AuditEvent.action).where(AuditEvent.object_type == "consent_grant"))
            .scalars()
            .all()
        )
    assert events.count("revoke_consent") == 1
    assert events.count("grant_consent") >= 2


def test_expired_grant_stops_reads(store, world):
    owner, bank = world.actors["owner"], world.actors["b_officer"]
    with store.session() as s:
        do_grant_consent(
            s,
            owner,
            business=s.merge(world.business),
            grantee=s.merge(world.bank_b),
            categories=[F],
            purpose=Purpose.SUPPORT,
            valid_from=TODAY - timedelta(days=10),
            valid_to=TODAY,
        )
    assert _can_read(store, bank, world.business.id, F, Purpose.SUPPORT)
    with store.session() as s:
        access_business_by_id(s, bank, world.business.id, F, Purpose.SUPPORT, today=TODAY)
        with pytest.raises(NotFound):
            access_business_by_id(
                s, bank, world.business.id, F, Purpose.SUPPORT, today=TODAY + timedelta(days=1)
            )
    with store.session() as s:
        view = read_business_consents(s, owner, world.business.id, today=TODAY + timedelta(1))
        assert GrantStanding.EXPIRED in {g.standing for g in view.past_grants()}


def test_request_approved_in_part_grants_exactly_that_part(store, world):
    bank = world.actors["a_officer"]
    rid = _ask(store, world)
    assert not _can_read(store, bank, world.business.id, F, CR)
    with store.session() as s:
        pending = read_business_consents(s, world.actors["owner"], world.business.id)
        assert [r.id for r in pending.pending_requests()] == [rid]
        req = request_for_owner(s, world.actors["owner"], rid)
        grants = do_respond_consent_request(
            s, world.actors["owner"], request=req, approve=[F, L], note="定性は不可"
        )
        assert {g.category for g in grants} == {F, L}
        assert {g.request_id for g in grants} == {rid}
    assert _can_read(store, bank, world.business.id, F, CR)
    assert _can_read(store, bank, world.business.id, L, CR)
    assert not _can_read(store, bank, world.business.id, Q, CR)
    with store.session() as s:
        mine = read_organisation_consents(s, bank, business_id=world.business.id)
        (out,) = [r for r in mine.requests if r.id == rid]
        assert out.status == RequestStatus.PARTLY_APPROVED
        assert out.approved == (F, L) and out.note == "定性は不可"
        assert {g.category for g in mine.grants if g.purpose == CR} == {F, L}
    assert _last(store).action == "list_consents"
    # answered: a second answer is refused
    with store.session() as s, pytest.raises(ConsentError) as exc:
        do_respond_consent_request(
            s, world.actors["owner"], request=s.get(ConsentRequest, rid), approve=[Q]
        )
    assert exc.value.code == "not_pending"


def test_request_declined_with_reason_and_approved_in_full(store, world):
    rid = _ask(store, world, categories=(F,))
    with store.session() as s:
        req = request_for_owner(s, world.actors["owner"], rid)
        assert (
            do_respond_consent_request(
                s, world.actors["owner"], request=req, approve=[], note="今は考えていません"
            )
            == []
        )
        assert req.status == RequestStatus.DECLINED
    rid2 = _ask(store, world, categories=(F, Q))
    with store.session() as s:
        req = request_for_owner(s, world.actors["owner"], rid2)
        do_respond_consent_request(s, world.actors["owner"], request=req, approve=[F, Q])
        assert req.status == RequestStatus.APPROVED
        with pytest.raises(ConsentError) as exc:
            do_respond_consent_request(
                s, world.actors["owner"], request=s.get(ConsentRequest, rid), approve=[P]
            )
        assert exc.value.code == "not_pending"


def test_only_categories_asked_for_can_be_approved(store, world):
    rid = _ask(store, world, categories=(F,))
    before = _count(store, ConsentGrant)
    with store.session() as s, pytest.raises(ConsentError) as exc:
        req = request_for_owner(s, world.actors["owner"], rid)
        do_respond_consent_request(s, world.actors["owner"], request=req, approve=[F, Q])
    assert exc.value.code == "not_requested"
    assert _count(store, ConsentGrant) == before


def test_requests_expire(store, world):
    rid = _ask(store, world)
    later = TODAY + timedelta(days=31)
    with store.session() as s:
        view = read_business_consents(s, world.actors["owner"], world.business.id, today=later)
        assert [r.status for r in view.requests] == [RequestStatus.EXPIRED]
        with pytest.raises(ConsentError) as exc:
            do_respond_consent_request(
                s,
                world.actors["owner"],
                request=request_for_owner(s, world.actors["owner"], rid),
                approve=[F],
                today=later,
            )
        assert exc.value.code == "expired"


def test_requester_withdraws_and_others_cannot(store, world):
    rid = _ask(store, world)
    for login in ("b_officer", "owner", "cgc_officer"):
        with pytest.raises(NotFound), store.session() as s:
            request_for_requester(s, world.actors[login], rid)
        assert _last(store).decision == "deny"
    with store.session() as s:
        req = request_for_requester(s, world.actors["a_officer"], rid)
        do_withdraw_consent_request(s, world.actors["a_officer"], request=req)
    with store.session() as s:
        assert s.get(ConsentRequest, rid).status == RequestStatus.WITHDRAWN
    assert _last(store).action == "withdraw_consent_request"


def test_who_may_ask(store, world):
    # who may ask is who knows the business (access.rule.knows_condition): bank B lends to it
    # (its own loan) though it is neither linked nor granted anything, so it may ask
    with store.session() as s:
        assert access_business_for_request(s, world.actors["b_officer"], world.business.id)
    assert _last(store).decision == "allow"
    for login in ("owner", "a_admin", "other_owner"):
        with pytest.raises(NotFound), store.session() as s:
            access_business_for_request(s, world.actors[login], world.business.id)
        assert _last(store).decision == "deny"
    assert _count(store, ConsentRequest) == 0
    with store.session() as s, pytest.raises(ConsentError) as exc:
        business = access_business_for_request(s, world.actors["a_officer"], world.business.id)
        do_request_consent(
            s,
            world.actors["a_officer"],
            business=business,
            categories=[F],
            purpose=CR,
            reason="   ",
            valid_from=TODAY,
            valid_to=None,
            expiry_days=30,
        )
    assert exc.value.code == "reason"


def test_only_the_business_answers_and_revokes(store, world):
    rid = _ask(store, world)
    with store.session() as s:
        gid = s.execute(select(ConsentGrant.id).limit(1)).scalar_one()
    for login in ("a_officer", "other_owner", "cgc_officer"):
        with pytest.raises(NotFound), store.session() as s:
            request_for_owner(s, world.actors[login], rid)
        with pytest.raises(NotFound), store.session() as s:
            grant_for_owner(s, world.actors[login], gid)
    with pytest.raises(ConsentRefused), store.session() as s:
        do_respond_consent_request(
            s, world.actors["a_officer"], request=s.get(ConsentRequest, rid), approve=[F]
        )
    last = _last(store)
    assert (last.action, last.decision) == ("respond_consent_request", "deny")
    with store.session() as s:
        assert s.get(ConsentRequest, rid).status == RequestStatus.PENDING


def test_application_consent_recorded_by_linked_lender_revoked_by_owner(store, world):
    bank = world.actors["a_officer"]
    with store.session() as s:
        grants = do_record_application_consent(
            s,
            bank,
            business=s.merge(world.business),
            categories=[F, L, Q],
            purpose=CR,
            valid_from=TODAY,
            valid_to=TODAY + timedelta(days=365),
            document_ref="融資申込書 No.2026-0815",
        )
        ids = [g.id for g in grants]
    assert _can_read(store, bank, world.business.id, Q, CR)
    with store.session() as s:
        view = read_business_consents(s, world.actors["owner"], world.business.id)
        recorded = [g for g in view.grants if g.id in ids]
        assert {g.source for g in recorded} == {GrantSource.APPLICATION}
        assert {g.document_ref for g in recorded} == {"融資申込書 No.2026-0815"}
        assert {g.granted_by for g in recorded} == {"a_officer"}
        for gid in ids:
            do_revoke_consent(
                s, world.actors["owner"], grant=grant_for_owner(s, world.actors["owner"], gid)
            )
    assert not _can_read(store, bank, world.business.id, Q, CR)
    # bank B is not linked; an owner records nothing; a reference is required
    before = _count(store, ConsentGrant)
    for login in ("b_officer", "owner"):
        with pytest.raises(ConsentRefused), store.session() as s:
            do_record_application_consent(
                s,
                world.actors[login],
                business=s.merge(world.business),
                categories=[F],
                purpose=CR,
                valid_from=TODAY,
                valid_to=None,
                document_ref="x",
            )
        assert _last(store).decision == "deny"
    with pytest.raises(ConsentError), store.session() as s:
        do_record_application_consent(
            s,
            bank,
            business=s.merge(world.business),
            categories=[F],
            purpose=CR,
            valid_from=TODAY,
            valid_to=None,
            document_ref="  ",
        )
    assert _count(store, ConsentGrant) == before


def test_who_looked_lists_other_organisations_reads(store, world):
    cgc = world.actors["cgc_officer"]
    assert _can_read(store, cgc, world.business.id, F, Purpose.MONITORING)
    assert not _can_read(store, world.actors["b_officer"], world.business.id, Q, CR)
    assert _can_read(store, world.actors["owner"], world.business.id, F, Purpose.MONITORING)
    with store.session() as s:
        looks = who_looked(s, world.actors["owner"], world.business.id)
    assert [(x.org_name, x.person, x.refused) for x in looks[:2]] == [
        ("B信用金庫", "b_officer", True),
        ("テスト信用保証協会", "cgc_officer", False),
    ]
    assert looks[1].categories == ("financials",) and looks[1].purpose == Purpose.MONITORING
    assert all(x.org_name != world.business.name for x in looks)  # its own reads left out
    for login in ("cgc_officer", "other_owner", "a_auditor"):
        with pytest.raises(NotFound), store.session() as s:
            who_looked(s, world.actors[login], world.business.id)
