"""Triage ranking and allocation on hand-made teams and portfolios."""

from __future__ import annotations

from datetime import date

from kizashi.domain.triage import (
    Candidate,
    Officer,
    OpenFlag,
    allocate,
    rank,
    reason_of,
    reason_text,
    score,
)

P = date(2026, 12, 1)


def flag(sev: str, opened: date, rule: str = "r") -> OpenFlag:
    return OpenFlag(rule, sev, opened, rule)


def portfolio(n: int) -> list[Candidate]:
    # business i has i+1 medium flags opened long ago: higher i ranks first
    return [
        Candidate(i, f"B{i:02d}", tuple(flag("medium", date(2025, 1, 1)) for _ in range(i + 1)))
        for i in range(n)
    ]


def test_capacities_are_respected_and_best_go_first():
    team = [Officer(1, "佐藤", 3), Officer(2, "鈴木", 2), Officer(3, "高橋", 0)]
    out = allocate(portfolio(10), team, {}, P, "bank")
    per = {o.user_id: [p for p in out if p.officer_id == o.user_id] for o in team}
    assert len(per[1]) == 3 and len(per[2]) == 2 and per[3] == []
    # the five best (9..5) are the ones given out; the rest over capacity
    given = sorted(p.business_id for p in out if p.officer_id is not None)
    assert given == [5, 6, 7, 8, 9]
    assert all(p.over_capacity for p in out if p.officer_id is None)
    assert [p.rank for p in out] == list(range(1, 11))


def test_existing_assignments_use_capacity_and_are_kept():
    team = [Officer(1, "佐藤", 2), Officer(2, "鈴木", 2)]
    # business 0 (the lowest ranked) already assigned to 1: officer 1 has one slot left
    out = allocate(portfolio(6), team, {0: 1}, P, "bank")
    kept = next(p for p in out if p.business_id == 0)
    assert kept.assigned and kept.officer_id == 1
    assert sum(1 for p in out if p.officer_id == 1) == 2
    assert sum(1 for p in out if p.officer_id == 2) == 2
    assert sum(1 for p in out if p.over_capacity) == 2


def test_no_capacity_proposes_nobody():
    out = allocate(portfolio(3), [Officer(1, "佐藤", 0)], {}, P, "bank")
    assert all(p.officer_id is None and p.over_capacity for p in out)


def test_newness_severity_exposure_and_probability_order_the_queue():
    old_high = Candidate(1, "A", (flag("high", date(2025, 1, 1)),))
    new_high = Candidate(2, "B", (flag("high", date(2026, 11, 1)),))
    critical = Candidate(3, "C", (flag("critical", date(2025, 1, 1)),))
    big = Candidate(4, "D", (flag("high", date(2025, 1, 1)),), 100_000_000, 0)
    risky = Candidate(5, "E", (flag("high", date(2025, 1, 1)),), probability=0.5)
    order = [c.business_id for c in rank([old_high, new_high, critical, big, risky], P, "bank")]
    # critical (8) = high with ¥100M own exposure (4×2) = high at 50% (4×2): more exposure first
    assert order == [4, 3, 5, 2, 1]
    # a bank carries only the unguaranteed part; a 保証協会 the guaranteed part
    guaranteed = Candidate(6, "F", (flag("high", date(2025, 1, 1)),), 100_000_000, 80_000_000)
    assert score(guaranteed, P, "bank") < score(guaranteed, P, "guarantor")
    assert score(guaranteed, P, "guarantor") == 4 * 1.8 and score(guaranteed, P, "bank") == 4 * 1.2


def test_businesses_without_open_flags_are_not_proposed():
    out = allocate([Candidate(1, "A", ())], [Officer(1, "佐藤", 5)], {}, P, "bank")
    assert out == []


def test_reason_in_words():
    c = Candidate(
        1,
        "A",
        (flag("high", date(2026, 10, 1), "売上急減"), flag("critical", date(2026, 12, 1), "延滞")),
        50_000_000,
        40_000_000,
        0.123,
    )
    ja = reason_text(reason_of(c, P), "ja")
    assert ja.startswith("延滞（重大・今月に発生）、売上急減（高・2か月前に発生）")
    assert "残高 50,000,000円（保証割合 80%）" in ja and "12.3%" in ja
    en = reason_text(reason_of(c, P), "en")
    assert "延滞 (critical, opened this month); 売上急減 (high, opened 2 months ago)" in en
    assert "guaranteed 80%" in en
