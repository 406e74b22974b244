"""Who may submit a business's financial data."""

from __future__ import annotations

import pytest

from kizashi.access import access_business_for_upload
from kizashi.store.errors import NotFound
from tests.world import TODAY, make_world


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


@pytest.mark.parametrize(
    ("login", "allowed"),
    [
        ("owner", True),  # own business
        ("cgc_officer", True),  # holds a financials grant
        ("a_officer", True),  # holds a financials grant
        ("b_officer", False),  # lender without consent
        ("a_admin", False),  # wrong role
        ("a_auditor", False),
        ("other_owner", False),  # another business's owner
    ],
)
def test_upload_gate(store, world, login, allowed):
    actor = world.actors[login]
    if allowed:
        with store.session() as s:
            assert (
                access_business_for_upload(s, actor, world.business.id, today=TODAY).id
                == world.business.id
            )
    else:
        with pytest.raises(NotFound), store.session() as s:
            access_business_for_upload(s, actor, world.business.id, today=TODAY)


def test_upload_gate_after_consent_expiry(store, world):
    from datetime import date

    with pytest.raises(NotFound), store.session() as s:
        access_business_for_upload(
            s, world.actors["cgc_officer"], world.business.id, today=date(2027, 4, 1)
        )
