"""Loan and credit-event entry in the API: lender/guarantor only, 404 for others with nothing
changed, imports all-or-none with problems by line and column, 完済 read back under loans."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kizashi.store.db import Store

from .conftest import WebWorld, last_audit, login, snapshot

LOAN = {
    "loan_number": "A-9",
    "lender_code": "bank-a",
    "guarantor_code": "cgc",
    "guarantee_number": "H-9",
    "guarantee_ratio_pct": 80,
    "original_amount": 8_000_000,
    "balance": 8_000_000,
    "balance_as_of": "2026-10-31",
    "interest_rate_bp": 150,
    "start_date": "2026-04-01",
    "grace_end_date": "2026-09-30",
    "maturity_date": "2031-03-31",
}
HEADER = (
    "事業者ID,融資番号,貸付金融機関コード,保証協会コード,保証番号,保証割合,当初金額,残高,"
    "残高基準日,金利,実行日,据置期間終了日,最終期限"
)


def _token(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def test_the_lender_enters_imports_and_closes(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    bid = web_world.business_id
    login(client, "a_officer")
    h = _token(client)
    r = client.post(f"/api/v1/businesses/{bid}/loans", json=LOAN, headers=h)
    assert r.status_code == 201, r.text
    loan_id = r.json()["id"]
    assert last_audit(store).action == "add_loan"
    assert client.post(f"/api/v1/businesses/{bid}/loans", json=LOAN, headers=h).status_code == 409

    bad = f"{HEADER}\n{bid},A-10,bank-a,,,0,1000000,1000000,2026-10-31,1.0,2026-04-01,,2030-03-31\n{bid},A-11,bank-a,,,0,1000000,x,2026-10-31,1.0,2026-04-01,,2030-03-31\n"
    before = snapshot(store)
    r = client.post(
        "/api/v1/loans/import",
        files={"file": ("loans.csv", bad.encode("cp932"), "text/csv")},
        data={"kind": "loans"},
        headers=h,
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["file", 3, "残高"]
    assert snapshot(store) == before
    good = bad.splitlines()[0] + "\n" + bad.splitlines()[1] + "\n"
    r = client.post(
        "/api/v1/loans/import",
        files={"file": ("loans.csv", good.encode("utf-8"), "text/csv")},
        headers=h,
    )
    assert r.status_code == 201 and r.json() == {"stored": 1}, r.text

    r = client.post(
        f"/api/v1/businesses/{bid}/credit-events",
        json={
            "kind": "delinquency",
            "occurred_on": "2026-11-30",
            "loan_id": loan_id,
            "days_past_due": 62,
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/businesses/{bid}/credit-events",
        json={"kind": "delinquency", "occurred_on": "2026-11-30", "loan_id": loan_id},
        headers=h,
    )
    assert r.status_code == 409  # 延滞 needs its days
    r = client.post(
        f"/api/v1/businesses/{bid}/credit-events",
        json={"kind": "restructuring", "occurred_on": "2026-11-30", "days_past_due": False},
        headers=h,
    )
    assert r.status_code == 422  # a JSON boolean is not a number of days
    r = client.post(
        f"/api/v1/businesses/{bid}/credit-events",
        json={"kind": "delinquency", "occurred_on": "2026-12-01", "loan_id": loan_id,
              "days_past_due": 91.0},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 201, r.text  # JSON Schema's integer: 91.0 is 91
    r = client.post(f"/api/v1/loans/{loan_id}/close", json={"paid_off_on": "2026-12-20"}, headers=h)
    assert r.status_code == 200 and r.json()["paid_off_on"] == "2026-12-20"

    client.cookies.clear()
    login(client, "cgc_officer")  # the guarantor, with a loans consent, reads it back
    loans = client.get(f"/api/v1/businesses/{bid}/loans").json()["loans"]
    [a9] = [x for x in loans if x["loan_number"] == "A-9"]
    assert (a9["paid_off_on"], a9["balance"], a9["guarantee_number"]) == ("2026-12-20", 0, "H-9")
    assert any(e["kind"] == "delinquency" for e in a9["events"])


def test_others_get_404_and_change_nothing(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    bid = web_world.business_id
    for who in ("c_officer", "other_owner", "a_admin", "rev_officer"):
        client.cookies.clear()
        login(client, who)
        h = _token(client)
        before = snapshot(store)
        body = dict(LOAN, lender_code="bank-a")
        r = client.post(f"/api/v1/businesses/{bid}/loans", json=body, headers=h)
        assert r.status_code in (403, 404), (who, r.status_code)
        r = client.post(
            f"/api/v1/businesses/{bid}/credit-events",
            json={"kind": "accident_report", "occurred_on": "2026-11-30"},
            headers=h,
        )
        assert r.status_code in (403, 404), (who, r.status_code)
        r = client.post("/api/v1/loans/1/close", json={"paid_off_on": "2026-12-20"}, headers=h)
        assert r.status_code == 404, (who, r.text)
        assert snapshot(store) == before
