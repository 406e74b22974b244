"""``kizashi plan``: add with a file, import a new version, list, show, actual — in Japanese."""

from __future__ import annotations

import json

import pytest

from kizashi.actions.submissions import do_import_submission
from tests.actions.test_plans import CUMULATIVE, PLAN_CSV, tb
from tests.world import make_world


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def test_plan_commands_walk_from_file_to_plan_against_actual(cli, store, world, tmp_path):
    bid = world.business.id
    with store.session() as s:
        do_import_submission(
            s,
            world.actors["owner"],
            business_id=bid,
            files=[(tb(CUMULATIVE[:4]), "tb.csv")],
            raw_dir=tmp_path / "raw",
        )
    f = tmp_path / "計画.csv"
    f.write_bytes(PLAN_CSV)
    out = cli(
        "plan",
        "add",
        "--business",
        str(bid),
        "--kind",
        "earnings_action",
        "--title",
        "収益力改善計画",
        "--file",
        str(f),
        "--as",
        "owner",
    )
    assert out.exit_code == 0, out.output
    assert "第1版" in out.output
    listed = cli("plan", "list", "--business", str(bid), "--as", "owner")
    assert "収益力改善アクションプラン" in listed.output and "第1版 (月次)" in listed.output
    plan_id = listed.output.split()[0]
    bad = tmp_path / "bad.csv"
    bad.write_text("年月,売上高\n2025-04,abc\n", encoding="utf-8")
    refused = cli("plan", "import", "--plan", plan_id, str(bad), "--as", "owner")
    assert refused.exit_code != 0 and "bad.csv:2: 列「売上高」" in refused.output
    shown = cli("plan", "show", "--plan", plan_id, "--as", "owner")
    assert "新規取引先3社に提案" in shown.output and "1,000,000" in shown.output
    actual = cli("plan", "actual", "--plan", plan_id, "--as", "owner")
    assert "累計差異 -500,000" in actual.output and "計画未達" in actual.output
    data = json.loads(cli("plan", "actual", "--plan", plan_id, "--as", "owner", "--json").output)
    assert data["shortfall"] == {"firing": True, "since": "2025-07-01"}
    jul = next(p for p in data["periods"] if p["period"] == "2025-07-01")
    assert next(i for i in jul["items"] if i["item"] == "sales")["deviation"] == -150_000
    # English never leaks into the Japanese output
    assert "sales" not in actual.output and "None" not in actual.output
    denied = cli("plan", "show", "--plan", plan_id, "--as", "b_officer")
    assert denied.exit_code != 0 and "閲覧できません" in denied.output
