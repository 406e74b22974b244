"""The 13-week cash forecast through the API: the same weeks as ``kizashi cash --json``, under
consent (口座), 200 ``available: false`` without a bank balance, 404 without consent."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.cli.test_cash_cmd import _statement

from .conftest import WebWorld, login


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def test_forecast_by_api(client: TestClient, web_world: WebWorld, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bid = web_world.business_id
    login(client, "cgc_officer")  # the guarantor: no consent for 口座
    assert client.get(f"/api/v1/businesses/{bid}/cash").status_code == 404
    client.post("/logout", headers=_csrf(client))
    login(client, "owner")
    r = client.get(f"/api/v1/businesses/{bid}/cash")
    assert r.status_code == 200, r.text
    assert r.json()["available"] is False and r.json()["weeks"] == []
    body = _statement(tmp_path / "meisai.csv").read_bytes()
    r = client.post(
        f"/api/v1/businesses/{bid}/money-files",
        files={"file": ("meisai.csv", body, "text/csv")},
        headers=_csrf(client),
    )
    assert r.status_code == 201, r.text
    r = client.get(f"/api/v1/businesses/{bid}/cash")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["available"] and (out["as_of"], out["opening_yen"]) == ("2026-09-30", 2_300_001)
    assert [w["closing_yen"] for w in out["weeks"]][-3:] == [3_800_001, 3_800_001, 2_600_001]
    assert out["weeks"][3]["by_kind_yen"] == {"payroll": -1_000_000, "rent": -200_000}
    r = client.get(f"/api/v1/businesses/{web_world.other_business_id}/cash")
    assert r.status_code == 404
