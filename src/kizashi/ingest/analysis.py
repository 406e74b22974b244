"""``analyse``: bytes in, a Report out — sniff, parse, map, aggregate, validate. No database.

Any input yields a Report (possibly full of errors) or an ``IngestError`` with a message
for the person who uploaded the file; nothing else escapes.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from kizashi.domain.chart import Chart, load_chart

from .columns import ColumnMapping
from .dates import fiscal_year_start
from .errors import IngestError, Issue, warning
from .importers.base import Importer, ParseOptions
from .ledger import aggregate_journal, monthly_flows
from .limits import DEFAULT_MAX_BYTES, ISSUE_CAP, IssueList, Limits
from .mapping import CLEARING, Mapped, map_accounts
from .model import Account, JournalLine, ParseResult
from .registry import default_importers, detect
from .report import AccountRow, MonthlyTrialBalance, Report, SourceInfo
from .standard import exclude_current_profit, from_nets, from_rows, net_debit_of, signed
from .text import decode
from .validation import (
    check_balance,
    check_clearing,
    check_mapping,
    check_missing_months,
    check_opening,
    check_signs,
    check_subtotals,
)
from .workbook import is_xlsx, read_xlsx

DEFAULT_FISCAL_YEAR_START_MONTH = 4


@dataclass
class _Parsed:
    source: SourceInfo
    result: ParseResult


def analyse(
    data: bytes,
    filename: str,
    *,
    format: str | None = None,
    fiscal_year_start_month: int | None = None,
    confirmations: Mapping[str, str] | None = None,
    column_mapping: ColumnMapping | Mapping[str, object] | None = None,
    period_end: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    importers: Mapping[str, Importer] | None = None,
    limits: Limits | None = None,
) -> Report:
    """Analyse one uploaded file. See :func:`analyse_files` for several files at once."""
    return analyse_files(
        [(data, filename)],
        format=format,
        fiscal_year_start_month=fiscal_year_start_month,
        confirmations=confirmations,
        column_mapping=column_mapping,
        period_end=period_end,
        max_bytes=max_bytes,
        importers=importers,
        limits=limits,
    )


def analyse_files(
    files: Sequence[tuple[bytes, str]],
    *,
    format: str | None = None,
    fiscal_year_start_month: int | None = None,
    confirmations: Mapping[str, str] | None = None,
    column_mapping: ColumnMapping | Mapping[str, object] | None = None,
    period_end: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    importers: Mapping[str, Importer] | None = None,
    limits: Limits | None = None,
) -> Report:
    """Analyse files uploaded together (e.g. 開始残高 + 仕訳帳) into one Report.

    ``limits`` (default: ``Limits(max_bytes=max_bytes)``) bounds what each file may make the
    importer read; a file over a limit raises ``LimitExceeded`` as soon as it is passed.
    """
    limits = limits or Limits(max_bytes=max_bytes)
    token = ISSUE_CAP.set(limits.max_issues)
    try:
        return _analyse_files(
            files,
            format,
            fiscal_year_start_month,
            confirmations,
            column_mapping,
            period_end,
            importers,
            limits,
        )
    finally:
        ISSUE_CAP.reset(token)


def _analyse_files(
    files: Sequence[tuple[bytes, str]],
    format: str | None,
    fiscal_year_start_month: int | None,
    confirmations: Mapping[str, str] | None,
    column_mapping: ColumnMapping | Mapping[str, object] | None,
    period_end: str | None,
    importers: Mapping[str, Importer] | None,
    limits: Limits,
) -> Report:
    if fiscal_year_start_month is not None and not 1 <= fiscal_year_start_month <= 12:
        raise IngestError(
            "会計年度の開始月は 1 から 12 までです",
            "fiscal_year_start_month must be between 1 and 12",
        )
    if not files:
        raise IngestError("ファイルがありません", "no file given")
    mapping_obj: ColumnMapping | None = None
    if column_mapping is not None:
        try:
            mapping_obj = (
                column_mapping
                if isinstance(column_mapping, ColumnMapping)
                else ColumnMapping.from_dict(dict(column_mapping))
            )
        except (TypeError, ValueError) as exc:
            raise IngestError(
                "列の対応づけが正しくありません", f"invalid column mapping: {exc}"
            ) from exc
    registry = dict(importers) if importers is not None else default_importers()
    fmt = format or ("table" if mapping_obj is not None and "table" in registry else None)
    options = ParseOptions(column_mapping=mapping_obj, period_end=period_end)
    parsed = [_parse_one(d, n, fmt, registry, options, limits) for d, n in files]
    return _combine(parsed, fiscal_year_start_month, confirmations or {})


def _parse_one(
    data: bytes,
    filename: str,
    fmt: str | None,
    registry: dict[str, Importer],
    options: ParseOptions,
    limits: Limits,
) -> _Parsed:
    max_bytes = limits.max_bytes
    if len(data) > max_bytes:
        raise IngestError(
            f"{filename}: {len(data):,} バイトで、上限の {max_bytes:,} バイトを超えています。"
            "期間を分けて送ってください",
            f"{filename}: {len(data):,} bytes is over the size limit of {max_bytes:,} bytes; "
            "split the file by period or raise the limit",
            file=filename,
        )
    if not data.strip():
        raise IngestError(
            f"{filename}: 空のファイルです", f"{filename}: the file is empty", file=filename
        )
    sheet = getattr(options.column_mapping, "sheet", None)
    if is_xlsx(data, filename):
        file = read_xlsx(data, filename, sheet, limits)
    else:
        file = decode(data, filename, max_lines=limits.max_lines, max_cells=limits.max_cells)
    file.rows()  # split now, under the cell limit, so that a refusal is not taken for a sniff
    found = detect(file, registry, fmt)
    imp = found.importer
    try:
        result = imp.parse(file, options)
    except (IngestError, MemoryError):
        raise
    except Exception as exc:  # never let a format bug surface as a crash of the upload
        raise IngestError(
            f"{filename}: {imp.label_ja} として読み取れませんでした",
            f"{filename}: the {imp.name} importer could not read this file "
            f"({type(exc).__name__}: {exc})",
            file=filename,
        ) from exc
    source = SourceInfo(
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        format=imp.name,
        format_label=imp.label_ja,
        format_reason=found.sniff.reason,
        confidence=found.sniff.confidence,
        encoding=file.encoding,
        encoding_reason=file.encoding_reason,
        kind=result.kind,
        company=result.company,
    )
    return _Parsed(source, result)


def _fy_month(parsed: list[_Parsed], given: int | None, issues: list[Issue]) -> int:
    if given is not None:
        return given
    for p in parsed:
        r = p.result
        if r.fiscal_year_start is not None:
            return r.fiscal_year_start.month
        if r.kind == "statement" and r.balances:
            end = max(b.period_end for b in r.balances)
            return end.month % 12 + 1
        openings = [ln.day for ln in r.lines if ln.opening]
        if openings:
            return min(openings).month
    issues.append(
        warning(
            "fiscal_year.assumed",
            file=parsed[0].source.filename,
            params={"start_month": DEFAULT_FISCAL_YEAR_START_MONTH},
        )
    )
    return DEFAULT_FISCAL_YEAR_START_MONTH


def _combine(
    parsed: list[_Parsed], fy_given: int | None, confirmations: Mapping[str, str]
) -> Report:
    chart = load_chart()
    issues: list[Issue] = IssueList(i for p in parsed for i in p.result.issues)
    accounts: dict[str, Account] = {}
    for p in parsed:
        for ln in p.result.lines:
            accounts.setdefault(ln.account.key, ln.account)
        for b in p.result.balances:
            accounts.setdefault(b.account.key, b.account)
    mapped = map_accounts(list(accounts.values()), confirmations)
    bad = [k for k, m in mapped.items() if m.code not in (None, CLEARING) and m.code not in chart]
    for k in bad:  # a stale confirmation naming a code the chart does not have
        m = mapped[k]
        mapped[k] = Mapped(m.account, m.name, None, 0.0, "confirmed-unknown-code", True)
    fy = _fy_month(parsed, fy_given, issues)
    months: dict[date, MonthlyTrialBalance] = {}
    rows: list[AccountRow] = []
    month_files: dict[date, str] = {}
    _journals(parsed, chart, mapped, fy, months, rows, month_files, issues)
    _tables(parsed, chart, mapped, fy, months, rows, month_files, issues)
    nonzero = {r.account for r in rows if r.closing or r.debit or r.credit or r.opening}
    first_file = parsed[0].source.filename
    issues += check_mapping(mapped, nonzero, first_file)
    complete = not any(m.code is None and m.account in nonzero for m in mapped.values())
    for end, month in sorted(months.items()):
        f = month_files.get(end, first_file)
        if complete:
            issues += check_balance(chart, month, f)
    issues += check_signs(chart, [months[e] for e in sorted(months)], first_file)
    issues += check_missing_months(months, first_file)
    for p in parsed:
        if p.result.subtotals:
            issues += check_subtotals(
                chart, months, p.result.subtotals, p.source.filename, complete
            )
    issues += check_opening(rows, first_file, {e: m.fiscal_year_start for e, m in months.items()})
    issues += check_clearing(rows, first_file)
    pl = [i.code for i in chart.leaves if i.statement == "PL"]
    flows = monthly_flows(
        {e: m.amounts for e, m in months.items()},
        {e: m.fiscal_year_start for e, m in months.items()},
        pl,
    )
    ordered = [
        MonthlyTrialBalance(
            m.period_end, m.fiscal_year_start, {k: v for k, v in m.amounts.items() if v}, flows[e]
        )
        for e, m in sorted(months.items())
    ]
    omitted = Counter[str]()
    by_severity = Counter[str]()
    for found in [*(p.result.issues for p in parsed), issues]:
        if isinstance(found, IssueList):
            omitted.update(found.omitted)
            by_severity.update(found.omitted_by_severity)
    return Report(
        omitted_by_code=dict(omitted),
        errors_omitted=by_severity["error"],
        warnings_omitted=by_severity["warning"],
        sources=[p.source for p in parsed],
        fiscal_year_start_month=fy,
        mapping=sorted(mapped.values(), key=lambda m: m.account),
        months=ordered,
        accounts=sorted(rows, key=lambda r: (r.period_end, r.account)),
        errors=[i for i in issues if i.severity == "error"],
        warnings=[i for i in issues if i.severity == "warning"],
    )


def _code(mapped: Mapped | None) -> str | None:
    return mapped.code if mapped else None


def _journals(
    parsed: list[_Parsed],
    chart: Chart,
    mapped: dict[str, Mapped],
    fy: int,
    months: dict[date, MonthlyTrialBalance],
    rows: list[AccountRow],
    month_files: dict[date, str],
    issues: list[Issue],
) -> None:
    journals = [p for p in parsed if p.result.kind == "journal"]
    openings = [p for p in parsed if p.result.kind == "opening"]
    if not journals and not openings:
        return
    lines: list[JournalLine] = [ln for p in journals for ln in p.result.lines]
    opening_date: date | None = None
    for p in openings:
        for b in p.result.balances:
            net = net_debit_of(chart, b, mapped.get(b.account.key))
            if net is None:
                continue
            day = b.period_end if b.period_end != date.min else date.min
            if day != date.min:
                opening_date = day if opening_date is None else min(opening_date, day)
            lines.append(
                JournalLine(
                    day, b.account, max(net, 0), max(-net, 0), "opening", b.line, opening=True
                )
            )
    has_opening = any(ln.opening for ln in lines)
    dated = [ln.day for ln in lines if ln.opening and ln.day != date.min]
    if dated:
        opening_date = min(dated) if opening_date is None else min(opening_date, *dated)
    flow_months = {date(ln.day.year, ln.day.month, 1) for ln in lines if not ln.opening}
    if opening_date is None and flow_months and has_opening:
        opening_date = fiscal_year_start(min(flow_months), fy)

    def is_pl(account: Account) -> bool:
        code = _code(mapped.get(account.key))
        return bool(code) and code != CLEARING and code in chart and chart[code].statement == "PL"  # type: ignore[index]

    result, _ = aggregate_journal(lines, fy, is_pl, opening_date)
    fname = (journals or openings)[0].source.filename
    for am in result:
        nets = {k: t.closing for k, t in am.accounts.items()}
        months[am.period_end] = MonthlyTrialBalance(
            am.period_end, am.fiscal_year_start, from_nets(chart, nets, mapped, am.carried)
        )
        month_files[am.period_end] = fname
        for k, t in am.accounts.items():
            rows.append(
                AccountRow(
                    am.period_end, k, t.opening, t.debit, t.credit, t.closing, _code(mapped.get(k))
                )
            )
        if date(am.period_end.year, am.period_end.month, 1) not in flow_months and flow_months:
            issues.append(
                warning(
                    "period.missing",
                    file=fname,
                    params={"variant": "journal", "month": f"{am.period_end:%Y-%m}"},
                    value=f"{am.period_end:%Y-%m}",
                )
            )
    if journals and flow_months and not has_opening:
        first = min(flow_months)
        issues.append(
            warning(
                "opening.missing",
                file=fname,
                params={"month": f"{first:%Y-%m}"},
            )
        )


def _tables(
    parsed: list[_Parsed],
    chart: Chart,
    mapped: dict[str, Mapped],
    fy: int,
    months: dict[date, MonthlyTrialBalance],
    rows: list[AccountRow],
    month_files: dict[date, str],
    issues: list[Issue],
) -> None:
    for p in parsed:
        r = p.result
        if r.kind not in ("trial_balance", "statement"):
            continue
        by_period = defaultdict(list)
        for b in r.balances:
            by_period[b.period_end].append(b)
        for end, items in sorted(by_period.items()):
            statement = r.kind == "statement"
            amounts = from_rows(chart, items, mapped, statement=statement)
            if statement:
                exclude_current_profit(chart, amounts, r, end, p.source.filename, issues)
            start = r.fiscal_year_start or fiscal_year_start(end, fy)
            if end in months:
                issues.append(
                    warning(
                        "period.overlap",
                        file=p.source.filename,
                        params={"month": f"{end:%Y-%m}"},
                        value=f"{end:%Y-%m}",
                    )
                )
            months[end] = MonthlyTrialBalance(end, start, amounts)
            month_files[end] = p.source.filename
            for b in items:
                m = mapped.get(b.account.key)
                net = net_debit_of(chart, b, m)
                opening = b.opening
                if opening is not None and net is not None and b.convention != "debit_positive":
                    # Same convention as the closing net, so opening ≠ previous closing compares like with like.
                    opening = signed(chart, m.code, opening)  # type: ignore[union-attr, arg-type]
                rows.append(
                    AccountRow(
                        end,
                        b.account.key,
                        opening,
                        b.debit,
                        b.credit,
                        b.closing if net is None else net,
                        _code(m),
                    )
                )
