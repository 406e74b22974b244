"""The demo's referrals: the council finds one waiting in its inbox (with what the owner sent), an
owner finds one waiting for their consent, and the bank sees both."""

from __future__ import annotations

from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.referrals import list_referrals, read_referral
from kizashi.jobs.demo_world import BANKS, COUNCIL
from kizashi.store.models import User
from tests.jobs.test_demo import demo  # noqa: F401  (fixture)


def _actor(s, login: str) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.from_user(s.execute(select(User).where(User.login == login)).scalar_one())


def test_the_demo_has_a_pending_referral_for_each_side(store, demo):  # noqa: F811
    with store.session() as s:
        bank = list_referrals(s, _actor(s, BANKS[0].users[0][0]), box="sent")
        assert sorted(r.status for r in bank) == ["awaiting_owner", "pending"]
        council = _actor(s, COUNCIL.users[0][0])
        [received] = list_referrals(s, council, box="received")
        assert received.status == "pending" and received.share_flags
        detail = read_referral(s, council, received.id)
        assert detail.dialogues and {d.id for d in detail.dialogues} == set(received.dialogue_ids)
        waiting = next(r for r in bank if r.status == "awaiting_owner")
        owners = s.execute(select(User).where(User.role == "owner")).scalars().all()
        seen = [
            r for u in owners for r in list_referrals(s, Actor.from_user(u)) if r.id == waiting.id
        ]
        assert len(seen) == 1 and seen[0].party == "owner"
