"""``kizashi consent``: grant, list, request, respond, record, revoke, looked — as the people
they belong to, in Japanese, each change audited as theirs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kizashi.access import access_business_by_id
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent, ConsentGrant, ConsentRequest
from tests.web.japanese_only import latin_words
from tests.world import make_world


@pytest.fixture
def world(cli, store, tmp_path):
    (tmp_path / "data").mkdir(exist_ok=True)
    with store.session() as s:
        return make_world(s)


def _ok(cli, *args: str) -> str:
    r = cli("consent", *args)
    out = r.output.replace("\n", "")
    assert r.exit_code == 0, out
    # Japanese only (logins, dates, organisation codes and the business's own names aside)
    assert latin_words(out, {"b_officer", "a_officer", "cgc_officer", "No"}) == [], out
    return out


def _fails(cli, *args: str) -> str:
    r = cli("consent", *args)
    out = r.output.replace("\n", "")
    assert r.exit_code == 1, out
    assert "エラー" in out and "error" not in out.lower()
    return out


def _reads(store, actor, business_id, category, purpose) -> bool:
    try:
        with store.session() as s:
            access_business_by_id(s, actor, business_id, category, purpose)
        return True
    except NotFound:
        return False


def test_the_life_of_a_consent_at_the_command_line(cli, store, world):
    bid = str(world.business.id)
    until = (date.today() + timedelta(days=20)).isoformat()
    out = _ok(
        cli, "grant", "--as", "owner", "--to", "bank-b", "-c", "qualitative", "-c", "profile",
        "--purpose", "support", "--until", until,
    )  # fmt: skip
    assert "B信用金庫 に 定性・面談記録・基本情報 の閲覧を同意しました (経営支援" in out
    assert _reads(
        store, world.actors["b_officer"], world.business.id, Category.QUALITATIVE, Purpose.SUPPORT
    )
    out = _ok(cli, "list", "--as", "owner")
    assert "B信用金庫 (金融機関)  定性・面談記録  経営支援" in out and "まもなく終了" in out
    assert "30日以内に終わる同意 2 件" in out

    out = _ok(
        cli, "request", "--as", "a_officer", "--business", bid, "-c", "financials", "-c", "loans",
        "-c", "qualitative", "--purpose", "credit_review", "--reason", "追加融資の審査のため",
    )  # fmt: skip
    assert "同意を依頼しました (依頼#" in out and "回答期限は" in out
    with store.session() as s:
        rid = s.execute(select(ConsentRequest.id)).scalar_one()
    out = _ok(cli, "list", "--as", "owner")
    assert "回答待ちの依頼 1 件" in out and "追加融資の審査のため" in out
    _fails(cli, "respond", str(rid), "--as", "owner")  # no answer given
    assert "見つかりません" in _fails(cli, "respond", str(rid), "--as", "other_owner", "--all")
    out = _ok(
        cli, "respond", str(rid), "--as", "owner", "-a", "financials", "-a", "loans",
        "--reason", "面談記録はお見せできません",
    )  # fmt: skip
    assert "一部承認 (試算表・決算書・借入・保証)" in out
    out = _ok(cli, "list", "--as", "a_officer")
    assert "[一部承認]" in out and "事業者から: 面談記録はお見せできません" in out
    assert "この依頼には回答済みです" in _fails(
        cli, "respond", str(rid), "--as", "owner", "--decline"
    )
    a = world.actors["a_officer"]
    assert _reads(store, a, world.business.id, Category.FINANCIALS, Purpose.CREDIT_REVIEW)
    assert not _reads(store, a, world.business.id, Category.QUALITATIVE, Purpose.CREDIT_REVIEW)

    out = _ok(
        cli, "record", "--as", "a_officer", "--business", bid, "-c", "flags",
        "--purpose", "monitoring", "--document", "保証委託契約書 第123号",
    )  # fmt: skip
    assert "包括同意を記録しました" in out
    assert "権限がありません" in _fails(
        cli, "record", "--as", "b_officer", "--business", bid, "-c", "flags",
        "--purpose", "monitoring", "--document", "x",
    )  # fmt: skip
    out = _ok(cli, "list", "--as", "owner")
    assert "包括同意 (申込時)「保証委託契約書 第123号」" in out

    out = _ok(cli, "looked", "--as", "owner")
    assert "B信用金庫  b_officer  定性・面談記録  経営支援  閲覧" in out
    assert "A銀行  a_officer  定性・面談記録  与信・保証審査  断られました" in out

    with store.session() as s:
        gid = s.execute(
            select(ConsentGrant.id).where(
                ConsentGrant.grantee_org_id == world.bank_b.id,
                ConsentGrant.category == Category.QUALITATIVE,
            )
        ).scalar_one()
    assert "見つかりません" in _fails(cli, "revoke", str(gid), "--as", "b_officer")
    out = _ok(cli, "revoke", str(gid), "--as", "owner")
    assert f"同意 #{gid} (B信用金庫 への 定性・面談記録) を取り消しました" in out
    assert not _reads(
        store, world.actors["b_officer"], world.business.id, Category.QUALITATIVE, Purpose.SUPPORT
    )
    with store.session() as s:
        actions = s.execute(
            select(AuditEvent.action, AuditEvent.decision, AuditEvent.actor_user_id)
            .where(AuditEvent.decision.in_(("write", "deny")))
            .where(AuditEvent.object_type.in_(("consent_grant", "consent_request", "consent")))
        ).all()
    writes = {(a, d) for a, d, _ in actions}
    assert {
        ("grant_consent", "write"),
        ("request_consent", "write"),
        ("respond_consent_request", "write"),
        ("record_application_consent", "write"),
        ("revoke_consent", "write"),
        ("record_application_consent", "deny"),
        ("revoke_consent", "deny"),
    } <= writes
    assert all(uid is not None for _, _, uid in actions)  # each as the person, not the system


def test_bad_input_is_named(cli, world):
    assert "--until の日付「2026-13-01」を読めません" in _fails(
        cli, "grant", "--as", "owner", "--to", "bank-b", "-c", "profile", "--purpose", "support",
        "--until", "2026-13-01",
    )  # fmt: skip
    assert "組織コード「nope」の組織はありません" in _fails(
        cli, "grant", "--as", "owner", "--to", "nope", "-c", "profile", "--purpose", "support"
    )
    assert "終了日が開始日より前です" in _fails(
        cli, "grant", "--as", "owner", "--to", "bank-b", "-c", "profile", "--purpose", "support",
        "--from", "2026-05-01", "--until", "2026-04-01",
    )  # fmt: skip
    assert "同意できるのは事業者" in _fails(
        cli, "grant", "--as", "a_officer", "--to", "bank-b", "-c", "profile", "--purpose", "support"
    )
    assert "ログインID「ghost」の利用者はいません" in _fails(cli, "list", "--as", "ghost")
