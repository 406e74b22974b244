"""The risk model's weight in the triage priority: 0 ranks by the rules only, 100 by the score
only, and in between the two percentile ranks are mixed (domain.triage.priorities)."""

from __future__ import annotations

from datetime import date

from kizashi.domain.triage import (
    Candidate,
    Officer,
    OpenFlag,
    allocate,
    percentile_ranks,
    priorities,
    rank,
)

P = date(2026, 12, 1)
OLD = date(2025, 1, 1)


def _c(i: int, severity: str, p: float | None) -> Candidate:
    return Candidate(i, f"B{i}", (OpenFlag("r", severity, OLD, "r"),), probability=p)


# business 1: critical flag, low probability; 2: low flag, high probability; 3: in between
PORTFOLIO = [_c(1, "critical", 0.01), _c(2, "low", 0.60), _c(3, "medium", 0.20)]


def _order(score_pct: int) -> list[int]:
    return [c.business_id for c in rank(PORTFOLIO, P, "bank", score_pct)]


def test_zero_is_rules_only_and_hundred_is_score_only():
    assert _order(0) == [1, 3, 2]
    assert _order(100) == [2, 3, 1]


def test_the_weight_moves_the_order_between_the_two():
    orders = {pct: _order(pct) for pct in (0, 25, 50, 75, 100)}
    assert orders[25] == [1, 3, 2]  # the rules still lead
    assert orders[75][0] == 2  # the score leads
    prio = priorities(PORTFOLIO, P, "bank", 50)
    assert prio[3] == 50.0  # the middle of both rankings
    assert prio[1] == prio[2]  # first by one, last by the other: a tie at 50 %


def test_an_unscored_business_counts_as_the_lowest_probability():
    unscored = [_c(1, "high", None), _c(2, "high", 0.3)]
    assert [c.business_id for c in rank(unscored, P, "bank", 100)] == [2, 1]


def test_percentile_ranks_share_ties():
    assert percentile_ranks([1.0, 1.0, 3.0, 5.0]) == [25.0, 25.0, 62.5, 87.5]


def test_the_queue_shows_the_priority_and_gives_the_best_first():
    team = [Officer(9, "佐藤", 1)]
    out = allocate(PORTFOLIO, team, {}, P, "bank", score_pct=100)
    assert [p.business_id for p in out] == [2, 3, 1]
    assert out[0].officer_id == 9 and out[1].over_capacity
    assert all(0 <= p.score <= 100 for p in out)
    assert out[0].score > out[1].score > out[2].score
