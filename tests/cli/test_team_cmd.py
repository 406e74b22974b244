"""``kizashi team …`` and the triage commands with teams: the administrator forms a team with a
manager and a member; the queue lists the team's summed capacity; the member may not give the
business to someone else, the manager may; ``triage list --mine`` lists one's own."""

from __future__ import annotations

from sqlalchemy import select

from kizashi.actions.organisations import do_add_user
from kizashi.domain.vocabulary import Role
from kizashi.store.models import Organisation
from tests.actions.test_flag_responses import flagged  # noqa: F401  (fixture)
from tests.world import SYSTEM


def test_teams_and_manager_only_reassignment(cli, store, flagged):  # noqa: F811
    w, _flag_id, _ids = flagged
    bid = str(w.business.id)
    with store.session() as s:
        bank_a = s.execute(select(Organisation).where(Organisation.code == "bank-a")).scalar_one()
        do_add_user(
            s, SYSTEM, org=bank_a, login="a_member", password="password123",
            display_name="一般担当", role=Role.OFFICER,
        )  # fmt: skip
    # only the administrator (or the operator) forms teams
    r = cli("team", "add", "融資一課", "--as", "a_officer")
    assert r.exit_code == 1 and "権限" in r.output
    r = cli("team", "add", "融資一課", "--as", "a_admin")
    assert r.exit_code == 0 and "作りました" in r.output, r.output
    team_id = r.output.split("ID ")[1].split("）")[0]
    r = cli("team", "add", "融資一課", "--as", "a_admin")
    assert r.exit_code == 1 and "すでにあります" in r.output
    assert (
        cli("team", "member", team_id, "a_officer", "--manager", "--as", "a_admin").exit_code == 0
    )
    assert cli("team", "member", team_id, "a_member", "--as", "a_admin").exit_code == 0
    r = cli("team", "member", team_id, "a_admin", "--as", "a_admin")  # not an officer
    assert r.exit_code == 1
    r = cli("team", "list", "--as", "a_admin")
    assert "融資一課" in r.output and "a_officer（管理職）" in r.output
    assert "一般担当（メンバー）" in r.output
    for login, n in (("a_officer", "1"), ("a_member", "2")):
        assert cli("user", "capacity", login, n, "--as", "a_admin").exit_code == 0

    r = cli("triage", "list", "--as", "a_member")
    assert r.exit_code == 0 and "チーム 融資一課（管理職 a_officer）: 上限 3件" in r.output, (
        r.output
    )
    # the member may not give the business to the manager …
    r = cli("triage", "assign", bid, "a_officer", "--as", "a_member")
    assert r.exit_code == 1 and "管理職だけ" in r.output
    # … the manager gives it to the member, then takes it back
    r = cli("triage", "assign", bid, "a_member", "--as", "a_officer")
    assert r.exit_code == 0, r.output
    r = cli("triage", "list", "--as", "a_member", "--mine")
    assert "割当済" in r.output.split("チーム 融資一課")[0]  # the table: their own row
    r = cli("triage", "unassign", bid, "--as", "a_member")  # one's own: allowed
    assert r.exit_code == 0, r.output
    r = cli("triage", "assign", bid, "a_member", "--as", "a_officer")
    assert r.exit_code == 0
    r = cli("triage", "assign", bid, "a_officer", "--as", "a_officer")
    assert r.exit_code == 0
    r = cli("triage", "list", "--as", "a_member", "--mine")
    assert "割当済" not in r.output.split("チーム 融資一課")[0]  # no longer theirs
    r = cli("team", "unmember", team_id, "a_member", "--as", "a_admin")
    assert r.exit_code == 0
    r = cli("team", "rename", team_id, "融資二課", "--as", "a_admin")
    assert r.exit_code == 0
    r = cli("team", "remove", team_id, "--as", "a_admin")
    assert r.exit_code == 0
    assert "チームはありません" in cli("team", "list", "--as", "a_admin").output
