"""Monitoring on the pages and in the API, over a small synthetic demo after a monitoring run:
flags with their evidence, indicators against the peer band, the ロカベン radar, flag workflow
(staff and owner, page and API, CSRF), the portfolio sorted by priority, and API = CLI JSON."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from kizashi.access import Actor
from kizashi.access.monitoring import read_flags, read_indicators
from kizashi.access.policy import accessible_business_ids
from kizashi.access.reads import default_pack_ref
from kizashi.cli import context
from kizashi.domain.vocabulary import Category, Purpose
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, Flag, MonitoringSummary, User
from kizashi.web.app import create_app
from kizashi.web.charts_monitoring import RadarAxis, band_status, locaben_radar, peer_band
from kizashi.web.i18n import Translator

from ..demo_cache import monitored_demo
from .conftest import csrf_from, login

DEMO_PASSWORD = "kizashi-demo"
M = Purpose.MONITORING
SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Demo:
    store: Store
    settings: Settings
    client: TestClient
    business_id: int  # the guarantor's highest-priority business with open flags
    owner_login: str | None  # a demo owner whose business has open flags
    owner_business_id: int | None


def _actor(store: Store, login_name: str) -> Actor:
    # A read-only unit: callers hold a store.session() (the SQLite write lock) around it.
    with store.read_session() as s:
        return Actor.from_user(s.execute(select(User).where(User.login == login_name)).scalar_one())


@pytest.fixture
def demo(store: Store, settings: Settings):  # type: ignore[no-untyped-def]
    monitored_demo(store, settings, businesses=40, seed=11)
    hosho = _actor(store, "hosho")
    with store.read_session() as s:  # reads only: no write lock held
        ranked = s.execute(
            select(MonitoringSummary.business_id)
            .where(MonitoringSummary.open_flags > 0)
            .order_by(MonitoringSummary.priority.desc())
        ).scalars()
        business_id = next(b for b in ranked if _may_read_flags(store, hosho, b))
        owners = s.execute(
            select(User.login, Business.id)
            .join(Business, Business.org_id == User.org_id)
            .join(MonitoringSummary, MonitoringSummary.business_id == Business.id)
            .where(MonitoringSummary.open_flags > 0)
            .order_by(User.login)
        ).first()
    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        yield Demo(
            store,
            settings,
            client,
            business_id,
            owners[0] if owners else None,
            owners[1] if owners else None,
        )


def _may_read_flags(store: Store, actor: Actor, business_id: int) -> bool:
    try:
        with store.session() as s:
            read_flags(s, actor, business_id, M)
        return True
    except NotFound:
        return False


def _open_flags(d: Demo, business_id: int) -> list[Flag]:
    with d.store.session() as s:
        return list(
            s.execute(
                select(Flag).where(Flag.business_id == business_id, Flag.is_open.is_(True))
            ).scalars()
        )


def test_business_page_shows_flags_indicators_and_radar(demo: Demo) -> None:
    login(demo.client, "hosho", DEMO_PASSWORD)
    page = demo.client.get(f"/businesses/{demo.business_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    hosho = _actor(demo.store, "hosho")  # not inside the session below: one writer at a time
    with demo.store.session() as s:
        flags = read_flags(s, hosho, demo.business_id, M, include_closed=True)
        view = read_indicators(s, hosho, demo.settings.data_dir, demo.business_id, M)
    assert "対話のきっかけ（予兆フラグ）" in text
    open_flags = [f for f in flags if f.is_open]
    assert open_flags
    assert page.text.count('<article class="flag sev-') == len(flags)
    for f in open_flags:  # each with its evidence in plain words and the next step
        assert f.title["ja"] in text
        assert f.explanation["ja"] in text
        assert f.next_step["ja"] in text
    assert re.search(r"\d", open_flags[0].explanation["ja"])  # the evidence is quoted
    if len(flags) > len(open_flags):
        assert "解消した過去の項目" in text  # closed ones, collapsed
    # the radar: six axes, the rating or why there is none
    radar = re.search(r'<svg class="radar".*?</svg>', page.text, re.S)
    assert radar
    root = ET.fromstring(radar.group(0))
    assert (
        len(root.findall(f".//{SVG}text[@class='axis']"))
        + len(root.findall(f".//{SVG}text[@class='axis missing']"))
        == 6
    )
    if view.locaben_rating:
        assert f"総合評価 {view.locaben_rating}・30点中{view.locaben_total}点" in text
    else:
        assert "評価できません" in text
    # indicators grouped, with "not computable" where a value is None
    for heading in ("ローカルベンチマーク", "モニタリング指標", "トレンド"):
        assert f">{heading}</h3>" in page.text
    if any(v.value is None and v.group != "score" for v in view.values):
        assert "算出不可" in text
    assert "<script" not in page.text.split("</head>", 1)[1]


def test_peer_band_and_radar_charts() -> None:
    t = Translator("ja")
    svg = str(peer_band("営業利益率", 2.0, 1.0, 3.0, 5.0, 12, "higher", "%", t) or "")
    root = ET.fromstring(svg)
    band = root.find(f"{SVG}rect[@class='band']")
    median = root.find(f"{SVG}line[@class='median']")
    marker = root.find(f"{SVG}circle")
    assert band is not None and median is not None and marker is not None
    x0, w = float(band.get("x", 0)), float(band.get("width", 0))
    assert x0 < float(median.get("x1", 0)) < x0 + w  # the median inside the p25–p75 band
    assert x0 < float(marker.get("cx", 0)) < float(median.get("x1", 0))  # 2.0: below the median
    assert "中ほど半分は 1.0%〜5.0%" in svg
    assert peer_band("x", 2.0, 1.0, 3.0, 5.0, 2, "higher", "%", t) is None  # too few peers
    assert peer_band("x", None, 1.0, 3.0, 5.0, 12, "higher", "%", t) is None
    far = str(peer_band("x", 500.0, 1.0, 3.0, 5.0, 12, "lower", "%", t))
    assert "<path" in far and "watch" in far  # off the scale: an arrow, and worse (lower is better)
    assert band_status(6, 1, 5, "higher") == "good" and band_status(6, 1, 5, "lower") == "watch"
    assert band_status(3, 1, 5, "none") == "none"
    axes = [RadarAxis(n, s) for n, s in zip("abcdef", (1, 2, 3, 4, 5, 3), strict=True)]
    full = ET.fromstring(str(locaben_radar("ロカベン", axes, "B", 18, t)))
    assert full.find(f"{SVG}polygon[@class='shape']") is not None
    assert len(full.findall(f"{SVG}circle")) == 6
    partial = str(locaben_radar("ロカベン", [*axes[:5], RadarAxis("f", None)], None, None, t))
    assert 'class="shape"' not in partial and "評価できません" in partial


def test_staff_move_a_flag_through_the_page(demo: Demo) -> None:
    c = demo.client
    login(c, "hosho", DEMO_PASSWORD)
    page = c.get(f"/businesses/{demo.business_id}")
    token = csrf_from(page.text)
    flag = next(f for f in _open_flags(demo, demo.business_id) if f.state.value == "new")
    url = f"/businesses/{demo.business_id}/flags/{flag.id}/state"
    assert f'action="{url}"' in page.text
    # without the CSRF token: refused, nothing changes
    r = c.post(url, data={"state": "in_progress"})
    assert r.status_code == 403
    assert _state(demo, flag.id) == "new"
    # plain POST (no JavaScript): back to the page at the flag
    r = c.post(url, data={"state": "in_progress", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].endswith(f"#flag-{flag.id}")
    assert _state(demo, flag.id) == "in_progress"
    assert "対応中" in c.get(r.headers["location"]).text
    # 対応不要 needs a reason: refused with a message, nothing changes
    r = c.post(url, data={"state": "not_needed", "reason": " ", "csrf_token": token})
    assert r.status_code == 303 and "flag_error=reason" in r.headers["location"]
    assert "対応不要とする理由を書いてください" in c.get(r.headers["location"]).text
    assert _state(demo, flag.id) == "in_progress"
    # HTMX: the flag's own fragment comes back, with the reason kept
    r = c.post(
        url,
        data={"state": "not_needed", "reason": "返済条件の見直しで対応済み", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and r.text.lstrip().startswith("<article")
    assert "返済条件の見直しで対応済み" in r.text and "<html" not in r.text
    assert _state(demo, flag.id) == "not_needed"
    # 解消 is never set by hand
    r = c.post(url, data={"state": "resolved", "csrf_token": token})
    assert "flag_error=transition" in r.headers["location"]
    assert _state(demo, flag.id) == "not_needed"


def _state(d: Demo, flag_id: int) -> str:
    """The flag's state as the one organisation acting in the test answered it (新規 before)."""
    from kizashi.store.models import FlagResponse

    with d.store.session() as s:
        states = s.execute(
            select(FlagResponse.state).where(FlagResponse.flag_id == flag_id)
        ).scalars().all()  # fmt: skip
    assert len(states) <= 1
    return states[0].value if states else "new"


def test_owner_sees_kizuki_and_may_only_acknowledge(demo: Demo) -> None:
    if demo.owner_login is None:
        pytest.skip("no demo owner with open flags")
    c = demo.client
    login(c, demo.owner_login, DEMO_PASSWORD)
    bid = demo.owner_business_id
    page = c.get(f"/businesses/{bid}")
    assert page.status_code == 200
    assert ">気づき</h2>" in page.text and "予兆フラグ）" not in page.text
    assert 'class="sev sev-' not in page.text  # no severity badges for the owner
    assert "確認しました" in page.text
    assert "対応中にする" not in page.text and "対応不要にする" not in page.text
    flag = next(f for f in _open_flags(demo, bid) if f.state.value == "new")
    token = csrf_from(page.text)
    url = f"/businesses/{bid}/flags/{flag.id}/state"
    r = c.post(url, data={"state": "in_progress", "csrf_token": token})
    assert "flag_error=owner" in r.headers["location"]
    assert _state(demo, flag.id) == "new"
    api = c.post(
        f"/api/v1/flags/{flag.id}/state",
        json={"state": "not_needed", "reason": "x"},
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code == 403 and _state(demo, flag.id) == "new"
    r = c.post(url, data={"state": "acknowledged", "csrf_token": token})
    assert r.status_code == 303 and _state(demo, flag.id) == "acknowledged"


def test_api_flag_state(demo: Demo) -> None:
    c = demo.client
    login(c, "hosho", DEMO_PASSWORD)
    token = c.get("/api/v1/me").json()["csrf_token"]
    flag = _open_flags(demo, demo.business_id)[0]
    url = f"/api/v1/flags/{flag.id}/state"
    assert c.post(url, json={"state": "acknowledged"}).status_code == 403  # no CSRF header
    assert _state(demo, flag.id) == "new"
    r = c.post(url, json={"state": "acknowledged"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    assert r.json()["title"]["ja"] and r.json()["explanation"]["ja"]
    r = c.post(url, json={"state": "not_needed"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and _state(demo, flag.id) == "acknowledged"
    r = c.post(url, json={"state": "resolved"}, headers={"X-CSRF-Token": token})
    # never set by hand: the schema lists only the states a person may choose
    assert r.status_code == 422 and _state(demo, flag.id) == "acknowledged"
    r = c.post(
        url,
        json={"state": "in_progress", "purpose": "monitoring"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200 and _state(demo, flag.id) == "in_progress"


def test_api_equals_cli_json(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    login(demo.client, "hosho", DEMO_PASSWORD)
    bid = demo.business_id
    api_flags = demo.client.get(f"/api/v1/businesses/{bid}/flags?include_closed=true").json()
    api_open = demo.client.get(f"/api/v1/businesses/{bid}/flags").json()
    api_ind = demo.client.get(f"/api/v1/businesses/{bid}/indicators").json()
    monkeypatch.setenv("KIZASHI_DATABASE_URL", demo.store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(demo.settings.data_dir))
    context.settings.cache_clear()
    context.store.cache_clear()
    try:
        from kizashi.cli.main import app

        runner = CliRunner()

        def cli(*args: str) -> object:
            r = runner.invoke(app, list(args), catch_exceptions=False)
            assert r.exit_code == 0, r.output
            return json.loads(r.output)

        base = ("--business", str(bid), "--as", "hosho", "--json")
        assert api_flags["items"] == cli("flags", *base, "--all")
        assert api_open["items"] == cli("flags", *base)
        assert {k: v for k, v in api_ind.items() if k != "business_id"} == cli("indicators", *base)
    finally:
        context.settings.cache_clear()
        context.store.cache_clear()
    assert api_ind["as_of"] == "2026-09-30" and len(api_ind["values"]) > 20
    assert any(f["is_open"] for f in api_flags["items"])


def test_portfolio_sorted_by_priority(demo: Demo) -> None:
    c = demo.client
    login(c, "hosho", DEMO_PASSWORD)
    body = c.get("/api/v1/businesses?sort=priority&page_size=200").json()
    items = body["items"]
    with demo.store.session() as s:
        expected = [
            (bid, prio)
            for bid, prio in s.execute(
                select(MonitoringSummary.business_id, MonitoringSummary.priority)
                .where(MonitoringSummary.pack_ref == default_pack_ref())
                .order_by(MonitoringSummary.priority.desc())
            )
        ]
    hosho = _actor(demo.store, "hosho")
    visible = [(b, p) for b, p in expected if any(i["id"] == b for i in items)]
    shown = [(i["id"], i["monitoring"]["priority"]) for i in items if i["monitoring"]]
    # where the guarantor may read the monitoring results, they come first, by priority
    assert [p for _, p in shown] == [p for _, p in visible if _may_read_flags(demo.store, hosho, _)]
    assert items[: len(shown)] == [i for i in items if i["monitoring"]]
    prios = [p for _, p in shown]
    assert prios == sorted(prios, reverse=True) and prios
    top = items[0]["monitoring"]
    assert top["open_flags"] == sum(top[f"open_{k}"] for k in ("critical", "high", "medium", "low"))
    # paging in SQL: pages of 7 put together give the same order
    paged = []
    for page in range(1, body["pages"] + 10):
        chunk = c.get(f"/api/v1/businesses?sort=priority&page_size=7&page={page}").json()
        paged += [i["id"] for i in chunk["items"]]
        if page >= chunk["pages"]:
            break
    assert paged == [i["id"] for i in items]
    # the page: priority is the staff's default sort, highest first
    html_page = c.get("/portfolio").text
    assert re.search(r'aria-sort="descending">\s*<a[^>]*>優先度', html_page)
    first_name = html.escape(items[0]["name"])
    assert html_page.index(first_name) < html_page.index(html.escape(items[1]["name"]))
    assert "重大" in html_page or "高 " in html_page


def test_business_page_in_english(demo: Demo) -> None:
    login(demo.client, "hosho", DEMO_PASSWORD)
    text = demo.client.get(f"/businesses/{demo.business_id}?lang=en").text
    assert "Points to talk about" in text and "Indicators and industry peers" in text
    assert "Local Benchmark scores" in text and "Next step" in text
    assert "対話のきっかけ" not in text and "次の一歩" not in text


def test_flags_section_without_flags_consent(demo: Demo) -> None:
    """An institution that may see the profile but not the monitoring results: the section says so."""
    for login_name in ("bank1", "bank2", "bank3", "zeirishi1", "zeirishi2"):
        actor = _actor(demo.store, login_name)
        with demo.store.session() as s:
            visible = accessible_business_ids(actor, Category.PROFILE, M, date.today())
            ids = s.execute(visible).scalars().all()
        for bid in ids:
            try:
                with demo.store.session() as s:
                    read_flags(s, actor, bid, M)
            except NotFound:
                demo.client.cookies.clear()
                login(demo.client, login_name, DEMO_PASSWORD)
                text = demo.client.get(f"/businesses/{bid}").text
                assert (
                    "モニタリング結果（予兆フラグ）の共有について、事業者の同意がありません" in text
                )
                assert 'class="flag ' not in text
                return
    pytest.skip("every demo institution has a flags consent for what it sees")


def _cli_json(d: Demo, monkeypatch: pytest.MonkeyPatch, *args: str) -> object:
    monkeypatch.setenv("KIZASHI_DATABASE_URL", d.store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(d.settings.data_dir))
    context.settings.cache_clear()
    context.store.cache_clear()
    try:
        from kizashi.cli.main import app

        r = CliRunner().invoke(app, list(args), catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return json.loads(r.output)
    finally:
        context.settings.cache_clear()
        context.store.cache_clear()


def _table_rows(page: str) -> dict[str, str]:
    """Indicator table rows by their label (the row header)."""
    rows = {}
    for tr in re.findall(r'<tr class="st-[^"]*">(.*?)</tr>', page, re.S):
        label = re.search(r'<th scope="row">(.*?)</th>', tr, re.S)
        assert label
        rows[html.unescape(label.group(1))] = html.unescape(tr)
    return rows


def _with_a_percentile(d: Demo, actor: Actor) -> int:
    """A business the actor may see whose peer group is large enough for a percentile."""
    with d.store.session() as s:
        ids = s.execute(select(Business.id).order_by(Business.id)).scalars().all()
    for bid in ids:
        try:
            with d.store.session() as s:
                view = read_indicators(s, actor, d.settings.data_dir, bid, M)
        except NotFound:
            continue
        if any(v.peer_percentile is not None for v in view.values):
            return bid
    pytest.fail("no visible business has a peer group of 5 or more")


def test_each_indicator_shows_its_percentile_as_the_cli_prints_it(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    bid = _with_a_percentile(demo, _actor(demo.store, "hosho"))
    printed = _cli_json(
        demo, monkeypatch, "indicators", "--business", str(bid), "--as", "hosho", "--json"
    )
    values = [v for v in printed["values"] if v["group"] != "score"]  # type: ignore[index]
    with_pct = {v["ja"]: v for v in values if v["peer_percentile"] is not None}
    assert with_pct
    # whole percents, 0–100, and never for a yes/no indicator or where there is no value
    assert all(isinstance(v["peer_percentile"], int) for v in with_pct.values())
    assert all(0 <= v["peer_percentile"] <= 100 for v in with_pct.values())
    assert all(v["value"] is not None and v["unit"] != "bool" for v in with_pct.values())
    login(demo.client, "hosho", DEMO_PASSWORD)
    page = demo.client.get(f"/businesses/{bid}").text
    assert "値がこの事業者より小さい同業他社の割合です" in html.unescape(page)
    assert "良し悪しの評価ではありません" in html.unescape(page)
    rows = _table_rows(page)
    assert set(rows) == {v["ja"] for v in values}
    for v in values:  # the number the CLI prints, in the indicator's own row, and nowhere else
        words = f"同業他社の {v['peer_percentile']}% がこの値より小さい"
        if v["peer_percentile"] is None:
            assert "がこの値より小さい" not in rows[v["ja"]], v["id"]
        else:
            assert words in rows[v["ja"]], v["id"]
    assert html.unescape(page).count("がこの値より小さい") == len(with_pct)
    english = demo.client.get(f"/businesses/{bid}?lang=en").text
    for v in with_pct.values():
        assert f"{v['peer_percentile']}% of peers have a lower value" in english
    assert "この値より小さい" not in english
