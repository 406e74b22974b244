"""Documents for the dialogue: the ロカベン sheet (.xlsx) equals the indicators API; the monitoring
sheet's PDF text carries the business's figures and flags, its Japanese font embedded; both are
reads under consent (refused without one, audited), through the API and ``kizashi document``."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from kizashi.access.monitoring import IndicatorsView, IndicatorValue
from kizashi.cli import context
from kizashi.documents import pick_periods
from kizashi.documents.locaben_xlsx import FIRST_ROW, HEADER_ROW, SHEET_FIN, SHEET_NONFIN
from kizashi.documents.monitoring_pdf import MAX_FLAGS, figure
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import AuditEvent
from kizashi.web.app import create_app

from ..demo_cache import monitored_demo
from .conftest import login
from .test_monitoring import DEMO_PASSWORD

RUN_MONTHS = (date(2024, 9, 1), date(2025, 9, 1), date(2026, 9, 1))


@pytest.fixture
def three_years(store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monitored_demo(store, settings, businesses=20, seed=11, months=tuple(RUN_MONTHS))
    monkeypatch.setenv("KIZASHI_DATABASE_URL", store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(settings.data_dir))
    context.settings.cache_clear()
    context.store.cache_clear()
    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        login(client, "hosho", DEMO_PASSWORD)
        best = None
        for b in client.get("/api/v1/businesses?page_size=200").json()["items"]:
            flags = client.get(f"/api/v1/businesses/{b['id']}/flags").json()["items"]
            ind = client.get(f"/api/v1/businesses/{b['id']}/indicators").json()
            if ind["values"] and flags and ind["locaben_total"] is not None:
                best = b["id"]
                break
        assert best is not None, "the demo has a business with values, a total and open flags"
        yield client, best
    context.settings.cache_clear()
    context.store.cache_clear()


def _case_with_a_dialogue(store: Store, settings: Settings, bid: int) -> None:
    """hosho opens a case, records a dialogue with two agreed actions, enters two non-financial
    items (through the actions, audited) — what the documents must carry."""
    from kizashi.access import Actor
    from kizashi.actions.cases import (
        ActionInput,
        DialogueInput,
        do_add_dialogue,
        do_open_case,
        do_set_non_financial,
    )
    from kizashi.domain.support import ActionParty, Channel, NonFinancialItem, SupportType
    from kizashi.domain.vocabulary import Purpose
    from kizashi.store.models import User

    with store.session() as s:
        user = s.execute(select(User).where(User.login == "hosho")).scalar_one()
        actor = Actor.from_user(user)
        case = do_open_case(
            s,
            actor,
            business_id=bid,
            purpose=Purpose.MONITORING,
            support_type=SupportType.IMPROVEMENT,
            title="資金繰りの相談",
        )
        do_add_dialogue(
            s,
            actor,
            case_id=case.id,
            purpose=Purpose.MONITORING,
            raw_dir=settings.raw_dir,
            dialogue=DialogueInput(
                held_on=date(2026, 10, 14),
                channel=Channel.VISIT,
                topics="運転資金の見通しを確認した",
                attendees=("代表取締役", "担当者"),
                owner_said="冬の受注が読めない",
                actions=(
                    ActionInput("13週の資金繰り表を作る", ActionParty.OWNER, date(2026, 11, 14)),
                    ActionInput("条件変更の可否を確認する", ActionParty.OFFICER, None),
                ),
            ),
        )
        for item, body in (
            (NonFinancialItem.MANAGER, "二代目、後継者は長男"),
            (NonFinancialItem.INTERNAL, "月次の会議なし"),
        ):
            do_set_non_financial(
                s,
                actor,
                case_id=case.id,
                period="2026",
                item=item,
                body=body,
                purpose=Purpose.MONITORING,
            )


def _view(month: int, year: int = 2026) -> IndicatorsView:
    return IndicatorsView("p", date(year, month, 28), None, None, None, [])


def test_periods_a_year_apart_when_the_history_allows() -> None:
    h = [_view(m, y) for y in (2024, 2025, 2026) for m in (3, 9)]
    assert [v.as_of for v in pick_periods(h)] == [
        date(2024, 9, 28),
        date(2025, 9, 28),
        date(2026, 9, 28),
    ]
    short = [_view(7), _view(8), _view(9)]  # under a year of history: the latest three
    assert [v.as_of for v in pick_periods(short)] == [v.as_of for v in short]
    assert pick_periods([]) == []


def test_figure_formats() -> None:
    v = IndicatorValue("x", "x", "x", "%", "higher", "locaben", -12.36, 3, *[None] * 5)
    assert figure(v) == "−12.4%"
    v = IndicatorValue(
        "x", "x", "x", "thousand_yen_per_person", "higher", "locaben", 2450.4, 3, *[None] * 5
    )
    assert figure(v) == "2,450千円/人"


def _indicators(client: TestClient, bid: int, month: date) -> dict:  # type: ignore[type-arg]
    r = client.get(f"/api/v1/businesses/{bid}/indicators", params={"month": f"{month:%Y-%m}"})
    assert r.status_code == 200
    return r.json()


def test_locaben_xlsx_equals_the_indicators_api(
    three_years, store: Store, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    client, bid = three_years
    _case_with_a_dialogue(store, settings, bid)
    r = client.get(f"/api/v1/businesses/{bid}/documents/locaben.xlsx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(BytesIO(r.content))
    assert wb.sheetnames == [SHEET_FIN, SHEET_NONFIN]
    ws = wb[SHEET_FIN]
    assert "kizashi 独自の様式" in ws["A2"].value
    labels = [ws.cell(HEADER_ROW - 1, 3 + 2 * i).value for i in range(3)]
    assert labels == ["2024年9月末", "2025年9月末", "2026年9月末"]
    for i, month in enumerate(RUN_MONTHS):
        api = _indicators(client, bid, month)
        six = [v for v in api["values"] if v["group"] == "locaben"]
        assert len(six) == 6
        col = 3 + 2 * i
        for row, v in enumerate(six, FIRST_ROW):
            assert ws.cell(row, 1).value == f"{row - FIRST_ROW + 1}. {v['ja']}"
            # a workbook keeps 15–17 significant digits (openpyxl writes "%.16g"), as Excel
            # holds them: equal to the API's double to its last digit but one
            cell = ws.cell(row, col).value
            assert (cell is None) == (v["value"] is None), (month, v["id"])
            if cell is not None:
                assert cell == pytest.approx(v["value"], rel=1e-15, abs=1e-300), (month, v["id"])
            assert ws.cell(row, col + 1).value == v["score"], (month, v["id"])
        assert ws.cell(FIRST_ROW + 6, col).value == api["locaben_total"]
        assert ws.cell(FIRST_ROW + 6 + 1, col).value == api["locaben_rating"]
    assert len(ws._charts) == 1 and type(ws._charts[0]).__name__ == "RadarChart"
    nonfin = [c.value for c in wb[SHEET_NONFIN]["A"] if c.value]
    for item in ("経営者", "事業", "企業を取り巻く環境・関係者", "内部管理体制"):
        assert item in nonfin
    bodies = [c.value for c in wb[SHEET_NONFIN]["C"] if c.value]
    assert "二代目、後継者は長男" in bodies and "月次の会議なし" in bodies
    with store.session() as s:
        last = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(3)).scalars()
        assert {(e.business_id, e.decision) for e in last} == {(bid, "allow")}


def test_monitoring_sheet_pdf_text(three_years, store: Store, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client, bid = three_years
    _case_with_a_dialogue(store, settings, bid)
    r = client.get(f"/api/v1/businesses/{bid}/documents/monitoring-sheet.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(BytesIO(r.content))
    assert 1 <= len(pdf.pages) <= 2
    text = "".join(p.extract_text() for p in pdf.pages).replace("\n", "")
    profile = client.get(f"/api/v1/businesses/{bid}").json()
    assert profile["name"] in text
    api = client.get(f"/api/v1/businesses/{bid}/indicators").json()
    assert f"総合評価点 {api['locaben_total']}点" in text
    for v in api["values"]:
        if v["group"] == "locaben" and v["value"] is not None:
            iv = IndicatorValue(**{k: v[k] for k in IndicatorValue.__dataclass_fields__})
            assert figure(iv) in text, v
    flags = client.get(f"/api/v1/businesses/{bid}/flags").json()["items"]
    assert flags
    for f in [f for f in flags if f["is_open"]][:MAX_FLAGS]:
        assert f["title"]["ja"] in text
        assert f["explanation"]["ja"] in text  # the evidence, quoted in words
    for words in (
        "2026年10月14日・訪問",
        "運転資金の見通しを確認した",
        "冬の受注が読めない",
        "13週の資金繰り表を作る",
        "2026-11-14",
        "条件変更の可否を確認する",
    ):
        assert words in text, words
    monthly = client.get(f"/api/v1/businesses/{bid}/monthly").json()["items"]
    assert f"{monthly[-1]['sales']:,}円" in text
    # the Japanese font is embedded (a subset), not referenced
    fonts = []
    for page in pdf.pages:
        for f in page["/Resources"]["/Font"].values():
            fonts.append(f.get_object())
    assert any("IPAexGothic" in str(f["/BaseFont"]) for f in fonts)
    for f in fonts:
        desc = (
            f["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if "/DescendantFonts" in f
            else f.get("/FontDescriptor")
        )
        if desc is not None and "IPAexGothic" in str(f["/BaseFont"]):
            assert "/FontFile2" in desc.get_object()


def test_refused_without_consent_and_cli(three_years, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, bid = three_years
    from kizashi.cli.main import app

    runner = CliRunner()
    out = tmp_path / "l.xlsx"
    r = runner.invoke(
        app, ["document", "locaben", "--business", str(bid), "--as", "hosho", "--output", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "ロカベンシート" in r.output
    assert load_workbook(out)[SHEET_FIN]["B3"].value
    pdf = tmp_path / "s.pdf"
    r = runner.invoke(
        app, ["document", "sheet", "--business", str(bid), "--as", "hosho", "--output", str(pdf)]
    )
    assert r.exit_code == 0, r.output
    assert pdf.read_bytes().startswith(b"%PDF")
    # the owner of another business: the same 404 as for a missing business, audited as a deny
    with TestClient(client.app, follow_redirects=False) as other:
        owner = _owner_of_another(client, bid)
        login(other, owner, DEMO_PASSWORD)
        for doc in ("locaben.xlsx", "monitoring-sheet.pdf"):
            assert other.get(f"/api/v1/businesses/{bid}/documents/{doc}").status_code == 404
        with store.session() as s:
            last = s.execute(
                select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
            ).scalar_one()
            assert last.business_id == bid and last.decision == "deny"
        r = runner.invoke(
            app, ["document", "sheet", "--business", str(bid), "--as", owner, "--output", str(pdf)]
        )
        assert r.exit_code == 1 and "同意がありません" in r.output


def _owner_of_another(client: TestClient, bid: int) -> str:
    from kizashi.domain.vocabulary import Role
    from kizashi.store.models import Business, User

    store: Store = client.app.state.store  # type: ignore[attr-defined]
    with store.session() as s:
        business = s.get(Business, bid)
        assert business is not None
        return s.execute(
            select(User.login)
            .where(User.role == Role.OWNER, User.org_id != business.org_id)
            .order_by(User.login)
            .limit(1)
        ).scalar_one()


def test_the_business_page_links_the_documents(three_years) -> None:  # type: ignore[no-untyped-def]
    import re

    client, bid = three_years
    html = client.get(f"/businesses/{bid}").text
    assert "対話の資料" in html
    links = re.findall(r'href="(/api/v1/businesses/\d+/documents/[^"]+)"', html)
    assert len(links) == 2
    assert "ローカルベンチマーク(Excel)" in html and "モニタリングシート(PDF)" in html
    for link in links:
        r = client.get(link.replace("&amp;", "&"))
        assert r.status_code == 200, link
        assert r.content[:4] in (b"PK\x03\x04", b"%PDF")
