"""A referral is made under the purpose the sender holds the business for: the 保証協会, which
follows the business under 期中モニタリング only, refers it from its monitoring case; it cannot
under 経営支援 (no consent for that), and no one passes on under ``referral`` what was referred
to them."""

from __future__ import annotations

from datetime import date

import pytest

from kizashi.access import Actor
from kizashi.actions.cases import do_open_case
from kizashi.actions.consent import do_grant_consent
from kizashi.actions.organisations import do_add_organisation
from kizashi.actions.referrals import ReferralError, do_create_referral
from kizashi.domain.referrals import ReferralKind, ReferralStatus
from kizashi.domain.support import SupportType
from kizashi.domain.vocabulary import Category, OrgKind, Purpose
from kizashi.store.errors import NotFound
from tests.world import SYSTEM, make_world


@pytest.fixture
def world(store):
    with store.session() as s:
        w = make_world(s)
        do_grant_consent(
            s,
            w.actors["owner"],
            business=w.business,
            grantee=w.guarantor,
            categories=[Category.PROFILE, Category.FLAGS, Category.QUALITATIVE],
            purpose=Purpose.MONITORING,
            valid_from=date(2026, 4, 1),
        )
        council = do_add_organisation(
            s, SYSTEM, kind=OrgKind.REVITALIZATION, name="テスト活性化協議会", code="council"
        )
        return w, council.id


def _refer(store, actor: Actor, bid: int, to: int, purpose: Purpose, case_id: int | None = None):
    with store.session() as s:
        return do_create_referral(
            s,
            actor,
            business_id=bid,
            to_org_id=to,
            kind=ReferralKind.REVITALIZATION,
            note="再生計画の検討をお願いします",
            from_case_id=case_id,
            purpose=purpose,
        )


def test_the_guarantor_refers_from_its_monitoring_case(store, world) -> None:
    w, council = world
    cgc, bid = w.actors["cgc_officer"], w.business.id
    with pytest.raises(NotFound):  # no consent for 経営支援
        _refer(store, cgc, bid, council, Purpose.SUPPORT)
    with pytest.raises(ReferralError):
        _refer(store, cgc, bid, council, Purpose.REFERRAL)
    with store.session() as s:
        case_id = do_open_case(
            s,
            cgc,
            business_id=bid,
            purpose=Purpose.MONITORING,
            support_type=SupportType.IMPROVEMENT,
            title="期中管理から",
        ).id
    ref = _refer(store, cgc, bid, council, Purpose.MONITORING, case_id)
    assert ref.status == ReferralStatus.AWAITING_OWNER and ref.from_case_id == case_id
    # an organisation with no consent at all cannot refer under any purpose
    with pytest.raises(NotFound):
        _refer(store, w.actors["b_officer"], bid, council, Purpose.MONITORING)


def test_the_command_takes_the_purpose(cli, store, world) -> None:
    w, _council = world
    bid = w.business.id
    args = ["referral", "create", str(bid), "--as", "cgc_officer", "--to", "council"]
    args += ["--kind", "revitalization", "--note", "再生計画の検討をお願いします"]
    refused = cli(*args)
    assert refused.exit_code == 1  # under 経営支援 (the default) the 保証協会 may not see it
    made = cli(*args, "--purpose", "monitoring")
    assert made.exit_code == 0, made.output
    assert "事業者の同意待ち" in made.output
