"""The result of analysing an upload: JSON-able, the same for the CLI, the API and the store."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from .errors import Issue
from .mapping import Mapped


@dataclass(frozen=True)
class SourceInfo:
    filename: str
    sha256: str
    size: int
    format: str
    format_label: str
    format_reason: str
    confidence: float
    encoding: str
    encoding_reason: str
    kind: str
    company: str = ""  # the company the file names, when it does


@dataclass(frozen=True)
class AccountRow:
    """One as-reported account in one month (debit-positive nets), kept losslessly."""

    period_end: date
    account: str
    opening: int | None
    debit: int | None
    credit: int | None
    closing: int
    code: str | None


@dataclass(frozen=True)
class MonthlyTrialBalance:
    """A month's trial balance in the standard chart.

    ``amounts``: leaf code → yen, B/S at ``period_end``, P/L cumulative from
    ``fiscal_year_start``. ``flows``: the P/L of this month alone (None when the previous
    month of the same fiscal year is missing).
    """

    period_end: date
    fiscal_year_start: date
    amounts: dict[str, int]
    flows: dict[str, int] | None = None


@dataclass
class Report:
    sources: list[SourceInfo] = field(default_factory=list)
    fiscal_year_start_month: int | None = None
    mapping: list[Mapped] = field(default_factory=list)
    months: list[MonthlyTrialBalance] = field(default_factory=list)
    accounts: list[AccountRow] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    # Issues past ``Limits.max_issues`` per severity are not listed, only counted here.
    errors_omitted: int = 0
    warnings_omitted: int = 0
    omitted_by_code: dict[str, int] = field(default_factory=dict)

    @property
    def errors_total(self) -> int:
        return len(self.errors) + self.errors_omitted

    @property
    def warnings_total(self) -> int:
        return len(self.warnings) + self.warnings_omitted

    @property
    def issue_counts(self) -> dict[str, int]:
        """Every issue by code, the listed and the omitted."""
        counts = dict(self.omitted_by_code)
        for i in [*self.errors, *self.warnings]:
            counts[i.code] = counts.get(i.code, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def ok(self) -> bool:
        """True when nothing blocks storing the result."""
        return not self.errors

    @property
    def format(self) -> str | None:
        return self.sources[0].format if self.sources else None

    @property
    def encoding(self) -> str | None:
        return self.sources[0].encoding if self.sources else None

    @property
    def needs_confirmation(self) -> list[Mapped]:
        return [m for m in self.mapping if m.needs_confirmation]

    def month(self, period_end: date | str) -> MonthlyTrialBalance:
        key = date.fromisoformat(period_end) if isinstance(period_end, str) else period_end
        for m in self.months:
            if m.period_end == key:
                return m
        raise KeyError(key)

    def to_dict(self, *, accounts: bool = True) -> dict[str, Any]:
        def jsonable(obj: Any) -> Any:
            if isinstance(obj, date):
                return obj.isoformat()
            if isinstance(obj, dict):
                return {k: jsonable(v) for k, v in obj.items()}
            if isinstance(obj, list | tuple):
                return [jsonable(v) for v in obj]
            return obj

        out = {
            "ok": self.ok,
            "sources": [asdict(s) for s in self.sources],
            "fiscal_year_start_month": self.fiscal_year_start_month,
            "mapping": [m.to_dict() for m in self.mapping],
            "needs_confirmation": [m.account for m in self.needs_confirmation],
            "months": [asdict(m) for m in self.months],
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
            "errors_total": self.errors_total,
            "warnings_total": self.warnings_total,
            "errors_omitted": self.errors_omitted,
            "warnings_omitted": self.warnings_omitted,
            "issue_counts": self.issue_counts,
        }
        if accounts:
            out["accounts"] = [asdict(a) for a in self.accounts]
        return jsonable(out)
