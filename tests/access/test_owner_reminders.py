"""The owner's reminders: the actions the business agreed to, in the records shared with them,
of open cases about their business — not the institution's actions, not an internal record's,
not another business's, not a closed case's; through the API and the CLI too."""

from __future__ import annotations

from datetime import date, timedelta

from kizashi.access.cases import due_reminders
from kizashi.actions.cases import (
    ActionInput,
    DialogueInput,
    do_add_dialogue,
    do_close_case,
    do_open_case,
)
from kizashi.domain.support import ActionParty, Channel, Outcome, SupportType
from kizashi.domain.vocabulary import Purpose
from tests.world import make_world

TODAY = date.today()


def _case(s, officer, bid, raw_dir, *, shared: bool, what: str, party=ActionParty.OWNER):  # type: ignore[no-untyped-def]
    case = do_open_case(
        s,
        officer,
        business_id=bid,
        purpose=Purpose.MONITORING,
        support_type=SupportType.IMPROVEMENT,
        title="資金繰りの改善",
    )
    do_add_dialogue(
        s,
        officer,
        case_id=case.id,
        dialogue=DialogueInput(
            held_on=TODAY - timedelta(days=7),
            channel=Channel.VISIT,
            topics="資金繰り",
            shared_with_owner=shared,
            actions=[
                ActionInput(what, party, TODAY + timedelta(days=5)),
                ActionInput("返済条件の見直し案", ActionParty.OFFICER, TODAY + timedelta(days=3)),
            ],
        ),
        purpose=Purpose.MONITORING,
        raw_dir=raw_dir,
    )
    return case


def test_the_owner_is_reminded_of_their_own_actions_only(store, tmp_path, cli) -> None:
    with store.session() as s:
        w = make_world(s)
        officer, bid = w.actors["cgc_officer"], w.business.id
        _case(s, officer, bid, tmp_path / "raw", shared=True, what="資金繰り表を作る")
        _case(s, officer, bid, tmp_path / "raw", shared=False, what="社内メモの宿題")
        closed = _case(s, officer, bid, tmp_path / "raw", shared=True, what="終わった案件の宿題")
        do_close_case(
            s,
            officer,
            case_id=closed.id,
            outcome=Outcome.IMPROVED,
            note=None,
            purpose=Purpose.MONITORING,
        )
    with store.session() as s:
        mine = due_reminders(s, w.actors["owner"])
        assert [(r.kind, r.what, r.business_id, r.overdue) for r in mine] == [
            ("action", "資金繰り表を作る", bid, False)
        ]
        assert due_reminders(s, w.actors["other_owner"]) == []
        # the officer keeps their own (contacts and the institution's actions), unchanged
        assert {r.what for r in due_reminders(s, officer) if r.kind == "action"} == {
            "返済条件の見直し案"
        }
    out = cli("case", "reminders", "--as", "owner")
    assert out.exit_code == 0 and "資金繰り表を作る" in out.output
    assert "社内メモの宿題" not in out.output and "返済条件の見直し案" not in out.output
