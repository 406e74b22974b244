"""What the upload pages show of an import's outcome: plain rows built from ``ImportOutcome``.

The report itself (``ImportOutcome.to_dict()``) is what the API returns; this module turns the
same outcome into rows for the templates — key figures per month, the account mapping with
standard-chart labels, and each error or warning with its place in the file and a Japanese
(or English) headline — and lists the standard items a person may choose from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from kizashi.actions.submissions import ImportOutcome
from kizashi.domain.chart import Chart, load_chart
from kizashi.ingest import load_importers
from kizashi.ingest.errors import Issue
from kizashi.ingest.mapping import CLEARING
from kizashi.ingest.messages import headline, issue_text, message_params

from .i18n import N_, Translator

# Per month: the month's own P/L (when derivable), the year to date, and B/S at month end.
FLOW_ITEMS = ("sales", "operating_profit", "ordinary_profit")
YTD_ITEMS = ("sales", "operating_profit")
BALANCE_ITEMS = ("cash_and_deposits", "borrowings", "net_assets", "total_assets")

METHOD_LABELS = {
    "confirmed": N_("Confirmed before"),
    "standard code": N_("Standard code in the file"),
    "clearing": N_("Clearing account"),
    "manufacturing": N_("Manufacturing cost"),
    "synonym": N_("Known account name"),
    "category": N_("Section given in the file"),
    "suffix": N_("End of the name"),
    "fuzzy": N_("Similar name"),
    "category-default": N_("Section (catch-all item)"),
    "unmapped": N_("No match"),
}

REASON_LABELS = {
    "stored": N_("Stored"),
    "duplicate": N_("Already stored"),
    "errors": N_("Not stored: errors"),
    "needs_confirmation": N_("Waiting for your confirmation"),
    "dry_run": N_("Checked only (not stored)"),
}

ISSUE_LABELS = {
    "entry.unbalanced": N_("Debits and credits of an entry differ"),
    "tb.unbalanced": N_("Debit and credit totals of the trial balance differ"),
    "tb.arithmetic": N_("Opening ± debit ∓ credit does not equal the closing balance"),
    "bs.unbalanced": N_("The balance sheet does not balance"),
    "row.columns": N_("Wrong number of columns"),
    "amount.invalid": N_("An amount cannot be read"),
    "date.invalid": N_("A date cannot be read"),
    "header.missing": N_("The header row was not found"),
    "header.account": N_("The account column was not found"),
    "bugyo.columns": N_("A required column was not found"),
    "bugyo.voucher": N_("A voucher is not complete"),
    "period.unknown": N_("The period of the file is unknown"),
    "yayoi.flag": N_("Unknown row flag"),
    "yayoi.voucher": N_("A voucher is not complete"),
    "freee.kind": N_("Unknown kind of transaction"),
    "account.missing": N_("An account name is missing"),
    "table.empty": N_("No accounts were found"),
    "mapping.unmapped": N_("An account with amounts has no standard item"),
    "mapping.confirm": N_("A mapping to confirm"),
    "mapping.unmapped_zero": N_("An account without amounts has no standard item"),
    "opening.mismatch": N_("Opening balance differs from the previous month's closing"),
    "opening.missing": N_("No opening balances for the journal"),
    "period.missing": N_("A month is missing"),
    "period.overlap": N_("The same month appears twice"),
    "period.stored": N_("This month was already stored"),
    "subtotal.mismatch": N_("A subtotal row differs from the sum of its items"),
    "sign.unusual": N_("Unusual sign for this item"),
    "clearing.nonzero": N_("The clearing account is not zero"),
    "statement.no_pl": N_("A balance sheet without a profit and loss statement"),
    "fiscal_year.assumed": N_("The fiscal-year start was assumed"),
    "upload.rejected": N_("The file cannot be read"),
    "upload.other_company": N_("The file names another company"),
    "upload.mixed_kinds": N_("Annual statements and monthly data were uploaded together"),
    "upload.too_many_lines": N_("The file has too many lines"),
    "upload.too_many_cells": N_("The file has too many cells"),
    "upload.unpacked_too_large": N_("The workbook unpacks to too much data"),
    "upload.compression_ratio": N_("The workbook is compressed too much"),
    "upload.too_many_parts": N_("The workbook has too many parts"),
    "upload.memory_limit": N_("Reading the file needed too much memory"),
    "upload.timeout": N_("Reading the file took too long"),
    "upload.busy": N_("The server is busy"),
}

# The same English templates as ``kizashi.ingest.messages.LIMIT_MESSAGES`` (a test keeps them equal),
# here so that the catalogue has their Japanese for the pages.
LIMIT_MESSAGES = {
    "upload.too_many_lines": N_(
        "{file}: more than {limit} lines (line {line} is over the limit); split the file by period and upload the parts separately"
    ),
    "upload.too_many_cells": N_(
        "{file}: more than {limit} cells (the limit is passed at line {line}, column {column}); remove unused columns or split the file by period"
    ),
    "upload.unpacked_too_large": N_(
        "{file}: the workbook unpacks to more than {limit} (part {field}); save only the needed sheet, or export it as CSV"
    ),
    "upload.compression_ratio": N_(
        "{file}: the workbook is compressed more than {limit} to 1 (part {field}); refused"
    ),
    "upload.too_many_parts": N_("{file}: the workbook has more than {limit} parts; refused"),
    "upload.memory_limit": N_(
        "{file}: reading the upload needed more than {limit} of memory; split the file by period and upload the parts separately"
    ),
    "upload.busy": N_(
        "{file}: every upload worker stayed busy for {limit} seconds; try again in a moment"
    ),
    "upload.timeout": N_(
        "{file}: reading the upload took longer than {limit} seconds; split the file by period and upload the parts separately"
    ),
}


@dataclass(frozen=True)
class SourceRow:
    filename: str
    format: str
    format_label: str
    format_reason: str
    encoding: str
    encoding_reason: str


@dataclass(frozen=True)
class MonthRow:
    period_end: date
    fiscal_year_start: date
    flows: dict[str, int] | None  # None: the month's own P/L cannot be derived (first month …)
    ytd: dict[str, int]
    balances: dict[str, int]


@dataclass(frozen=True)
class MappingRow:
    account: str
    code: str | None
    label: str
    confidence_pct: int
    method: str
    needs_confirmation: bool
    blocking: bool  # needs confirmation and carries amounts: the upload waits for it


@dataclass(frozen=True)
class IssueRow:
    severity: str
    code: str
    headline: str
    message: str
    file: str
    line: int | None
    column: int | None
    field: str | None
    value: str | None


@dataclass(frozen=True)
class OmittedRow:
    severity: str
    code: str
    headline: str
    count: int


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: tuple[Choice, ...]


def item_label(chart: Chart, code: str | None, t: Translator) -> str:
    if code is None:
        return "—"
    if code == CLEARING:
        return t.gettext("Clearing account (must net to zero)")
    return chart[code].label(t.locale) if code in chart else code


def method_label(method: str, t: Translator) -> str:
    key = method.split(":", 1)[0]
    return t.gettext(METHOD_LABELS[key]) if key in METHOD_LABELS else method


def issue_message(issue: Issue, t: Translator) -> str:
    """The issue's details in the page's language: a limit's message from its code and
    numbers (the gettext catalogue); any other importer's from ``ingest.messages``, the
    catalogue of every importer code in Japanese and English, filled with the issue's
    parameters (its place is shown beside it)."""
    template = LIMIT_MESSAGES.get(issue.code)
    if template is None or issue.params is None:
        return issue_text(issue, t.locale)
    return t.gettext(template, **message_params(issue.params))


def issue_headline(code: str, t: Translator) -> str:
    """What kind of issue, in the page's language (never the code itself)."""
    label = ISSUE_LABELS.get(code)
    return t.gettext(label) if label else headline(code, t.locale)


def issue_row(issue: Issue, t: Translator) -> IssueRow:
    chart = load_chart()
    field = item_label(chart, issue.field, t) if issue.field in chart else issue.field
    return IssueRow(
        issue.severity,
        issue.code,
        issue_headline(issue.code, t),
        issue_message(issue, t),
        issue.file,
        issue.line,
        issue.column,
        field,  # a standard item's code reads as its label
        issue.value,
    )


def format_label(name: str, t: Translator) -> str:
    imp = load_importers().get(name)
    if imp is None:
        return name
    return imp.label_ja if t.locale == "ja" else imp.label_en


def formats(t: Translator) -> list[Choice]:
    """The importers for the format selector (automatic detection is the default)."""
    return [Choice(name, format_label(name, t)) for name in load_importers()]


@cache
def _groups() -> tuple[tuple[str | None, str, tuple[str, ...]], ...]:
    """(parent code, statement, leaf codes) in chart order."""
    chart = load_chart()
    order: dict[tuple[str | None, str], list[str]] = {}
    for item in chart.leaves:
        order.setdefault((item.parent, item.statement), []).append(item.code)
    return tuple((parent, st, tuple(codes)) for (parent, st), codes in order.items())


def choice_groups(t: Translator) -> list[ChoiceGroup]:
    """Every standard leaf item, grouped by its B/S or P/L section, in the page's language."""
    chart = load_chart()
    statement_names = {"BS": t.gettext("Balance sheet"), "PL": t.gettext("Profit and loss")}
    out = []
    for parent, st, codes in _groups():
        section = chart[parent].label(t.locale) if parent else t.gettext("Other items")
        out.append(
            ChoiceGroup(
                f"{statement_names[st]} — {section}",
                tuple(Choice(c, chart[c].label(t.locale)) for c in codes),
            )
        )
    out.append(ChoiceGroup(t.gettext("Other"), (Choice(CLEARING, item_label(chart, CLEARING, t)),)))
    return out


@dataclass(frozen=True)
class ReportView:
    reason: str
    reason_label: str
    sources: list[SourceRow]
    months: list[MonthRow]
    mapping: list[MappingRow]
    errors: list[IssueRow]
    warnings: list[IssueRow]
    confirm: list[MappingRow]  # the rows a person must confirm before anything is stored
    fiscal_year_start_month: int | None
    errors_total: int = 0
    warnings_total: int = 0
    omitted: tuple[OmittedRow, ...] = ()  # issues past the listed ones, counted by kind


def report_view(outcome: ImportOutcome, t: Translator) -> ReportView:
    chart = load_chart()
    report = outcome.report
    blocking = {m.account for m in outcome.needs_confirmation}
    sources = [
        SourceRow(
            s.filename,
            s.format,
            format_label(s.format, t),
            s.format_reason,
            s.encoding,
            s.encoding_reason,
        )
        for s in report.sources
    ]
    months = [
        MonthRow(
            m.period_end,
            m.fiscal_year_start,
            {c: chart.evaluate(m.flows, c) for c in FLOW_ITEMS} if m.flows is not None else None,
            {c: chart.evaluate(m.amounts, c) for c in YTD_ITEMS},
            {c: chart.evaluate(m.amounts, c) for c in BALANCE_ITEMS},
        )
        for m in report.months
    ]
    mapping = [
        MappingRow(
            m.account,
            m.code,
            item_label(chart, m.code, t),
            round(m.confidence * 100),
            method_label(m.method, t),
            m.needs_confirmation,
            m.account in blocking,
        )
        for m in report.mapping
    ]
    mapping.sort(key=lambda r: (not r.blocking, not r.needs_confirmation))
    return ReportView(
        outcome.reason,
        t.gettext(REASON_LABELS[outcome.reason]),
        sources,
        months,
        mapping,
        [issue_row(i, t) for i in report.errors],
        [issue_row(i, t) for i in report.warnings],
        [r for r in mapping if r.blocking],
        report.fiscal_year_start_month,
        report.errors_total,
        report.warnings_total,
        omitted_rows(report.omitted_by_code, report.errors, t),
    )


def omitted_rows(
    counts: dict[str, int], errors: list[Issue], t: Translator
) -> tuple[OmittedRow, ...]:
    error_codes = {i.code for i in errors}
    rows = []
    for code, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        severity = "error" if code in error_codes or code in LIMIT_MESSAGES else "warning"
        rows.append(OmittedRow(severity, code, issue_headline(code, t), n))
    return tuple(rows)
