"""Reports on a business (報告書): the words of a report and its figures. Pure: no database.

Two kinds share one shape (``ReportKind``):

- **計画の進捗報告** (``progress``): progress against a plan on a cadence — e.g. quarterly from
  the business to its bank, yearly from the bank to the 信用保証協会 as 経営力強化保証 asks;
- **税理士によるモニタリング報告書** (``monitoring``): the accountant's quarterly report on the
  business (the 2025 scheme), written by the accountant's organisation.

A report covers the months ``period_from``..``period_to`` (first days of months). Its figures
(:func:`report_figures`) are, per plan item (``domain.plans.ITEMS``): the plan of the period,
the actual, the deviation (actual − plan), last year's actual of the same months and the change
from it — P/L items summed over the period's months (unknown if any month is), B/S items at the
period's last month. All int yen; unknown is None, never zero.

A report moves ``draft → sent → acknowledged`` (every recipient acknowledged it), or is
``withdrawn`` by its author; :data:`REPORT_MOVES` is the one table of those moves. A report
with a cadence gets its successor when it is sent: the next period's draft, due
``due_days`` after that period's end (the reminder).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .periods import add_months, month_end, month_start
from .plans import FLOW_ITEMS, ITEMS, Figures, Granularity
from .refusals import Refused


class ReportKind(enum.StrEnum):
    PROGRESS = "progress"  # 計画の進捗報告
    MONITORING = "monitoring"  # 税理士によるモニタリング報告書


REPORT_KIND_JA = {
    ReportKind.PROGRESS: "計画の進捗報告",
    ReportKind.MONITORING: "税理士によるモニタリング報告書",
}


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"  # 作成中
    SENT = "sent"  # 送付済
    ACKNOWLEDGED = "acknowledged"  # 受領済 (every recipient)
    WITHDRAWN = "withdrawn"  # 取下げ


REPORT_STATUS_JA = {
    ReportStatus.DRAFT: "作成中",
    ReportStatus.SENT: "送付済",
    ReportStatus.ACKNOWLEDGED: "受領済",
    ReportStatus.WITHDRAWN: "取下げ",
}

# (before, verb) → after: the one table of a report's moves
REPORT_MOVES: dict[tuple[ReportStatus, str], ReportStatus] = {
    (ReportStatus.DRAFT, "send"): ReportStatus.SENT,
    (ReportStatus.SENT, "acknowledge"): ReportStatus.SENT,  # until the last recipient
    (ReportStatus.SENT, "acknowledge_all"): ReportStatus.ACKNOWLEDGED,
    (ReportStatus.DRAFT, "withdraw"): ReportStatus.WITHDRAWN,
    (ReportStatus.SENT, "withdraw"): ReportStatus.WITHDRAWN,
}


_STATUS_EN = {
    ReportStatus.DRAFT: "a draft",
    ReportStatus.SENT: "sent",
    ReportStatus.ACKNOWLEDGED: "acknowledged",
    ReportStatus.WITHDRAWN: "withdrawn",
}


def move(before: str, verb: str) -> ReportStatus:
    """The status after ``verb``; ``Refused`` (a ValueError, in words) if the report is not in a state for it."""
    after = REPORT_MOVES.get((ReportStatus(before), verb))
    if after is None:
        raise Refused(
            f"この報告書は{REPORT_STATUS_JA[ReportStatus(before)]}のため、その操作はできません",
            f"The report is {_STATUS_EN[ReportStatus(before)]}, so that cannot be done.",
        )
    return after


class ReportCadence(enum.StrEnum):
    NONE = "none"  # 単発
    QUARTERLY = "quarterly"  # 四半期ごと
    YEARLY = "yearly"  # 年1回


REPORT_CADENCE_JA = {
    ReportCadence.NONE: "単発",
    ReportCadence.QUARTERLY: "四半期ごと",
    ReportCadence.YEARLY: "年1回",
}
CADENCE_MONTHS = {ReportCadence.NONE: 3, ReportCadence.QUARTERLY: 3, ReportCadence.YEARLY: 12}
DEFAULT_DUE_DAYS = 30  # a report is due this many days after its period's last day


def period_for(cadence: ReportCadence, period_to: date) -> tuple[date, date]:
    """The months a report ending in ``period_to``'s month covers (a single report: a quarter)."""
    end = month_start(period_to)
    return add_months(end, -(CADENCE_MONTHS[ReportCadence(cadence)] - 1)), end


def due_on(period_to: date, due_days: int = DEFAULT_DUE_DAYS) -> date:
    """When a report of the period ending in ``period_to``'s month is due."""
    return month_end(period_to) + timedelta(days=due_days)


def next_period(cadence: ReportCadence, period_to: date) -> tuple[date, date] | None:
    """The period of the report that follows one ending in ``period_to`` (None: no cadence)."""
    if ReportCadence(cadence) == ReportCadence.NONE:
        return None
    return period_for(cadence, add_months(month_start(period_to), CADENCE_MONTHS[cadence]))


def months_of(period_from: date, period_to: date) -> list[date]:
    """The first days of the months from ``period_from`` to ``period_to``, both included."""
    first, last = month_start(period_from), month_start(period_to)
    if last < first:
        raise Refused("期間の終わりが始まりより前です", "The period ends before it begins.")
    out, m = [], first
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


@dataclass(frozen=True)
class ItemFigures:
    item: str
    plan: int | None
    actual: int | None
    last_year: int | None

    @property
    def deviation(self) -> int | None:
        """actual − plan (None if either is unknown)."""
        return None if self.plan is None or self.actual is None else self.actual - self.plan

    @property
    def change(self) -> int | None:
        """actual − last year's actual of the same months."""
        return (
            None if self.last_year is None or self.actual is None else self.actual - self.last_year
        )


def _flow(values: list[int | None]) -> int | None:
    return None if not values or any(v is None for v in values) else sum(v or 0 for v in values)


def _plan(
    targets: Mapping[date, Figures] | None,
    granularity: Granularity | None,
    months: list[date],
    item: str,
) -> int | None:
    if not targets:
        return None
    last = months[-1]
    if granularity == Granularity.ANNUAL:
        # an annual target is a fiscal year's: only a report over exactly that year has a plan
        if len(months) != 12 or last not in targets:
            return None
        return targets[last].get(item)
    if item in FLOW_ITEMS:
        return _flow([targets.get(m, {}).get(item) for m in months])
    return targets.get(last, {}).get(item)


def report_figures(
    monthly: Mapping[date, Figures],
    period_from: date,
    period_to: date,
    *,
    targets: Mapping[date, Figures] | None = None,
    granularity: Granularity | None = None,
) -> tuple[ItemFigures, ...]:
    """The period's figures against the plan and last year, per item of ``ITEMS``.

    ``monthly``: month (first day) → item → the month's actual (P/L: the month's flow, B/S: the
    month-end balance), as ``domain.plans.monthly_actuals`` gives them. ``targets``: a plan
    version's targets (monthly or annual, ``granularity``); none: no plan column."""
    months = months_of(period_from, period_to)
    before = [add_months(m, -12) for m in months]
    out = []
    for item in ITEMS:
        if item in FLOW_ITEMS:
            actual = _flow([monthly.get(m, {}).get(item) for m in months])
            last_year = _flow([monthly.get(m, {}).get(item) for m in before])
        else:
            actual = monthly.get(months[-1], {}).get(item)
            last_year = monthly.get(before[-1], {}).get(item)
        out.append(ItemFigures(item, _plan(targets, granularity, months, item), actual, last_year))
    return tuple(out)


@dataclass(frozen=True)
class PeriodTimeliness:
    """How the trial balances of a report's months arrived (``domain.timeliness``)."""

    on_time: int
    late: int
    missing: int
    due: int  # not yet due: not counted against the business


def period_timeliness(
    statuses: Mapping[date, str], period_from: date, period_to: date
) -> PeriodTimeliness:
    """``statuses``: month (any day of it) → on_time | late | missing | due; a month of the
    period the record does not cover counts as due."""
    by_month = {month_start(k): v for k, v in statuses.items()}
    got = [by_month.get(m, "due") for m in months_of(period_from, period_to)]
    return PeriodTimeliness(
        got.count("on_time"), got.count("late"), got.count("missing"), got.count("due")
    )


def period_label(period_from: date, period_to: date) -> str:
    """2025年4月〜2025年6月."""
    return f"{period_from.year}年{period_from.month}月〜{period_to.year}年{period_to.month}月"
