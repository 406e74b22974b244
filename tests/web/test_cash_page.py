"""The business page's cash forecast section: the owner's and an institution's view, in Japanese;
without consent for 口座 the section says so and shows no figures."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.cli.test_cash_cmd import _statement

from .conftest import WebWorld, login


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def _section(html: str) -> str:
    m = re.search(
        r'<section class="card" aria-labelledby="h-cash" id="cash">(.*?)</section>', html, re.S
    )
    assert m, "no cash section"
    return m.group(1)


def test_cash_section_on_the_business_page(
    client: TestClient, web_world: WebWorld, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    bid = web_world.business_id
    login(client, "owner")
    sec = _section(client.get(f"/businesses/{bid}").text)
    assert "残高の分かる入出金明細がまだ届いていません" in sec
    r = client.post(
        f"/api/v1/businesses/{bid}/money-files",
        files={"file": ("meisai.csv", _statement(tmp_path / "m.csv").read_bytes(), "text/csv")},
        headers=_csrf(client),
    )
    assert r.status_code == 201, r.text
    sec = _section(client.get(f"/businesses/{bid}").text)
    assert "資金繰り予測(13週間)" in sec and "資金不足は見込まれません" in sec
    assert sec.count("<tr") == 14  # header + 13 weeks
    assert "2,600,001円" in sec and "<svg" in sec and sec.count("<rect") == 13
    text = re.sub(r"<[^>]+>", " ", sec)
    assert not re.search(r"\b[A-Za-z]{3,}\b", text), text
    client.post("/logout", headers=_csrf(client))
    login(client, "cgc_officer")  # the guarantor has no consent for 口座
    sec = _section(client.get(f"/businesses/{bid}").text)
    assert "口座の情報を見る同意がありません" in sec and "円" not in sec
