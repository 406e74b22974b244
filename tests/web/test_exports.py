"""Portfolio and flag-list downloads: the same rows as the API lists, with the page's filters
applied, Japanese headers for a Japanese user; .xlsx opens with openpyxl; audited as reads."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from kizashi.store.models import AuditEvent

from .conftest import login


def _csv(client, url: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    r = client.get(url)
    assert r.status_code == 200, r.text
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def _lists(store) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return s.execute(
            select(func.count()).where(AuditEvent.action == "list", AuditEvent.decision == "allow")
        ).scalar_one()


def test_portfolio_export_equals_the_api(client, store, web_world):  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    api = client.get("/api/v1/businesses?sort=name&page_size=200").json()["items"]
    before = _lists(store)
    rows = _csv(client, "/portfolio/export.csv?sort=name")
    assert _lists(store) > before  # the download is an audited listing
    assert rows[0][:3] == ["事業者ID", "事業者名", "法人番号"]
    assert [(int(r[0]), r[1]) for r in rows[1:]] == [(b["id"], b["name"]) for b in api]
    for r, b in zip(rows[1:], api, strict=True):
        m = b["monitoring"]
        assert r[8] == ("" if m is None else str(m["open_flags"]))
    # the page's filters apply: a name that matches one business
    name = web_world.business_name
    rows = _csv(client, f"/portfolio/export.csv?sort=name&q={name}")
    assert [r[1] for r in rows[1:]] == [name]
    wb = load_workbook(io.BytesIO(client.get(f"/portfolio/export.xlsx?sort=name&q={name}").content))
    cells = list(wb.active.iter_rows(values_only=True))
    assert cells[1][0] == web_world.business_id and cells[1][1] == name
    # the link on the page carries the filters
    page = client.get(f"/portfolio?q={name}").text
    assert "/portfolio/export.csv?q=" in page


def test_flag_export_equals_the_api(client, web_world):  # type: ignore[no-untyped-def]
    login(client, "cgc_officer")
    bid = web_world.business_id
    api = client.get(f"/api/v1/businesses/{bid}/flags").json()["items"]
    rows = _csv(client, f"/businesses/{bid}/flags/export.csv")
    assert rows[0][:3] == ["フラグID", "内容", "重大度"]
    assert [(int(r[0]), r[1]) for r in rows[1:]] == [(f["id"], f["title"]["ja"]) for f in api]
    assert rows[1][2] == "高"  # severity in Japanese on a Japanese download
    wb = load_workbook(io.BytesIO(client.get(f"/businesses/{bid}/flags/export.xlsx").content))
    assert [r[0] for r in list(wb.active.iter_rows(values_only=True))[1:]] == [f["id"] for f in api]
    assert "/flags/export.csv" in client.get(f"/businesses/{bid}").text
    client.cookies.clear()
    login(client, "c_officer")  # no consent: the same 404 as for the page
    assert client.get(f"/businesses/{bid}/flags/export.csv").status_code == 404
