"""The administration commands, through the real CLI."""

from __future__ import annotations

from sqlalchemy import func, select, update

from kizashi.store.models import AuditEvent, Business, BusinessLink, User


def test_org_user_business_and_audit(cli, store, tmp_path):
    r = cli("org", "add", "cgc-test", "--name", "テスト信用保証協会", "--kind", "guarantor")
    assert r.exit_code == 0, r.output
    r = cli(
        "user",
        "add",
        "hanako",
        "--org",
        "cgc-test",
        "--role",
        "officer",
        "--password",
        "s3cret-pass",
    )
    assert r.exit_code == 0, r.output
    r = cli(
        "user", "add", "taro", "--org", "cgc-test", "--role", "owner", "--password", "s3cret-pass"
    )
    assert r.exit_code == 1 and "信用保証協会の組織には「事業者」の役割がありません" in r.output
    r = cli(
        "business",
        "add",
        "株式会社テスト",
        "--industry",
        "09",
        "--prefecture",
        "北海道",
        "--fiscal-year-end-month",
        "3",
        "--corporate-number",
        "7000012050002",
        "--registrar",
        "cgc-test",
    )
    assert r.exit_code == 0, r.output
    r = cli(
        "business",
        "add",
        "株式会社にせ",
        "--industry",
        "09",
        "--prefecture",
        "北海道",
        "--fiscal-year-end-month",
        "3",
        "--corporate-number",
        "1000012050002",
    )
    assert r.exit_code == 1 and "チェックデジット" in r.output
    with store.session() as s:
        assert s.execute(select(User.login)).scalars().all() == ["hanako"]
        biz = s.execute(select(Business)).scalar_one()
        assert (biz.industry_major, biz.prefecture_code) == ("E", "01")
    (tmp_path / "data").mkdir()
    r = cli("audit", "verify")
    assert r.exit_code == 0 and "無傷です: イベント 3 件" in r.output.replace("\n", "")
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 2).values(action="tampered"))
    r = cli("audit", "verify")
    assert r.exit_code == 1 and "イベント 2: 内容が鍵付きハッシュと一致しません" in r.output


GOOD = """法人番号,名称,業種,都道府県,決算月,従業員数,資本金,設立日
7000012050002,株式会社北の味,09,北海道,3,12,"10,000,000",2001-04-01
,山田商店,58,13,12,3,,
"""

BAD = """法人番号,名称,業種,都道府県,決算月,従業員数
7000012050002,株式会社北の味,09,北海道,3,12
1234567890123,株式会社まちがい,09,北海道,3,5
,山田商店,ZZ,13,13,three
"""


def test_business_import_all_or_nothing(cli, store, tmp_path):
    cli("org", "add", "bank-x", "--name", "X銀行", "--kind", "bank")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD.encode("cp932"))
    r = cli("business", "import", str(bad), "--registrar", "bank-x")
    assert r.exit_code == 1
    out = r.output.replace("\n", " ")
    assert "line 3, column 法人番号" in out
    assert (
        "line 4, column 業種" in out
        and "line 4, column 決算月" in out
        and "line 4, column 従業員数" in out
    )
    assert "nothing was imported" in out
    with store.session() as s:
        assert s.execute(select(func.count()).select_from(Business)).scalar_one() == 0
    good = tmp_path / "good.csv"
    good.write_bytes(("\ufeff" + GOOD).encode("utf-8"))
    r = cli("business", "import", str(good), "--registrar", "bank-x", "--relation", "lender")
    assert r.exit_code == 0, r.output
    with store.session() as s:
        rows = s.execute(
            select(Business.name, Business.capital_yen, Business.corporate_number).order_by(
                Business.id
            )
        ).all()
        assert rows == [("株式会社北の味", 10_000_000, "7000012050002"), ("山田商店", None, None)]
        assert s.execute(select(func.count()).select_from(BusinessLink)).scalar_one() == 2
    r = cli("business", "import", str(good), "--registrar", "bank-x")
    assert r.exit_code == 1 and "already registered" in r.output
