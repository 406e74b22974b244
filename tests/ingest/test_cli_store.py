"""``kizashi ingest`` storing for a business, ``ingest confirm`` and ``synth --export-format``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kizashi.cli import context
from kizashi.store.models import AccountMapping, Statement, Submission
from tests.world import make_world

from .conftest import FIXTURES

MF = FIXTURES / "moneyforward.csv"


@pytest.fixture
def cli(store, tmp_path, monkeypatch):
    monkeypatch.setenv("KIZASHI_DATABASE_URL", store.url)
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(tmp_path / "data"))
    context.settings.cache_clear()
    context.store.cache_clear()
    from kizashi.cli.main import app

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield run
    context.settings.cache_clear()
    context.store.cache_clear()


@pytest.fixture
def bid(store) -> int:
    with store.session() as s:
        return make_world(s).business.id


def _count(store, model) -> int:
    with store.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_ingest_stores_then_is_a_no_op(cli, store, bid, tmp_path):
    r = cli("ingest", str(MF), "--business", str(bid), "--as", "owner")
    assert r.exit_code == 0, r.output
    assert "保存しました: 事業者" in r.output and "の提出 1" in r.output
    assert "令和7年5月31日 月次試算表" in r.output and "第1版" in r.output
    assert (_count(store, Submission), _count(store, Statement)) == (1, 2)
    r = cli("ingest", str(MF), "--business", str(bid), "--as", "owner", "--json")
    assert r.exit_code == 0
    out = json.loads(r.output)
    assert out["duplicate"] and out["reason"] == "duplicate" and out["submission_id"] == 1
    assert (tmp_path / "data" / "raw").is_dir()


def test_ingest_needs_as_and_refuses_strangers(cli, store, bid):
    r = cli("ingest", str(MF), "--business", str(bid))
    assert r.exit_code == 2 and "--as" in r.output
    r = cli("ingest", str(MF), "--business", str(bid), "--as", "b_officer")
    assert r.exit_code == 1 and f"business {bid} not found" in r.output
    assert _count(store, Submission) == 0


def test_dry_run_for_a_business_stores_nothing(cli, store, bid):
    r = cli("ingest", str(MF), "--business", str(bid), "--as", "owner", "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["reason"] == "dry_run" and len(out["statements"]) == 2
    assert out["report"]["months"][0]["amounts"]["sales"] == 330000
    assert _count(store, Submission) == 0


def test_confirmation_round_trip(cli, store, bid, tmp_path):
    f = tmp_path / "tb.csv"
    f.write_bytes(
        "月,科目,当月残高\n2025-04,普通預金,1000\n2025-04,資本金,800\n2025-04,販促費,200\n2025-04,売上高,400\n".encode(
            "cp932"
        )
    )
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner")
    assert r.exit_code == 3, r.output
    assert "保存していません" in r.output
    assert (
        f'kizashi ingest confirm --business {bid} --as owner --source-format table "販促費=advertising"'
        in r.output
    )
    r = cli(
        "ingest",
        "confirm",
        "--business",
        str(bid),
        "--as",
        "owner",
        "--source-format",
        "table",
        "販促費=advertising",
    )
    assert r.exit_code == 0 and "confirmed: 販促費 → advertising" in r.output
    r = cli(
        "ingest",
        "confirm",
        "--business",
        str(bid),
        "--as",
        "owner",
        "--source-format",
        "table",
        "x=no_such_item",
    )
    assert r.exit_code == 1 and "nothing was confirmed" in r.output
    assert _count(store, AccountMapping) == 1
    r = cli("ingest", str(f), "--business", str(bid), "--as", "owner")
    assert r.exit_code == 0 and "保存しました" in r.output


def test_errors_exit_1_and_size_limit(cli, store, bid, tmp_path, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_bytes("月,科目,当月残高\n2025-04,普通預金,1000\n2025-04,資本金,900\n".encode())
    r = cli("ingest", str(bad), "--business", str(bid), "--as", "owner")
    assert (
        r.exit_code == 1 and "貸借対照表の資産合計" in r.output and "保存していません" in r.output
    )
    monkeypatch.setenv("KIZASHI_MAX_UPLOAD_BYTES", "100")
    context.settings.cache_clear()
    r = cli("ingest", str(MF), "--business", str(bid), "--as", "owner")
    assert r.exit_code == 1 and "取り込みの上限 100 バイト" in r.output
    assert "limit" not in r.output  # Japanese only
    r = cli("ingest", str(MF), "--dry-run", "--json")
    assert r.exit_code == 1 and "取り込みの上限" in json.loads(r.output)["fatal"]
    assert _count(store, Submission) == 0


def test_column_mapping_preset_saved_and_used(cli, store, bid, tmp_path):
    layout = tmp_path / "odd.csv"
    layout.write_bytes("科目名称,期末金額\n普通預金,1000\n資本金,1000\n".encode())
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "account": "科目名称",
                "closing": "期末金額",
                "header_row": 1,
                "kind": "trial_balance",
                "period_end": "2025-04-30",
            }
        )
    )
    r = cli(
        "ingest",
        str(layout),
        "--business",
        str(bid),
        "--as",
        "a_officer",
        "--column-mapping",
        str(mapping),
        "--save-column-mapping",
        "事務所様式",
    )
    assert r.exit_code == 0, r.output
    layout.write_bytes("科目名称,期末金額\n普通預金,2000\n資本金,2000\n".encode())
    r = cli(
        "ingest",
        str(layout),
        "--business",
        str(bid),
        "--as",
        "a_officer",
        "--column-mapping",
        "事務所様式",
        "--json",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["statements"][0]["version"] == 2


def test_synth_export_format(cli, tmp_path):
    out = tmp_path / "synth"
    r = cli(
        "synth",
        "-n",
        "4",
        "-o",
        str(out),
        "--months",
        "13",
        "--export-format",
        "table,yayoi",
        "--export-businesses",
        "2",
    )
    assert r.exit_code == 0, r.output
    assert "exported 2 business(es) as 4 file(s)" in r.output
    assert sorted(p.name for p in (out / "export" / "yayoi").iterdir()) == [
        "business-0000001.yayoi.csv",
        "business-0000002.yayoi.csv",
    ]
    r = cli("synth", "-n", "1", "-o", str(out), "--export-format", "pdf")
    assert r.exit_code == 2 and "出力形式が正しくありません('pdf')" in r.output
