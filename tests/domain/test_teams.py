"""Teams in triage, on hand-made teams and portfolios: each team is proposed no more than its
members' capacities summed and each officer no more than their own; and who may assign or
reassign (a manager within their team, an officer only for themselves)."""

from __future__ import annotations

from datetime import date

from kizashi.domain.teams import Membership, managed_by, why_not_assign, why_not_unassign
from kizashi.domain.triage import Candidate, Officer, OpenFlag, allocate
from kizashi.domain.vocabulary import TeamRole

P = date(2026, 12, 1)
M, MGR = TeamRole.MEMBER, TeamRole.MANAGER


def portfolio(n: int) -> list[Candidate]:
    # business i has i+1 medium flags opened long ago: higher i ranks first
    flag = OpenFlag("r", "medium", date(2025, 1, 1), "r")
    return [Candidate(i, f"B{i:02d}", tuple(flag for _ in range(i + 1))) for i in range(n)]


# team 10 (融資一課): 佐藤 3, 鈴木 1 → 4; team 20 (融資二課): 高橋 2, 田中 0 → 2; 伊藤 1, no team
OFFICERS = [
    Officer(1, "佐藤", 3),
    Officer(2, "鈴木", 1),
    Officer(3, "高橋", 2),
    Officer(4, "田中", 0),
    Officer(5, "伊藤", 1),
]
TEAM_OF = {1: 10, 2: 10, 3: 20, 4: 20}


def test_each_team_and_officer_within_capacity():
    out = allocate(portfolio(12), OFFICERS, {}, P, "bank", TEAM_OF)
    per_team: dict[int | None, int] = {}
    per_officer: dict[int, int] = {}
    for p in out:
        if p.officer_id is not None:
            per_team[p.team_id] = per_team.get(p.team_id, 0) + 1
            per_officer[p.officer_id] = per_officer.get(p.officer_id, 0) + 1
            assert p.team_id == TEAM_OF.get(p.officer_id)
    assert per_team == {10: 4, 20: 2, None: 1}  # 3+1, 2+0, and the officer in no team
    assert per_officer == {1: 3, 2: 1, 3: 2, 5: 1}
    # the seven best (11..5) are given out, the five others over capacity
    assert sorted(p.business_id for p in out if p.officer_id is not None) == list(range(5, 12))
    assert [p.business_id for p in out if p.over_capacity] == [4, 3, 2, 1, 0]


def test_the_best_goes_to_the_team_with_most_room():
    out = allocate(portfolio(3), OFFICERS, {}, P, "bank", TEAM_OF)
    # rooms: team 10 has 4, team 20 has 2, no team 1 → the best to team 10 (佐藤: most left),
    # the second to team 10 again (3 left vs 2: 佐藤 2, 鈴木 1 → 佐藤), the third: team 10 (2)
    # ties team 20 (2): the first listed, where 佐藤 (1) ties 鈴木 (1): 佐藤 again
    assert [(p.business_id, p.team_id, p.officer_id) for p in out] == [
        (2, 10, 1),
        (1, 10, 1),
        (0, 10, 1),
    ]


def test_assignments_use_their_team_s_capacity():
    # 高橋 already holds businesses 0 and 1: team 20 has no room left (田中 has none)
    out = allocate(portfolio(8), OFFICERS, {0: 3, 1: 3}, P, "bank", TEAM_OF)
    proposed = [p for p in out if not p.assigned and p.officer_id is not None]
    assert {p.team_id for p in proposed} == {10, None}
    assert len(proposed) == 5  # 4 in team 10, 1 for 伊藤
    kept = [p for p in out if p.assigned]
    assert {(p.business_id, p.officer_id, p.team_id) for p in kept} == {(0, 3, 20), (1, 3, 20)}


def test_without_teams_it_is_the_officers_alone():
    with_none = allocate(portfolio(6), OFFICERS, {}, P, "bank", {})
    old = allocate(portfolio(6), OFFICERS, {}, P, "bank")
    assert with_none == old
    assert all(p.team_id is None for p in old)


MEMBERS = {
    1: Membership(10, MGR),  # 佐藤 manages team 10
    2: Membership(10, M),
    3: Membership(20, MGR),
    4: Membership(20, M),
}


def test_managed_by():
    assert managed_by(1, MEMBERS) == {1, 2}
    assert managed_by(2, MEMBERS) == set()
    assert managed_by(5, MEMBERS) == set()


def test_a_manager_assigns_and_reassigns_within_the_team():
    assert why_not_assign(1, None, 2, MEMBERS, True) is None  # unassigned → member
    assert why_not_assign(1, 2, 1, MEMBERS, True) is None  # member → manager
    assert why_not_assign(1, 1, 2, MEMBERS, True) is None
    assert why_not_assign(1, None, 4, MEMBERS, True)  # another team's member
    assert why_not_assign(1, 4, 2, MEMBERS, True)  # taken from another team
    assert why_not_unassign(1, 2, MEMBERS, True) is None
    assert why_not_unassign(1, 4, MEMBERS, True)


def test_an_officer_only_takes_or_gives_back_their_own():
    assert why_not_assign(2, None, 2, MEMBERS, True) is None  # takes an unassigned one
    assert why_not_assign(2, None, 1, MEMBERS, True)  # may not give it to someone else
    assert why_not_assign(2, 1, 2, MEMBERS, True)  # may not take it from a colleague
    assert why_not_assign(5, None, 5, MEMBERS, True) is None  # in no team: only themselves
    assert why_not_assign(5, None, 2, MEMBERS, True)
    assert why_not_unassign(2, 2, MEMBERS, True) is None
    assert why_not_unassign(2, 1, MEMBERS, True)


def test_without_teams_any_officer_assigns():
    assert why_not_assign(2, 1, 5, {}, False) is None
    assert why_not_unassign(2, 1, {}, False) is None
