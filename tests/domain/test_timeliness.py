"""Submission timeliness on hand-made delivery dates."""

from __future__ import annotations

from datetime import date

from kizashi.domain.timeliness import timeliness, window


def test_window_is_the_months_before_this_one():
    assert window(date(2026, 3, 15), 3) == [
        date(2025, 12, 31),
        date(2026, 1, 31),
        date(2026, 2, 28),
    ]


def test_on_time_late_missing_and_due():
    today = date(2026, 12, 20)
    delivered = {
        date(2026, 8, 31): date(2026, 9, 30),  # deadline 9/30: on time (the last day counts)
        date(2026, 9, 30): date(2026, 11, 5),  # deadline 10/30: 6 days late
        # October: none, deadline 11/30 passed → missing
        # November: none, deadline 12/30 not yet → due
    }
    t = timeliness(delivered, today, 30, months=4)
    assert [m.status for m in t.months] == ["on_time", "late", "missing", "due"]
    assert t.months[1].days_late == 6
    assert (t.delivered, t.on_time, t.late, t.missing) == (2, 1, 1, 1)
    # a shorter deadline makes August late too
    t = timeliness(delivered, today, 10, months=4)
    assert [m.status for m in t.months][:2] == ["late", "late"]
