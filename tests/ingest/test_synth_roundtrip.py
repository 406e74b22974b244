"""Synthetic businesses written out as files and imported back: the same numbers, to the yen."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kizashi.actions.submissions import do_import_submission
from kizashi.domain.chart import load_chart
from kizashi.ingest import analyse
from kizashi.ingest.writers import cumulative_from_flows
from kizashi.jobs.synth_export import FORMATS, export_panel, file_name, parse_formats
from kizashi.synth import generate
from tests.actions.helpers import stored_amounts
from tests.world import make_world

N = 5
PL = [i.code for i in load_chart().leaves if i.statement == "PL"]


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("synth") / "export"
    chunks = list(generate(N + 3, seed=11, months=24, chunk_size=4))
    summary = export_panel(out, list(FORMATS), chunks, limit=N)
    panel: dict[int, list[dict]] = {}
    for chunk in chunks:
        for row in chunk.panel.to_pylist():
            panel.setdefault(row["business_id"], []).append(row)
    with open(out / "manifest.csv", encoding="utf-8") as fh:
        manifest = list(csv.DictReader(fh))
    return out, summary, manifest, panel


def _expected(rows: list[dict]) -> list[tuple]:
    """The panel as cumulative trial balances: B/S at month end, P/L from the fiscal-year start."""
    return [(m.period_end, m.fiscal_year_start, m.amounts) for m in cumulative_from_flows(rows)]


def test_export_writes_one_file_per_business_and_format(portfolio) -> None:
    out, summary, manifest, _ = portfolio
    assert summary.businesses == N and summary.files == N * len(FORMATS)
    assert len(manifest) == N * len(FORMATS)
    for fmt in FORMATS:
        assert sorted(p.name for p in (out / fmt).iterdir()) == [
            file_name(b, fmt) for b in range(1, N + 1)
        ]
    assert parse_formats(["table,yayoi", "yayoi", " moneyforward "]) == [
        "table",
        "yayoi",
        "moneyforward",
    ]
    with pytest.raises(ValueError):
        parse_formats(["freee"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_importing_the_export_reproduces_the_panel_exactly(portfolio, fmt: str) -> None:
    out, _, manifest, panel = portfolio
    for row in (r for r in manifest if r["format"] == fmt):
        data = (out / row["file"]).read_bytes()
        report = analyse(
            data,
            Path(row["file"]).name,
            fiscal_year_start_month=int(row["fiscal_year_start_month"]),
        )
        assert report.ok and not report.needs_confirmation, report.errors
        assert report.format == fmt
        rows = panel[int(row["business_id"])]
        got = [(m.period_end, m.fiscal_year_start, m.amounts) for m in report.months]
        assert got == _expected(rows)
        # and each month's own P/L is the panel's monthly flow
        by_month = {r["month"]: r for r in rows}
        for m in report.months:
            assert m.flows is not None
            source = by_month[m.period_end.replace(day=1)]
            assert {c: m.flows.get(c, 0) for c in PL} == {c: source[c] for c in PL}


@pytest.mark.parametrize("fmt", ["yayoi", "table"])
def test_storing_the_export_reproduces_the_panel(store, tmp_path, portfolio, fmt: str) -> None:
    out, _, manifest, panel = portfolio
    with store.session() as s:
        world = make_world(s)
    owner, bid = world.actors["owner"], world.business.id
    row = next(r for r in manifest if r["format"] == fmt and r["business_id"] == "2")
    with store.session() as s:
        outcome = do_import_submission(
            s,
            owner,
            business_id=bid,
            files=[((out / row["file"]).read_bytes(), Path(row["file"]).name)],
            raw_dir=tmp_path / "raw",
            fiscal_year_start_month=int(row["fiscal_year_start_month"]),
        )
    assert outcome.stored, outcome.report.errors
    with store.session() as s:
        stored = stored_amounts(s, owner, bid)
    expected = _expected(panel[2])
    assert len(stored) == len(expected)
    for period_end, _fy, amounts in expected:
        assert stored[(period_end, 1)] == amounts
