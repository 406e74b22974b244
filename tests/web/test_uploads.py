"""Uploads through the API and the pages: report, duplicates, errors, confirmations, limits, access.

The files are tiny and hand-written: a 残高試算表 in CP932 (月, 科目, 当月残高) and the 弥生
仕訳日記帳 fixture re-encoded in CP932. The business of the web world has a March year end and
36 months of data up to last month, so the trial balances here use 2022 (nothing stored yet).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import AccountMapping, AuditEvent, Submission
from kizashi.web import pending
from kizashi.web.app import create_app

from .conftest import WebWorld, last_audit, login, snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "fixtures"


def trial_balance(*rows: tuple[str, str, str], header: str = "月,科目,当月残高") -> bytes:
    """A 残高試算表 with one row per month and account, as CP932 (Shift_JIS) like most exports."""
    lines = [header, *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


TB = trial_balance(
    ("2022-04", "普通預金", '"1,200,000"'),
    ("2022-04", "売掛金", '"300,000"'),
    ("2022-04", "短期借入金", '"500,000"'),
    ("2022-04", "資本金", '"1,000,000"'),
    ("2022-04", "売上高", '"300,000"'),
    ("2022-04", "仕入高", '"200,000"'),
    ("2022-04", "給料手当", '"100,000"'),
    ("2022-05", "普通預金", '"1,400,000"'),
    ("2022-05", "売掛金", '"350,000"'),
    ("2022-05", "短期借入金", '"500,000"'),
    ("2022-05", "資本金", '"1,000,000"'),
    ("2022-05", "売上高", '"850,000"'),
    ("2022-05", "仕入高", '"400,000"'),
    ("2022-05", "給料手当", '"200,000"'),
)
# 販促費 maps to 広告宣伝費 only with low confidence: a person must confirm it.
TB_TO_CONFIRM = trial_balance(
    ("2022-06", "普通預金", '"1,000,000"'),
    ("2022-06", "資本金", '"800,000"'),
    ("2022-06", "販促費", '"200,000"'),
    ("2022-06", "売上高", '"400,000"'),
)
TB_BAD_AMOUNT = trial_balance(
    ("2022-04", "普通預金", '"1,000,000"'),
    ("2022-04", "資本金", "12万円くらい"),
)
YAYOI = (FIXTURES / "yayoi.csv").read_text("utf-8").encode("cp932")


def api_csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def page_csrf(client: TestClient, url: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert m
    return m.group(1)


def post_api(client: TestClient, bid: int, files: list[tuple[str, bytes]], **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/businesses/{bid}/submissions",
        files=[("files", (name, body, "text/csv")) for name, body in files],
        data=data,
        headers=api_csrf(client),
    )


def post_page(client: TestClient, bid: int, files: list[tuple[str, bytes]], **data: str):  # type: ignore[no-untyped-def]
    token = page_csrf(client, f"/businesses/{bid}/upload")
    return client.post(
        f"/businesses/{bid}/upload",
        files=[("files", (name, body, "text/csv")) for name, body in files],
        data={"csrf_token": token, **data},
    )


def submissions(store: Store) -> list[Submission]:
    with store.session() as s:
        return list(s.execute(select(Submission).order_by(Submission.id)).scalars())


# ------------------------------------------------------------------------------------ API


def test_api_upload_returns_the_report_and_stores(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(client, "owner")
    r = post_api(client, web_world.business_id, [("試算表.csv", TB)])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["reason"] == "stored" and body["stored"] and not body["duplicate"]
    assert body["submission_id"] and body["superseded"] == []
    assert [(s["period_end"], s["version"]) for s in body["statements"]] == [
        ("2022-04-30", 1),
        ("2022-05-31", 1),
    ]
    report = body["report"]
    assert report["sources"][0]["format"] == "table"
    assert report["sources"][0]["encoding"] == "cp932"
    may = report["months"][1]
    assert may["amounts"]["sales"] == 850_000 and may["flows"]["sales"] == 550_000
    mapping = {m["account"]: m["code"] for m in report["mapping"]}
    assert (
        mapping["普通預金"] == "cash_and_deposits"
        and mapping["短期借入金"] == "short_term_borrowings"
    )
    [sub] = submissions(store)
    assert sub.id == body["submission_id"] and sub.filename == "試算表.csv"

    listing = client.get(f"/api/v1/businesses/{web_world.business_id}/submissions").json()
    assert listing["total"] == 1
    [item] = listing["items"]
    assert item["id"] == sub.id and item["format"] == "table" and item["statements"] == 2
    assert (item["first_period_end"], item["last_period_end"]) == ("2022-04-30", "2022-05-31")
    assert item["uploaded_by"] == "社長"


def test_api_same_file_again_is_a_no_op(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(client, "owner")
    first = post_api(client, web_world.business_id, [("a.csv", TB)]).json()
    before = snapshot(store)
    again = post_api(client, web_world.business_id, [("renamed.csv", TB)])
    assert again.status_code == 200
    assert again.json()["reason"] == "duplicate"
    assert again.json()["submission_id"] == first["submission_id"]
    assert snapshot(store) == before


def test_api_yayoi_journal_in_cp932(client: TestClient, store: Store, web_world: WebWorld) -> None:
    login(client, "a_officer")  # the lending bank, with a financials consent: on behalf
    r = post_api(client, web_world.business_id, [("仕訳日記帳.txt", YAYOI)])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["source_format"] == "yayoi"
    assert body["report"]["sources"][0]["encoding"] == "cp932"
    # April and May 2025 were already stored for the world: new versions, old ones kept
    assert len(body["superseded"]) == 2 and all(s["version"] == 2 for s in body["statements"])
    assert {w["code"] for w in body["report"]["warnings"]} >= {"period.stored"}


def test_api_dry_run_stores_nothing(client: TestClient, store: Store, web_world: WebWorld) -> None:
    login(client, "owner")
    before = snapshot(store)
    r = post_api(client, web_world.business_id, [("tb.csv", TB)], dry_run="true")
    assert r.status_code == 200 and r.json()["reason"] == "dry_run"
    assert [s["id"] for s in r.json()["statements"]] == [None, None]
    assert snapshot(store) == before


def test_api_errors_name_line_and_column(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(client, "owner")
    before = snapshot(store)
    r = post_api(client, web_world.business_id, [("bad.csv", TB_BAD_AMOUNT)])
    assert r.status_code == 422 and r.json()["reason"] == "errors"
    [err] = [e for e in r.json()["report"]["errors"] if e["code"] == "amount.invalid"]
    assert (err["file"], err["line"], err["column"], err["value"]) == (
        "bad.csv",
        3,
        3,
        "12万円くらい",
    )
    assert snapshot(store) == before


def test_api_confirm_then_store(client: TestClient, store: Store, web_world: WebWorld) -> None:
    login(client, "owner")
    bid = web_world.business_id
    first = post_api(client, bid, [("tb.csv", TB_TO_CONFIRM)])
    assert first.status_code == 200 and first.json()["reason"] == "needs_confirmation"
    [need] = first.json()["needs_confirmation"]
    assert (need["account"], need["code"]) == ("販促費", "advertising")
    assert submissions(store) == []
    bad = client.post(
        f"/api/v1/businesses/{bid}/account-mappings",
        json={
            "mappings": [
                {"source_format": "table", "as_reported_name": "販促費", "item_code": "no_such"}
            ]
        },
        headers=api_csrf(client),
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "mappings", 0, "item_code"]
    ok = client.post(
        f"/api/v1/businesses/{bid}/account-mappings",
        json={
            "mappings": [
                {"source_format": "table", "as_reported_name": "販促費", "item_code": "advertising"}
            ]
        },
        headers=api_csrf(client),
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["confirmed"] == [
        {"source_format": "table", "as_reported_name": "販促費", "item_code": "advertising"}
    ]
    again = post_api(client, bid, [("tb.csv", TB_TO_CONFIRM)])
    assert again.status_code == 201 and again.json()["reason"] == "stored"
    m = next(m for m in again.json()["report"]["mapping"] if m["account"] == "販促費")
    assert m["method"] == "confirmed"


def test_api_rejects_unknown_format(client: TestClient, web_world: WebWorld) -> None:
    login(client, "owner")
    r = post_api(client, web_world.business_id, [("tb.csv", TB)], format="lotus123")
    assert r.status_code == 422 and "lotus123" in r.json()["detail"][0]["msg"]
    formats = client.get("/api/v1/formats").json()
    assert {"yayoi", "table", "freee_journal"} <= {f["name"] for f in formats}


# ---------------------------------------------------------------------------------- pages


def test_business_page_offers_the_upload_to_who_may_upload(
    client: TestClient, web_world: WebWorld
) -> None:
    url = f"/businesses/{web_world.business_id}"
    for actor, offered in (("owner", True), ("a_officer", True), ("b_officer", False)):
        login(client, actor)
        page = client.get(url).text
        assert ("データを取り込む" in page) is offered, actor
        assert (f'href="{url}/upload"' in page) is offered, actor
        client.cookies.clear()


def test_page_upload_renders_the_report(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(client, "owner")
    form = client.get(f"/businesses/{web_world.business_id}/upload")
    assert form.status_code == 200
    assert "自動判定" in form.text and 'enctype="multipart/form-data"' in form.text
    assert "まだ取り込んだデータはありません" in form.text
    r = post_page(client, web_world.business_id, [("試算表.csv", TB)])
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert "取り込みました" in html and "2件の試算表・決算書" in html
    assert "残高試算表" in html and "cp932" in html  # detected format (ja label) and encoding
    assert "令和4年5月" in html  # the month, in 和暦
    assert "550,000円" in html and "850,000円" in html  # May's own sales and the year to date
    assert "1,400,000円" in html and "500,000円" in html  # cash and borrowings at month end
    assert "普通預金" in html and "現金及び預金" in html  # as reported → standard item
    assert len(submissions(store)) == 1
    listing = client.get(f"/businesses/{web_world.business_id}/upload").text
    assert 'id="submissions"' in listing and "試算表.csv" in listing
    again = post_page(client, web_world.business_id, [("試算表.csv", TB)])
    assert "取り込み済みです" in again.text and len(submissions(store)) == 1


def test_page_errors_show_line_and_column(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(client, "owner")
    r = post_page(client, web_world.business_id, [("bad.csv", TB_BAD_AMOUNT)])
    assert r.status_code == 422
    row = re.search(
        r'<tr class="issue issue-error" data-code="amount.invalid">(.*?)</tr>', r.text, re.S
    )
    assert row, r.text
    cells = row.group(1)
    assert "金額が読み取れません" in cells and "bad.csv" in cells
    assert '<td class="num line">3</td>' in cells and '<td class="num column">3</td>' in cells
    assert "12万円くらい" in cells
    assert "何も保存していません" in r.text
    assert submissions(store) == []


def _confirm_form(html: str) -> tuple[str, str]:
    token = re.search(r'name="token" value="([^"]+)"', html)
    chosen = re.search(r'<select name="map:販促費".*?<option value="(\w+)" selected>', html, re.S)
    assert token and chosen, html
    return token.group(1), chosen.group(1)


def test_page_confirmation_then_stored_and_never_asked_again(
    client: TestClient, store: Store, settings: Settings, web_world: WebWorld
) -> None:
    login(client, "owner")
    bid = web_world.business_id
    r = post_page(client, bid, [("tb.csv", TB_TO_CONFIRM)])
    assert r.status_code == 200
    assert "確認をお待ちしています" in r.text and "勘定科目の確認" in r.text
    assert '<optgroup label="損益計算書 — 販売費及び一般管理費">' in r.text
    token, chosen = _confirm_form(r.text)
    assert chosen == "advertising"  # prefilled with the best guess
    assert submissions(store) == []
    kept = pending.pending_root(settings.data_dir) / token
    assert kept.is_dir() and (kept.stat().st_mode & 0o777) == 0o700

    done = client.post(
        f"/businesses/{bid}/upload/confirm",
        data={
            "csrf_token": page_csrf(client, f"/businesses/{bid}/upload"),
            "token": token,
            "map:販促費": chosen,
        },
    )
    assert done.status_code == 200, done.text[:400]
    assert "取り込みました" in done.text and "以前に確認済み" in done.text
    assert len(submissions(store)) == 1 and not kept.exists()
    with store.session() as s:
        row = s.execute(select(AccountMapping)).scalar_one()
        assert (row.business_id, row.source_format, row.item_code) == (bid, "table", "advertising")

    # a later month with the same account is not asked about
    july = TB_TO_CONFIRM.replace(b"2022-06", b"2022-07")
    later = post_page(client, bid, [("tb-07.csv", july)])
    assert "取り込みました" in later.text and 'name="token"' not in later.text


def test_a_kept_upload_belongs_to_its_user(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    bid = web_world.business_id
    login(client, "owner")
    token, chosen = _confirm_form(post_page(client, bid, [("tb.csv", TB_TO_CONFIRM)]).text)
    client.cookies.clear()
    login(client, "a_officer")  # may upload for the business, but this is not their upload
    r = client.post(
        f"/businesses/{bid}/upload/confirm",
        data={
            "csrf_token": page_csrf(client, f"/businesses/{bid}/upload"),
            "token": token,
            "map:販促費": chosen,
        },
    )
    assert r.status_code == 410 and "もう残っていません" in r.text
    assert submissions(store) == []
    with store.session() as s:
        assert s.execute(select(AccountMapping)).first() is None


# ------------------------------------------------------------------------- limits, CSRF


@pytest.fixture
def small_client(settings: Settings, store: Store, web_world: WebWorld):  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"max_upload_bytes": 1000}), store)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _multipart(name: str, data: bytes, boundary: str = "kizashi-test-boundary") -> bytes:
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )


def test_over_the_limit_is_413_with_a_clear_message(
    small_client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(small_client, "owner")
    bid = web_world.business_id
    before = snapshot(store)
    huge = b"x" * 200_000  # Content-Length alone is over: refused before the body is read
    r = post_api(small_client, bid, [("big.csv", huge)])
    assert r.status_code == 413
    # the API says it in Japanese only (as every refusal); a page says it in its language
    assert "大きすぎます" in r.json()["detail"] and "too large" not in r.json()["detail"]
    assert r.json()["limit_bytes"] == 1000
    r = post_api(small_client, bid, [("medium.csv", b"y" * 5000)])  # within the form allowance
    assert r.status_code == 413 and r.json()["limit_bytes"] == 1000  # the files' actual size
    # a body streamed without Content-Length is cut off as soon as it passes the limit
    body = _multipart("stream.csv", b"z" * 200_000)
    chunks = iter([body[i : i + 16_384] for i in range(0, len(body), 16_384)])
    r = small_client.post(
        f"/api/v1/businesses/{bid}/submissions",
        content=chunks,
        headers={
            **api_csrf(small_client),
            "Content-Type": "multipart/form-data; boundary=kizashi-test-boundary",
        },
    )
    assert r.status_code == 413
    page = post_page(small_client, bid, [("big.csv", huge)])
    assert page.status_code == 413 and "一度に送れるのは合計 1000 bytes まで" in page.text
    assert snapshot(store) == before


def test_csrf_is_required(client: TestClient, store: Store, web_world: WebWorld) -> None:
    login(client, "owner")
    bid = web_world.business_id
    before = snapshot(store)
    api = client.post(
        f"/api/v1/businesses/{bid}/submissions", files=[("files", ("tb.csv", TB, "text/csv"))]
    )
    assert api.status_code == 403
    page = client.post(
        f"/businesses/{bid}/upload",
        files=[("files", ("tb.csv", TB, "text/csv"))],
        data={"csrf_token": "forged"},
    )
    assert page.status_code == 403
    mappings = client.post(
        f"/api/v1/businesses/{bid}/account-mappings",
        json={
            "mappings": [{"source_format": "table", "as_reported_name": "x", "item_code": "sales"}]
        },
    )
    assert mappings.status_code == 403
    assert snapshot(store) == before


# --------------------------------------------------------------------------- authorisation

ALLOWED = {"owner", "a_officer", "cgc_officer"}  # the owner, and organisations with financials
ACTORS = [
    "c_officer",  # another organisation: nothing
    "b_officer",  # lends to the business, no consent
    "rev_officer",  # consent revoked
    "exp_officer",  # consent expired
    "a_admin",  # wrong role
    "a_auditor",  # wrong role
    "other_owner",  # another business's owner
    *sorted(ALLOWED),
]


def _post_route(client: TestClient, route: str, bid: int):  # type: ignore[no-untyped-def]
    if route == "api-submissions":
        return post_api(client, bid, [("tb.csv", TB)])
    if route == "page-upload":
        return post_page(client, bid, [("tb.csv", TB)])
    return client.post(
        f"/api/v1/businesses/{bid}/account-mappings",
        json={
            "mappings": [
                {"source_format": "table", "as_reported_name": "販促費", "item_code": "advertising"}
            ]
        },
        headers=api_csrf(client),
    )


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", ["api-submissions", "page-upload", "api-account-mappings"])
def test_upload_matrix(
    client: TestClient, store: Store, web_world: WebWorld, route: str, actor: str
) -> None:
    login(client, actor)
    bid = web_world.business_id
    if route == "page-upload" and actor not in ALLOWED:
        assert client.get(f"/businesses/{bid}/upload").status_code == 404
    before = snapshot(store)
    r = _post_route(client, route, bid)
    if actor in ALLOWED:
        assert r.status_code in (200, 201), (actor, route, r.text[:300])
        return
    assert r.status_code == 404, (actor, route, r.status_code)
    assert web_world.business_name not in r.text
    assert snapshot(store) == before
    last = last_audit(store)
    assert (last.action, last.decision, last.business_id) == ("upload", "deny", bid)
    assert last.actor_user_id is not None


def test_missing_business_is_the_same_404(client: TestClient, store: Store) -> None:
    login(client, "owner")
    before = snapshot(store)
    assert post_api(client, 987654, [("tb.csv", TB)]).status_code == 404
    assert snapshot(store) == before


def test_anonymous_posts_are_refused(client: TestClient, store: Store, web_world: WebWorld) -> None:
    before = snapshot(store)
    client.get("/login")  # an anonymous session with a CSRF token
    token = client.cookies  # noqa: F841  (the session cookie carries it)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post(
        f"/api/v1/businesses/{web_world.business_id}/submissions",
        files=[("files", ("tb.csv", TB, "text/csv"))],
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 401 and r.json() == {"detail": "Not authenticated"}
    page = client.post(
        f"/businesses/{web_world.business_id}/upload",
        files=[("files", ("tb.csv", TB, "text/csv"))],
        data={"csrf_token": csrf},
    )
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert snapshot(store) == before
    with store.session() as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "upload")).first() is None


def test_the_stored_report_is_the_one_returned(
    client: TestClient, store: Store, web_world: WebWorld
) -> None:
    login(client, "owner")
    body = post_api(client, web_world.business_id, [("tb.csv", TB)]).json()
    [sub] = submissions(store)
    assert json.loads(sub.report_json)["months"] == body["report"]["months"]
