"""The demo gives every actor a working day of consent: the council and the accountants see
businesses on first login (under their default purpose), requests wait for owners, grants end
soon on both sides, a 包括同意 is on file."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kizashi.access import Actor, accessible_business_ids
from kizashi.access.consent import (
    own_business_id,
    read_business_consents,
    read_organisation_consents,
)
from kizashi.domain.consent import GrantSource, RequestStatus, default_purpose
from kizashi.domain.vocabulary import Category
from kizashi.store.models import User

from ..demo_cache import built_demo


@pytest.fixture
def demo(store, settings):
    return built_demo(store, settings, businesses=40, seed=7)


def _actor(s, login: str) -> Actor:
    return Actor.from_user(s.execute(select(User).where(User.login == login)).scalar_one())


@pytest.mark.parametrize("login", ["kasseika", "zeirishi1", "zeirishi2", "hosho", "bank1"])
def test_every_institution_sees_businesses_on_first_login(store, demo, login):
    with store.session() as s:
        actor = _actor(s, login)
        purpose = default_purpose(actor.org_kind)  # the list opens on this purpose
        seen = s.execute(accessible_business_ids(actor, Category.PROFILE, purpose)).scalars()
        assert len(list(seen)) > 0, (login, purpose)


def test_requests_wait_and_grants_end_soon(store, demo):
    waiting = ending = recorded = 0
    with store.session() as s:
        for n in range(1, 11):
            owner = _actor(s, f"owner{n}")
            view = read_business_consents(s, owner, own_business_id(s, owner))  # type: ignore[arg-type]
            waiting += len(view.pending_requests())
            ending += len(view.ending_soon())
            recorded += sum(g.source == GrantSource.APPLICATION for g in view.grants)
        assert waiting > 0 and ending > 0 and recorded > 0
        council = read_organisation_consents(s, _actor(s, "kasseika"))
        assert council.ending_soon() and len(council.live_grants()) > len(council.ending_soon())
        assert read_organisation_consents(s, _actor(s, "hosho")).ending_soon()
        outcomes = {
            r.status
            for login in ("bank1", "bank2", "bank3", "zeirishi1", "zeirishi2")
            for r in read_organisation_consents(s, _actor(s, login)).requests
        }
    assert RequestStatus.PENDING in outcomes
    assert outcomes & {RequestStatus.PARTLY_APPROVED, RequestStatus.DECLINED}
