"""Money files through the API: stored, duplicate, errors (422, nothing stored), consent by
category (口座 / 請求書), and the stored rows read back under consent."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from kizashi.store.db import Store
from tests.ingest import zengin_builder as zb

from .conftest import WebWorld, login, snapshot

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
PINT = (
    SAMPLES / "einvoice" / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml"
).read_bytes()
STATEMENT = b"\r\n".join(zb.statement03())


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def _post(client: TestClient, bid: int, name: str, body: bytes, **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/businesses/{bid}/money-files",
        files={"file": (name, body, "application/octet-stream")},
        data=data,
        headers=_csrf(client),
    )


def test_statement_stored_then_duplicate_then_read(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    bid = web_world.business_id
    r = _post(client, bid, "meisai.txt", STATEMENT)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["added"]["bank_transaction"] == 4 and body["kind"] == "bank"
    r = _post(client, bid, "meisai.txt", STATEMENT)
    assert r.status_code == 200 and r.json()["reason"] == "duplicate"
    r = client.get(f"/api/v1/businesses/{bid}/bank-transactions")
    assert r.status_code == 200
    items = r.json()["items"]
    assert r.json()["total"] == 4
    assert sorted(i["amount_yen"] for i in items) == [-300_000, -120_000, -50_000, 500_000]


def test_errors_are_422_and_store_nothing(
    client: TestClient, web_world: WebWorld, store: Store
) -> None:
    login(client, "owner")
    before = snapshot(store)
    recs = zb.statement03()
    recs[4] = zb.trailer03(1, 500_001, 2, 420_000, 1_080_000, 3)
    r = _post(client, web_world.business_id, "bad.txt", b"\n".join(recs))
    assert r.status_code == 422
    issue = next(i for i in r.json()["issues"] if i["code"] == "zengin.trailer_mismatch")
    assert (issue["file"], issue["line"], issue["field"]) == ("bad.txt", 5, "入金額合計")
    assert snapshot(store) == before


def test_invoice_direction_and_reading(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    bid = web_world.business_id
    ours = PINT.replace(b"1234567890123", web_world.corporate_number.encode())
    r = _post(client, bid, "inv.xml", ours)
    assert r.status_code == 201, r.text
    assert r.json()["directions"] == ["issued"]
    inv = client.get(f"/api/v1/businesses/{bid}/invoices").json()["items"]
    assert [(i["direction"], i["total_yen"], i["counterparty"]) for i in inv] == [
        ("issued", 281_240, "株式会社 〇〇物産")
    ]
    r = _post(client, bid, "theirs.xml", PINT)
    assert r.status_code == 422
    assert [i["code"] for i in r.json()["issues"]] == ["invoice.not_this_business"]


def test_consent_by_category(client: TestClient, web_world: WebWorld, store: Store) -> None:
    login(client, "a_officer")  # bank A: financials consent only
    bid = web_world.business_id
    before = snapshot(store)
    assert _post(client, bid, "m.txt", STATEMENT).status_code == 404
    assert client.get(f"/api/v1/businesses/{bid}/bank-transactions").status_code == 404
    assert client.get(f"/api/v1/businesses/{bid}/invoices").status_code == 404
    assert client.get(f"/api/v1/businesses/{bid}/open-items").status_code == 404
    assert snapshot(store) == before


def test_schedule_and_open_items(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    bid = web_world.business_id
    csv = "仕入先,支払予定日,残高\nC製作所,2026/12/20,70000\n".encode("cp932")
    r = _post(client, bid, "kaikake.csv", csv)
    assert r.status_code == 201, r.text
    items = client.get(f"/api/v1/businesses/{bid}/open-items").json()["items"]
    assert [(i["side"], i["amount_yen"], i["due_date"]) for i in items] == [
        ("payable", 70_000, "2026-12-20")
    ]
