"""``kizashi case …``: open, update, record a dialogue shared with the owner, the owner reads and
comments, reminders, close — Japanese output; another organisation without consent is refused."""

from __future__ import annotations

import json

from kizashi.domain.vocabulary import Purpose
from kizashi.store.models import AuditEvent
from tests.world import make_world


def test_case_commands(cli, store, tmp_path):
    with store.session() as s:
        w = make_world(s)
    biz = str(w.business.id)
    r = cli(
        "case",
        "open",
        biz,
        "--as",
        "a_officer",
        "--type",
        "improvement",
        "--title",
        "売上減少",
        "--next-contact",
        "2026-12-01",
    )
    assert r.exit_code == 0, r.output
    assert "支援案件" in r.output and "売上減少" in r.output
    case_id = r.output.split("支援案件 ")[1].split(" ")[0]
    r = cli(
        "case",
        "update",
        case_id,
        "--as",
        "a_officer",
        "--type",
        "turnaround",
        "--stage",
        "planning",
        "--note",
        "再生へ",
    )
    assert r.exit_code == 0, r.output
    memo = tmp_path / "memo.txt"
    memo.write_text("議事メモ", encoding="utf-8")
    r = cli(
        "case",
        "dialogue",
        "add",
        case_id,
        "--as",
        "a_officer",
        "--date",
        "2026-11-20",
        "--topics",
        "資金繰り",
        "--attendee",
        "代表 山田",
        "--attendee",
        "税理士 佐藤",
        "--owner-said",
        "受注が減った",
        "--action",
        "資金繰り表を作る|owner|2026-12-10",
        "--action",
        "条件変更を検討|officer|2026-11-30",
        "--attach",
        str(memo),
        "--shared",
    )
    assert r.exit_code == 0, r.output
    dialogue_id = r.output.split("面談記録 ")[1].split(" ")[0]
    r = cli(
        "case",
        "item",
        case_id,
        "--as",
        "a_officer",
        "--period",
        "2026",
        "--item",
        "internal",
        "--text",
        "月次試算表あり",
    )
    assert r.exit_code == 0, r.output
    r = cli("case", "show", case_id, "--as", "a_officer")
    assert r.exit_code == 0, r.output
    out = r.output
    for text in (
        "事業再生",
        "計画策定",
        "経営改善",
        "再生へ",
        "資金繰り表を作る",
        "memo.txt",
        "内部管理体制",
        "事業者と共有",
    ):
        assert text in out, text
    assert "turnaround" not in out and "planning" not in out
    r = cli("case", "list", "--as", "a_officer", "--json")
    assert [c["id"] for c in json.loads(r.output)] == [int(case_id)]
    # the owner sees the shared record and comments
    r = cli("case", "dialogue", "list", case_id, "--as", "owner")
    assert r.exit_code == 0 and "資金繰り" in r.output
    r = cli("case", "comment", dialogue_id, "--as", "owner", "--text", "来週送ります")
    assert r.exit_code == 0, r.output
    r = cli("case", "dialogue", "list", case_id, "--as", "a_officer")
    assert "来週送ります" in r.output
    # another organisation without a 定性 consent: refused, in Japanese, audited
    r = cli("case", "show", case_id, "--as", "b_officer")
    assert r.exit_code == 1 and "閲覧できません" in r.output
    r = cli("case", "update", case_id, "--as", "b_officer", "--note", "x")
    assert r.exit_code == 1
    r = cli("case", "reminders", "--as", "a_officer", "--days", "3650")
    assert r.exit_code == 0 and "条件変更を検討" in r.output and "接触予定" in r.output
    r = cli("case", "show", case_id, "--as", "a_officer", "--json")
    actions = json.loads(r.output)["dialogues"][0]["actions"]
    officer_action = next(a["id"] for a in actions if a["party"] == "officer")
    r = cli("case", "action-done", str(officer_action), "--as", "b_officer")
    assert r.exit_code == 1
    r = cli("case", "action-done", str(officer_action), "--as", "a_officer", "--date", "2026-11-29")
    assert r.exit_code == 0 and "完了にしました" in r.output
    r = cli("case", "reminders", "--as", "a_officer", "--days", "3650")
    assert "条件変更を検討" not in r.output
    r = cli("case", "close", case_id, "--as", "a_officer", "--outcome", "plan_agreed")
    assert r.exit_code == 0 and "計画合意" in r.output
    r = cli("case", "reminders", "--as", "a_officer", "--days", "3650")
    assert "リマインダーはありません" in r.output
    with store.session() as s:
        denied = (
            s.query(AuditEvent)
            .filter(AuditEvent.decision == "deny", AuditEvent.action == "read_case")
            .count()
        )
    assert denied >= 1
    assert Purpose.SUPPORT.value == "support"
