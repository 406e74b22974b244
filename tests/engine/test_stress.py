"""Interest-rate stress by hand: who turns to 経常赤字 at +0.25 / +0.5 / +1 / +2 pt."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kizashi.engine.exec.stress import run_stress

from .panels import month, row, table


def _panel():
    rows = []
    # 1: 経常利益 200,000 a year (12 × 16,666 + 8), debt 100,000,000 → +0.25 pt costs 250,000
    # 2: 1,000,000 a year on 100,000,000 → exactly 0 at +1 pt (not a loss), a loss at +2 pt
    # 3: already a loss; 4: eleven months only (not computable)
    # 5: repricing basis: 40,000,000 short-term + 60,000,000 long-term (30 % floating)
    for i in range(12):
        extra = 8 if i == 11 else 0
        rows.append(row(1, i, sales=16_666 + extra, long_term_borrowings=100_000_000))
        rows.append(
            row(2, i, sales=83_333 + (4 if i == 11 else 0), long_term_borrowings=100_000_000)
        )
        rows.append(row(3, i, interest_expense=10, long_term_borrowings=5_000_000))
        if i:
            rows.append(row(4, i, sales=1, long_term_borrowings=1))
        rows.append(
            row(
                5,
                i,
                sales=50_000,
                short_term_borrowings=40_000_000,
                long_term_borrowings=60_000_000,
            )
        )
    return table(rows)


def test_new_ordinary_losses_by_hand() -> None:
    per, summary = run_stress(_panel(), month(11))
    got = {r["business_id"]: r for r in per.to_pylist()}
    assert set(got) == {1, 2, 3, 5}
    assert got[1]["ttm_ordinary_profit"] == 200_000 and got[1]["debt"] == 100_000_000
    assert [got[1][f"loss_{bp}"] for bp in (25, 50, 100, 200)] == [True, True, True, True]
    assert [got[2][f"loss_{bp}"] for bp in (25, 50, 100, 200)] == [False, False, False, True]
    assert got[3]["loss_now"] and not any(got[3][f"loss_{bp}"] for bp in (25, 50, 100, 200))
    # 600,000 a year on 100,000,000: a loss from +1 pt
    assert [got[5][f"loss_{bp}"] for bp in (25, 50, 100, 200)] == [False, False, True, True]
    assert summary["businesses"] == 4 and summary["ordinary_loss_now"] == 1
    assert [s["new_ordinary_loss"] for s in summary["stress"]] == [1, 1, 2, 3]
    assert summary["stress"][0]["share_pct"] == 25.0
    # only the debt that reprices: 40,000,000 + 30 % of 60,000,000 = 58,000,000 for business 5
    per_r, _ = run_stress(_panel(), month(11), basis="repricing", floating_share=0.3)
    five = next(r for r in per_r.to_pylist() if r["business_id"] == 5)
    assert five["debt"] == 58_000_000
    assert [five[f"loss_{bp}"] for bp in (25, 50, 100, 200)] == [False, False, False, True]


def test_stress_command(tmp_path) -> None:
    import pyarrow.parquet as pq

    from kizashi.cli.main import app

    (tmp_path / "panel").mkdir()
    pq.write_table(_panel(), tmp_path / "panel" / "part-0.parquet")
    r = CliRunner().invoke(app, ["stress", "--panel", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    assert [s["new_ordinary_loss"] for s in json.loads(r.output)["stress"]] == [1, 1, 2, 3]
    r = CliRunner().invoke(app, ["stress", "--panel", str(tmp_path)])
    assert "新たに経常赤字" in r.output and "+0.25%ポイント" in r.output
    r = CliRunner().invoke(app, ["stress", "--panel", str(tmp_path), "--business", "2"])
    assert r.exit_code == 0 and "経常赤字になります" in r.output
    r = CliRunner().invoke(app, ["stress", "--panel", str(tmp_path), "--business", "4"])
    assert r.exit_code == 1 and "計算できません" in r.output
