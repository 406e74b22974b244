"""The catalogue (for a rule editor), the generated rule docs, and the CLI commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from kizashi.cli import rules_cmd  # noqa: F401  (registers the commands)
from kizashi.cli.app import app
from kizashi.engine.spec.catalogue import catalogue, render, rules_markdown
from kizashi.engine.spec.packs import default_pack

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_catalogue_snapshot_shape():
    cat = catalogue()
    assert {f["name"] for f in cat["functions"]} >= {
        "lag",
        "change",
        "pct_change",
        "rolling_mean",
        "rolling_sum",
        "streak",
        "peer_percentile",
        "peer_median",
        "is_null",
        "ttm",
        "ytd",
    }
    assert [i["id"] for i in cat["indicators"] if i["locaben"]] == [
        "sales_growth",
        "operating_margin",
        "labour_productivity",
        "ebitda_debt_ratio",
        "working_capital_turnover",
        "equity_ratio",
    ]
    assert len(cat["pack"]["rules"]) == len(default_pack().rules)


def test_rules_doc_is_up_to_date():
    assert (ROOT / "docs" / "rules.md").read_text("utf-8") == rules_markdown(), (
        "run `kizashi rules docs --out docs/rules.md`"
    )


def test_every_rule_message_renders():
    for r in default_pack().rules:
        ev = dict.fromkeys(r.evidence, 1.0)
        for lang in ("ja", "en"):
            assert render(r.explanation[lang], ev, date(2025, 3, 1), date(2025, 1, 1), lang)
            assert render(r.explanation[lang], dict.fromkeys(r.evidence), date(2025, 3, 1))


def test_messages_say_this_month_and_read_months_as_people_do():
    """「0 か月前」 reads 今月; {period} is 和暦 in Japanese, never an ISO month beside it."""
    rule = default_pack().rule("credit.delinquency")
    ev = {"months": 0, "days_past_due": 30.0}
    ja = render(rule.explanation["ja"], ev, date(2026, 9, 1), None, "ja")
    en = render(rule.explanation["en"], ev, date(2026, 9, 1), None, "en")
    assert "今月" in ja and "0 か月前" not in ja, ja
    assert "this month" in en and "0 months" not in en, en
    ja3 = render(rule.explanation["ja"], {**ev, "months": 3}, date(2026, 9, 1), None, "ja")
    assert "3 か月前" in ja3
    nets = default_pack().rule("finance.negative_net_assets")
    ev = dict.fromkeys(nets.evidence, -1_000_000.0)
    ja = render(nets.explanation["ja"], ev, date(2026, 9, 1), None, "ja")
    en = render(nets.explanation["en"], ev, date(2026, 9, 1), None, "en")
    assert "令和8年9月末" in ja and "2026-09" not in ja, ja
    assert "Sep 2026" in en and "2026-09" not in en, en


def test_no_title_promises_a_fall_its_condition_does_not_require():
    """cash.low_liquidity also fires below half a month of sales without any fall."""
    rule = default_pack().rule("cash.low_liquidity")
    assert "liquidity_critical_months" in rule.condition  # the no-fall branch is still there
    assert "減少" not in rule.title["ja"] and "fall" not in rule.title["en"].lower()


def test_cli_lint_ok_and_errors(tmp_path):
    out = tmp_path / "pack.yaml"
    assert runner.invoke(app, ["rules", "export", "--out", str(out)]).exit_code == 0
    ok = runner.invoke(app, ["rules", "lint", str(out)])
    assert ok.exit_code == 0 and "OK" in ok.output
    out.write_text(
        out.read_text("utf-8").replace(
            "condition: rolling_max(net_assets, 3) < 0", "condition: rolling_max(net_asets, 3) < 0"
        ),
        "utf-8",
    )
    bad = runner.invoke(app, ["rules", "lint", str(out)])
    assert (
        bad.exit_code == 1 and "did you mean 'net_assets'" in bad.output and ":line " in bad.output
    )


def test_cli_list_json():
    res = runner.invoke(app, ["rules", "list", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.output)["pack"]["id"] == "kizashi.default"
