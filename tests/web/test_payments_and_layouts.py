"""入金消込 and saved bank-file layouts through the API and the pages: matches read under
consent (請求書 and 口座) and matched again, layouts saved, used for an unrecognised bank CSV,
listed and deleted by the organisation's own users; Japanese pages."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.actions.consent import do_grant_consent
from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent, Business, ColumnMappingPreset, Organisation
from tests.actions.test_payment_matching import BANK, ISSUED_156

from .conftest import WebWorld, login, snapshot
from .japanese_only import latin_words, visible_text
from .test_uploads import page_csrf, post_page

ODD = "取引年月日,ご利用内容,引落額,振込額,口座残高\n2024-04-01,ｳﾘｱｹﾞ,,100,1100\n2024-04-02,ﾃｽｳﾘﾖｳ,110,,990\n"
ODD_COLUMNS = {
    "date": "取引年月日",
    "description": "ご利用内容",
    "out": "引落額",
    "in": "振込額",
    "balance": "口座残高",
    "account": "7654321",
}


def _grant(store: Store, bid: int, category: Category) -> None:
    with store.session() as s:
        business = s.get(Business, bid)
        assert business is not None
        owner = next(u for u in business.organisation.users if u.role == Role.OWNER)
        cgc = s.execute(select(Organisation).where(Organisation.code == "cgc")).scalar_one()
        do_grant_consent(
            s,
            Actor.from_user(owner),
            business=business,
            grantee=cgc,
            categories=[category],
            purpose=Purpose.MONITORING,
            valid_from=date.today() - timedelta(days=1),
        )


def _as(client: TestClient, name: str) -> None:
    client.cookies.clear()
    login(client, name)


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def _money(client: TestClient, bid: int, name: str, body: bytes, **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/businesses/{bid}/money-files",
        files={"file": (name, body, "application/octet-stream")},
        data=data,
        headers=_csrf(client),
    )


def test_matches_read_under_consent_and_matched_again(
    client: TestClient, web_world: WebWorld, store: Store
) -> None:
    login(client, "owner")
    bid = web_world.business_id
    assert _money(client, bid, "156.xml", ISSUED_156).status_code == 201
    r = _money(client, bid, "meisai.csv", BANK.encode("cp932"))
    assert r.status_code == 201 and r.json()["matched"]["invoices_paid"] == 1, r.text
    r = client.get(f"/api/v1/businesses/{bid}/payment-matches")
    assert r.status_code == 200
    (row,) = r.json()["items"]
    assert (row["amount_yen"], row["fee_yen"], row["rule"], row["invoice_yen"]) == (
        280_800,
        440,
        "fee",
        281_240,
    )
    r = client.post(f"/api/v1/businesses/{bid}/payment-matches", headers=_csrf(client))
    assert r.status_code == 200 and r.json()["invoices_paid"] == 1 and r.json()["fees_yen"] == 440
    page = client.get(f"/businesses/{bid}/payments")
    text = visible_text(page.text)
    assert "振込手数料の差引" in text and "280,800円" in text and "440円" in text
    assert latin_words(text, {"kizashi"}) == [], latin_words(text)
    english = visible_text(client.get(f"/businesses/{bid}/payments?lang=en").text)
    assert "Transfer fee deducted" in english and "¥440" in english
    assert "振込手数料" not in english
    client.get(f"/businesses/{bid}/payments?lang=ja")
    token = page_csrf(client, f"/businesses/{bid}/payments")
    r = client.post(
        f"/businesses/{bid}/payments/match", data={"csrf_token": token}, follow_redirects=True
    )
    assert r.status_code == 200 and "入金済みの請求書 1 件" in visible_text(r.text)
    # the guarantor reads them with consent for 請求書 and 口座, not for 請求書 alone
    _grant(store, bid, Category.INVOICES)
    _as(client, "cgc_officer")
    r = client.get(f"/api/v1/businesses/{bid}/payment-matches")
    assert r.status_code == 404 and "280800" not in r.text
    _grant(store, bid, Category.BANK_TRANSACTIONS)
    assert len(client.get(f"/api/v1/businesses/{bid}/payment-matches").json()["items"]) == 1
    # bank B (no consent) neither sees nor matches
    _as(client, "b_officer")
    before = snapshot(store)
    r = client.get(f"/api/v1/businesses/{bid}/payment-matches")
    assert r.status_code == 404 and "280800" not in r.text
    r = client.post(f"/api/v1/businesses/{bid}/payment-matches", headers=_csrf(client))
    assert r.status_code == 404 and snapshot(store) == before


def test_layouts_through_the_api(client: TestClient, web_world: WebWorld, store: Store) -> None:
    login(client, "owner")
    bid = web_world.business_id
    r = client.post(
        "/api/v1/money-layouts/detect",
        files={"file": ("odd.csv", ODD.encode(), "text/csv")},
        headers=_csrf(client),
    )
    assert r.status_code == 200
    assert r.json()["headers"] == ["取引年月日", "ご利用内容", "引落額", "振込額", "口座残高"]
    assert r.json()["complete"] is False
    # unrecognised without a layout; read with the saved one
    assert _money(client, bid, "odd.csv", ODD.encode()).status_code == 422
    r = client.put(
        "/api/v1/money-presets/地銀A", json={"columns": ODD_COLUMNS}, headers=_csrf(client)
    )
    assert r.status_code == 200 and r.json()["columns"] == ODD_COLUMNS
    assert [p["name"] for p in client.get("/api/v1/money-presets").json()["items"]] == ["地銀A"]
    r = _money(client, bid, "odd.csv", ODD.encode(), preset="地銀A")
    assert r.status_code == 201, r.text
    assert r.json()["added"]["bank_transaction"] == 2
    assert _money(client, bid, "odd2.csv", b"x", preset="none").status_code == 422
    bad = client.put(
        "/api/v1/money-presets/x", json={"columns": {"colour": "A"}}, headers=_csrf(client)
    )
    assert bad.status_code == 422
    # another organisation neither sees nor deletes it
    _as(client, "a_officer")
    assert client.get("/api/v1/money-presets").json()["items"] == []
    assert client.delete("/api/v1/money-presets/地銀A", headers=_csrf(client)).status_code == 404
    # an auditor does not save layouts
    _as(client, "a_auditor")
    r = client.put(
        "/api/v1/money-presets/監査", json={"columns": ODD_COLUMNS}, headers=_csrf(client)
    )
    assert r.status_code == 403
    _as(client, "owner")
    assert client.delete("/api/v1/money-presets/地銀A", headers=_csrf(client)).status_code == 204
    assert client.get("/api/v1/money-presets").json()["items"] == []
    with store.session() as s:
        actions = list(
            s.execute(
                select(AuditEvent.action).where(
                    AuditEvent.action.in_(["save_money_preset", "delete_money_preset"])
                )
            ).scalars()
        )
    assert actions == ["save_money_preset", "delete_money_preset"]


def test_layout_typed_on_the_upload_page_and_saved(
    client: TestClient, web_world: WebWorld, store: Store
) -> None:
    login(client, "owner")
    bid = web_world.business_id
    typed = {f"col_{k}": v for k, v in ODD_COLUMNS.items()}
    r = post_page(client, bid, [("odd.csv", ODD.encode("cp932"))], bank_layout="", **typed)
    assert r.status_code == 200, visible_text(r.text)
    text = visible_text(r.text)
    assert "保存しました" in text and "入出金明細: 追加 2 件" in text
    r = post_page(
        client,
        bid,
        [("odd2.csv", ODD.replace("1100", "1100 ").encode())],
        save_layout="地銀B",
        **typed,
    )
    assert "組織の設定「地銀B」として保存しました" in visible_text(r.text)
    page = client.get("/money-presets")
    text = visible_text(page.text)
    assert "地銀B" in text and "取引年月日" in text
    assert latin_words(text, {"kizashi"}) == [], latin_words(text)
    token = page_csrf(client, "/money-presets")
    r = client.post(
        "/money-presets/delete", data={"csrf_token": token, "name": "地銀B"}, follow_redirects=True
    )
    assert r.status_code == 200 and "列の設定を削除しました" in visible_text(r.text)
    with store.session() as s:
        assert s.execute(select(ColumnMappingPreset.name)).scalars().all() == []


def test_unreadable_bank_file_shows_its_headings(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    r = post_page(client, web_world.business_id, [("odd.csv", ODD.encode())], col_date="日付なし")
    assert r.status_code == 422
    text = visible_text(r.text)
    assert "ファイルで見つかった見出し" in text and "ご利用内容" in text
    assert latin_words(text, {"kizashi", "csv"}) == [], latin_words(text)
    html = client.get(f"/businesses/{web_world.business_id}/upload").text
    part = html[
        html.index('id="bank-layout"') : html.index("</details>", html.index('id="bank-layout"'))
    ]
    form = visible_text("<div " + part + "</details>")
    assert "保存した列の設定" in form  # the upload form's bank-layout part only
    assert latin_words(form, {"kizashi", "csv"}) == [], latin_words(form)


def test_the_api_names_every_field_a_layout_may_hold() -> None:
    import typing

    from kizashi.actions.bank import preset_fields
    from kizashi.web.api.money_presets import PresetField

    assert set(typing.get_args(PresetField)) == preset_fields()
