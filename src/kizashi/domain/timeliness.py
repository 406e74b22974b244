"""Submission timeliness (記帳・提出の適時性): for each month of a window, was the month's trial
balance delivered, on time or late, or is it missing? Pure (no I/O).

The deadline of month M is M's last day plus ``deadline_days`` (setting
``submission_deadline_days``, default 30): a trial balance first delivered by then is on time,
one delivered after it late; none delivered once the deadline has passed is missing, and none
yet before it is "due" (not counted against the business). "First delivered" is the earliest
upload of any version of that month's trial balance: a later correction does not make it late.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .periods import month_end

ON_TIME, LATE, MISSING, DUE = "on_time", "late", "missing", "due"


@dataclass(frozen=True)
class MonthTimeliness:
    month: date  # the month's last day
    deadline: date
    delivered_on: date | None
    status: str  # on_time | late | missing | due
    days_late: int | None


@dataclass(frozen=True)
class Timeliness:
    months: tuple[MonthTimeliness, ...]  # oldest first
    deadline_days: int

    def count(self, status: str) -> int:
        return sum(1 for m in self.months if m.status == status)

    @property
    def delivered(self) -> int:
        return self.count(ON_TIME) + self.count(LATE)

    @property
    def on_time(self) -> int:
        return self.count(ON_TIME)

    @property
    def late(self) -> int:
        return self.count(LATE)

    @property
    def missing(self) -> int:
        return self.count(MISSING)


def window(today: date, months: int) -> list[date]:
    """The ``months`` month ends before ``today``'s month, oldest first."""
    out = []
    y, m = today.year, today.month
    for _ in range(months):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(month_end(date(y, m, 1)))
    return out[::-1]


def timeliness(
    delivered: Mapping[date, date], today: date, deadline_days: int, months: int = 12
) -> Timeliness:
    """``delivered``: month end → the day its trial balance was first delivered."""
    rows = []
    for end in window(today, months):
        deadline = end + timedelta(days=deadline_days)
        got = delivered.get(end)
        if got is not None:
            late = (got - deadline).days
            rows.append(
                MonthTimeliness(end, deadline, got, LATE if late > 0 else ON_TIME, max(0, late))
            )
        elif today > deadline:
            rows.append(MonthTimeliness(end, deadline, None, MISSING, None))
        else:
            rows.append(MonthTimeliness(end, deadline, None, DUE, None))
    return Timeliness(tuple(rows), deadline_days)
