"""The access rules, branch by branch, on SQLite and PostgreSQL.

On every denial: the same NotFound as for a missing business, nothing returned, nothing
changed, and the denial is in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from kizashi.access import access_business_by_id, access_loans_by_business
from kizashi.actions.consent import do_revoke_consent
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent, ConsentGrant, Organisation
from tests.world import TODAY, make_world

F, M = Category.FINANCIALS, Purpose.MONITORING


@pytest.fixture
def world(store):
    with store.session() as s:
        w = make_world(s)
    return w


def _try(store, actor, business_id, category=F, purpose=M, today=TODAY):
    """Read in a unit of work that also makes an unrelated change, to prove rollback."""
    with store.session() as s:
        probe = Organisation(
            kind="bank",
            name="should not persist",
            code=f"x-{uuid.uuid4().hex}",
            created_at=datetime.now(UTC),
        )
        s.add(probe)
        s.flush()
        name = access_business_by_id(s, actor, business_id, category, purpose, today=today).name
        s.delete(probe)  # the probe only proves that a denial rolls back the unit of work
        return name


def _audit(store):
    with store.session() as s:
        return s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()


def _orgs_named_should_not_persist(store) -> int:
    with store.session() as s:
        return s.execute(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.name == "should not persist")
        ).scalar_one()


def _assert_denied(store, actor, business_id, **kw):
    with pytest.raises(NotFound) as exc:
        _try(store, actor, business_id, **kw)
    assert str(exc.value) == f"business {business_id} not found"
    assert _orgs_named_should_not_persist(store) == 0
    last = _audit(store)
    assert last.decision == "deny"
    assert last.actor_user_id == actor.user_id
    assert last.business_id == business_id
    return last


def test_allowed_with_consent(store, world):
    assert _try(store, world.actors["cgc_officer"], world.business.id) == "株式会社テスト工業"
    last = _audit(store)
    assert (last.decision, last.category, last.purpose) == ("allow", "financials", "monitoring")
    assert "consent grant" in last.detail


def test_owner_sees_own_business_only(store, world):
    assert _try(store, world.actors["owner"], world.business.id) == "株式会社テスト工業"
    _assert_denied(store, world.actors["owner"], world.other_business.id)


def test_other_organisation_without_link_or_consent(store, world):
    last = _assert_denied(store, world.actors["b_officer"], world.business.id)
    assert "no active consent" in last.detail


def test_linked_lender_sees_profile_but_not_unconsented_category(store, world):
    bank_a = world.actors["a_officer"]
    assert _try(store, bank_a, world.business.id, category=Category.PROFILE) == "株式会社テスト工業"
    _assert_denied(store, bank_a, world.business.id, category=Category.BANK_TRANSACTIONS)


def test_wrong_purpose(store, world):
    _assert_denied(
        store, world.actors["cgc_officer"], world.business.id, purpose=Purpose.CREDIT_REVIEW
    )


def test_expired_consent(store, world):
    _assert_denied(store, world.actors["cgc_officer"], world.business.id, today=date(2027, 4, 1))


def test_consent_not_yet_valid(store, world):
    _assert_denied(store, world.actors["cgc_officer"], world.business.id, today=date(2026, 3, 31))


def test_revoked_consent(store, world):
    with store.session() as s:
        grant = s.execute(
            select(ConsentGrant).where(
                ConsentGrant.grantee_org_id == world.guarantor.id, ConsentGrant.category == F
            )
        ).scalar_one()
        do_revoke_consent(s, world.actors["owner"], grant=grant)
    _assert_denied(store, world.actors["cgc_officer"], world.business.id)


@pytest.mark.parametrize("login", ["a_admin", "a_auditor"])
def test_wrong_role(store, world, login):
    last = _assert_denied(store, world.actors[login], world.business.id)
    assert "reads no business data" in last.detail


def test_missing_business_is_the_same_error(store, world):
    _assert_denied(store, world.actors["cgc_officer"], 999_999)


def test_only_the_business_revokes(store, world):
    with store.session() as s:
        grant = s.execute(select(ConsentGrant).limit(1)).scalar_one()
        with pytest.raises(PermissionError):
            do_revoke_consent(s, world.actors["cgc_officer"], grant=grant)


def test_lender_sees_only_its_own_loans_without_consent(store, world):
    with store.session() as s:
        loans = access_loans_by_business(
            s, world.actors["b_officer"], world.business.id, M, today=TODAY
        )
        assert [loan.loan_number for loan in loans] == ["B-1"]
        loans = access_loans_by_business(
            s, world.actors["cgc_officer"], world.business.id, M, today=TODAY
        )
        assert sorted(loan.loan_number for loan in loans) == ["A-1", "B-1"]  # consent covers loans


# That lists and single decisions agree, over every category, purpose and role:
# tests/access/test_agreement.py.
