"""Money files through the upload page: recognised, stored, reported in Japanese with the
place in the file; another company's invoice refused, then stored when the page says which
side this business is."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from kizashi.store.db import Store
from tests.ingest import zengin_builder as zb

from .conftest import WebWorld, login, snapshot
from .japanese_only import latin_words, visible_text
from .test_uploads import post_page

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
PINT = (
    SAMPLES / "einvoice" / "jp-pint" / "Japan PINT Invoice UBL Example1-minimum.xml"
).read_bytes()


def test_statement_through_the_page(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    r = post_page(client, web_world.business_id, [("meisai.txt", b"\n".join(zb.statement03()))])
    assert r.status_code == 200, r.text
    text = visible_text(r.text)
    assert "保存しました" in text and "入出金明細: 追加 4 件" in text
    assert latin_words(text, {"kizashi"}) == [], latin_words(text)


def test_errors_are_located_in_japanese(
    client: TestClient, web_world: WebWorld, store: Store
) -> None:
    login(client, "owner")
    before = snapshot(store)
    recs = zb.statement03()
    recs[4] = zb.trailer03(1, 500_001, 2, 420_000, 1_080_000, 3)
    r = post_page(client, web_world.business_id, [("bad.txt", b"\n".join(recs))])
    assert r.status_code == 422
    assert 'data-code="zengin.trailer_mismatch"' in r.text
    text = visible_text(r.text)
    assert "トレーラの件数・合計がデータ・レコードと合いません" in text and "入金額合計" in text
    assert snapshot(store) == before


def test_another_companys_invoice_then_the_side_chosen(
    client: TestClient, web_world: WebWorld
) -> None:
    login(client, "owner")
    r = post_page(client, web_world.business_id, [("inv.xml", PINT)])
    assert r.status_code == 422
    assert "売り手も買い手もこの事業者ではありません" in visible_text(r.text)
    r = post_page(client, web_world.business_id, [("inv.xml", PINT)], direction="received")
    assert r.status_code == 200 and "請求書: 追加 1 件" in visible_text(r.text)
