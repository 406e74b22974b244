"""``kizashi referral …``: bank A refers the business to the 保証協会; the owner approves with one
dialogue record; the 保証協会 sees only that record, accepts, and a linked case opens — Japanese
output; the receiver sees nothing before the owner's approval."""

from __future__ import annotations

import json
from datetime import date

from kizashi.actions.cases import DialogueInput, do_add_dialogue, do_open_case
from kizashi.domain.support import Channel, SupportType
from kizashi.domain.vocabulary import Purpose
from tests.world import make_world


def test_referral_commands(cli, store, tmp_path):
    with store.session() as s:
        w = make_world(s)
        officer = w.actors["a_officer"]
        case = do_open_case(
            s,
            officer,
            business_id=w.business.id,
            purpose=Purpose.SUPPORT,
            support_type=SupportType.IMPROVEMENT,
        )
        records = [
            do_add_dialogue(
                s,
                officer,
                case_id=case.id,
                dialogue=DialogueInput(
                    held_on=date(2026, 11, 1),
                    channel=Channel.VISIT,
                    topics=topics,
                    shared_with_owner=shared,
                ),
                purpose=Purpose.SUPPORT,
                raw_dir=tmp_path / "raw",
            ).id
            for topics, shared in (("返済条件の相談", True), ("内部検討メモ", False))
        ]
        case_id = case.id
    r = cli(
        "referral",
        "create",
        str(w.business.id),
        "--as",
        "a_officer",
        "--to",
        "cgc",
        "--kind",
        "guarantor_support",
        "--note",
        "経営支援をお願いします",
        "--case",
        str(case_id),
    )
    assert r.exit_code == 0, r.output
    assert "事業者の同意待ち" in r.output
    ref_id = r.output.split("紹介 ")[1].split(" ")[0]
    r = cli("referral", "list", "--as", "cgc_officer")
    assert r.exit_code == 0 and "紹介はありません" in r.output
    r = cli("referral", "show", ref_id, "--as", "cgc_officer")
    assert r.exit_code == 1
    r = cli("referral", "show", ref_id, "--as", "owner")
    assert "共有できる面談記録" in r.output and "返済条件の相談" in r.output
    assert "内部検討メモ" not in r.output
    r = cli("referral", "accept", ref_id, "--as", "cgc_officer")
    assert r.exit_code == 1
    r = cli("referral", "approve", ref_id, "--as", "owner", "--dialogue", str(records[1]))
    assert r.exit_code == 1 and "面談記録" in r.output
    r = cli("referral", "approve", ref_id, "--as", "owner", "--dialogue", str(records[0]))
    assert r.exit_code == 0, r.output
    r = cli("referral", "list", "--as", "cgc_officer", "--box", "received")
    assert "紹介先の回答待ち" in r.output
    r = cli("referral", "show", ref_id, "--as", "cgc_officer")
    assert r.exit_code == 0, r.output
    assert "返済条件の相談" in r.output and "内部検討メモ" not in r.output
    assert "経営支援をお願いします" in r.output
    r = cli("referral", "decline", ref_id, "--as", "cgc_officer", "--reason", " ")
    assert r.exit_code == 1 and "理由" in r.output
    r = cli("referral", "accept", ref_id, "--as", "cgc_officer")
    assert r.exit_code == 0, r.output
    new_case = int(r.output.split("支援案件 ")[1].split(" ")[0])
    r = cli("referral", "list", "--as", "a_officer", "--json")
    [row] = json.loads(r.output)
    assert row["status"] == "accepted" and row["to_case_id"] == new_case
    r = cli("case", "show", str(new_case), "--as", "cgc_officer", "--json")
    assert json.loads(r.output)["row"]["linked_case_id"] == case_id
    r = cli("referral", "withdraw", ref_id, "--as", "a_officer")
    assert r.exit_code == 1
