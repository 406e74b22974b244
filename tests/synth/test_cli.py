"""``kizashi synth`` writes Parquet parts per table and prints a summary."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

import kizashi.cli.synth_cmd  # noqa: F401  (registers the command)
from kizashi.cli.app import app
from kizashi.domain.panel import EXTRA_COLUMNS, KEY_COLUMNS, item_columns, subtotal_columns


def _args(*args: str) -> list[str]:
    # With a single registered command Typer runs it without its name.
    several = len(app.registered_commands) + len(app.registered_groups) > 1
    return ["synth", *args] if several else list(args)


def test_cli_writes_parts_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "portfolio"
    result = CliRunner().invoke(
        app,
        _args(
            "--businesses",
            "250",
            "--out",
            str(out),
            "--seed",
            "3",
            "--chunk-size",
            "100",
            "--months",
            "24",
            "--end-month",
            "2026-03",
        ),
    )
    assert result.exit_code == 0, result.output
    for table in ("businesses", "loans", "repayments", "credit_events", "panel"):
        parts = sorted((out / table).glob("part-*.parquet"))
        assert [p.name for p in parts] == [
            "part-00000.parquet",
            "part-00001.parquet",
            "part-00002.parquet",
        ]
    businesses = pq.read_table(out / "businesses")
    assert businesses.num_rows == 250
    panel = pq.read_table(out / "panel")
    assert tuple(panel.column_names) == (
        *KEY_COLUMNS,
        *item_columns(),
        *EXTRA_COLUMNS,
        *subtotal_columns(),
    )
    assert str(max(panel.column("month").to_pylist())) == "2026-03-01"
    assert "250 businesses" in result.output


def test_cli_rejects_a_bad_month(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, _args("--businesses", "5", "--out", str(tmp_path), "--end-month", "2026/9")
    )
    assert result.exit_code != 0
    assert not (tmp_path / "panel").exists()
