from __future__ import annotations

import json

from typer.testing import CliRunner

import kizashi.cli.ingest_cmd  # noqa: F401  (registers the commands)
from kizashi.cli.app import app
from kizashi.settings import Settings

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


def test_ingest_applies_the_upload_limits(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The CLI reads with the web's limits: lines and the issue cap come from the settings."""
    from kizashi.cli import context

    from .test_limits import csv_lines

    monkeypatch.setattr(context, "settings", lambda: Settings())  # read the env each time
    monkeypatch.setattr("kizashi.cli.ingest_cmd.settings", lambda: Settings())
    monkeypatch.setenv("KIZASHI_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "tb.csv"
    path.write_bytes(csv_lines(9))
    monkeypatch.setenv("KIZASHI_MAX_UPLOAD_LINES", "5")
    res = runner.invoke(app, ["ingest", str(path), "--dry-run", "--json"])
    assert res.exit_code == 1, res.output
    fatal = json.loads(res.output)["fatal"]
    assert "tb.csv: 行数が上限の 5 行を超えています (6 行目で超過)" in fatal
    assert "line" not in fatal  # the CLI says a refusal in Japanese only

    monkeypatch.setenv("KIZASHI_MAX_UPLOAD_LINES", "100")
    monkeypatch.setenv("KIZASHI_MAX_UPLOAD_ISSUES", "3")
    res = runner.invoke(app, ["ingest", str(path), "--dry-run", "--fiscal-year-start-month", "4"])
    assert res.exit_code == 1, res.output
    assert res.output.count("エラー 金額が読み取れません") == 3
    assert "表示したのはエラー 8 件中 3 件" in res.output
    assert "金額が読み取れません 8 件" in res.output
