"""A file the importers refuse outright (an EBCDIC 全銀 file, a hostile XML, an unreadable
workbook) is said in the page's language — the refusal's own words, with the file and the
record or line — and in Japanese only by the API; never one "日本語 / English" string. A bank
file's new warning (dates without a year) has its headline in both languages too."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from kizashi.store.db import Store
from tests.ingest import zengin_builder as zb

from .conftest import WebWorld, login, snapshot
from .japanese_only import latin_words, visible_text
from .test_uploads import post_page

BANK = Path(__file__).resolve().parents[1] / "ingest" / "fixtures" / "bank"
# a 03 header whose コード区分 (byte 4) says EBCDIC: refused at record 1, byte 4
EBCDIC_SAID = zb.header03("060430", "060401", "060430", "1", "ｱ", 0, code="1")
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"""


def _lang(client: TestClient, bid: int, lang: str) -> None:
    assert client.get(f"/businesses/{bid}/upload?lang={lang}").status_code == 200


def _details(page: str) -> list[str]:
    """The details cells of the issues table, as read."""
    rows = page.split('data-code="upload.rejected"')[1:]
    assert rows, page[:3000]
    return [visible_text(row.split("</tr>")[0]) for row in rows]


def test_a_refused_zengin_file_in_the_pages_language(
    client: TestClient, web_world: WebWorld, store: Store
) -> None:
    login(client, "owner")
    before = snapshot(store)
    said = {}
    for lang in ("ja", "en"):
        _lang(client, web_world.business_id, lang)
        r = post_page(client, web_world.business_id, [("ebcdic.txt", EBCDIC_SAID)])
        assert r.status_code == 422, r.text[:2000]
        (said[lang],) = _details(r.text)
    assert "ebcdic.txt: 1 レコード目 コード区分 (4 バイト目): EBCDIC (1)" in said["ja"]
    assert latin_words(said["ja"], {"ebcdic", "txt", "EBCDIC", "JIS"}) == [], said["ja"]
    assert "ebcdic.txt: record 1, byte 4, コード区分: EBCDIC (1) is not supported" in said["en"]
    assert "レコード目" not in said["en"]
    assert snapshot(store) == before


def test_a_hostile_xml_is_refused_in_the_pages_language(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "owner")
    said = {}
    for lang in ("ja", "en"):
        _lang(client, web_world.business_id, lang)
        r = post_page(client, web_world.business_id, [("evil.xml", XXE)])
        assert r.status_code == 422, r.text[:2000]
        (said[lang],) = _details(r.text)
    assert "evil.xml: 2 行目: DOCTYPE・ENTITY 宣言を含む XML は安全のため読みません" in said["ja"]
    assert "evil.xml: line 2: XML with a DOCTYPE or entity declaration is refused" in said["en"]
    assert "行目" not in said["en"]


def test_the_api_says_a_refusal_in_japanese_only(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    csrf = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
    r = client.post(
        f"/api/v1/businesses/{web_world.business_id}/money-files",
        files={"file": ("ebcdic.txt", EBCDIC_SAID, "application/octet-stream")},
        headers=csrf,
    )
    assert r.status_code == 422, r.text
    (issue,) = r.json()["issues"]
    assert issue["code"] == "upload.rejected"
    assert (issue["file"], issue["line"], issue["column"], issue["field"]) == (
        "ebcdic.txt",
        1,
        4,
        "コード区分",
    )
    assert issue["message"].startswith("ebcdic.txt: 1 レコード目 コード区分")
    assert "supported" not in issue["message"]
    # both texts stay in the parameters, for a client that shows English
    assert "is not supported" in issue["params"]["en"]


def test_an_unreadable_workbook_on_the_accounting_upload(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "owner")
    broken = b"PK\x03\x04" + b"\x00" * 200  # a zip signature and nothing readable
    said = {}
    for lang in ("ja", "en"):
        _lang(client, web_world.business_id, lang)
        r = post_page(client, web_world.business_id, [("tb.xlsx", broken)])
        assert r.status_code == 422, r.text[:2000]
        (said[lang],) = _details(r.text)
    assert "tb.xlsx: .xlsx ファイルとして読めません" in said["ja"]
    assert "tb.xlsx: not a readable .xlsx file" in said["en"]


def test_a_year_less_bank_file_warns_in_the_pages_language(
    client: TestClient, web_world: WebWorld
) -> None:
    ja_export = (BANK / "ja.csv").read_bytes()
    login(client, "owner")
    seen = {}
    for lang in ("ja", "en"):
        _lang(client, web_world.business_id, lang)
        r = post_page(client, web_world.business_id, [("ja.csv", ja_export)])
        assert r.status_code == 200, r.text[:2000]
        row = r.text.split('data-code="bank.year_inferred"')[1].split("</tr>")[0]
        seen[lang] = visible_text(row)
    assert "年のない日付に年を補いました" in seen["ja"] and "取扱日付" in seen["ja"]
    assert latin_words(seen["ja"], {"ja", "csv"}) == [], seen["ja"]
    assert "Dates without a year were given one" in seen["en"]
