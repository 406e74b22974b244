from __future__ import annotations

import json

from typer.testing import CliRunner

import kizashi.cli.ingest_cmd  # noqa: F401  (registers the commands)
from kizashi.cli.app import app

from .conftest import FIXTURES

runner = CliRunner()


def test_chart_json() -> None:
    res = runner.invoke(app, ["chart", "--json"])
    assert res.exit_code == 0
    items = json.loads(res.output)["items"]
    assert {"code": "sales", "ja": "売上高"}.items() <= next(
        i for i in items if i["code"] == "sales"
    ).items()


def test_ingest_dry_run_json() -> None:
    res = runner.invoke(
        app,
        [
            "ingest",
            str(FIXTURES / "moneyforward.csv"),
            "--dry-run",
            "--json",
            "--fiscal-year-start-month",
            "4",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["sources"][0]["format"] == "moneyforward"
    assert out["months"][0]["amounts"]["sales"] == 330000


def test_ingest_errors_exit_non_zero_and_formats_listed() -> None:
    res = runner.invoke(
        app, ["ingest", str(FIXTURES / "statement.csv"), "--dry-run", "--format", "yayoi"]
    )
    assert res.exit_code == 1
    res = runner.invoke(app, ["ingest", "formats"])
    assert res.exit_code == 0 and "epson_r4" in res.output
    res = runner.invoke(app, ["ingest", str(FIXTURES / "moneyforward.csv")])
    assert res.exit_code == 2 and "--dry-run" in res.output and "--business" in res.output
