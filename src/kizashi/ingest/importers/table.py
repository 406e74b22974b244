"""Generic trial balances (残高試算表) and annual statements (決算書) in CSV or .xlsx.

Any reasonable layout: the header row is found among the first rows (科目, 前月残高/期首残高,
借方, 貸方, 当月残高/残高/金額, 借方残高/貸方残高, 月 …), or named by a saved
``ColumnMapping``. Side-by-side statements (資産 | 負債・純資産) are read as two tables.
Heading rows without amounts (流動資産, 販売費及び一般管理費) give the category of the rows
below them; subtotal rows (流動資産合計, 営業利益) are kept to be cross-checked, not summed.
"""

from __future__ import annotations

import re
from datetime import date

from ..columns import ColumnMapping, classify_header, find_header
from ..errors import Issue, cell_error, error
from ..mapping import load_synonyms, normalise_name, total_code
from ..model import Account, BalanceRow, Convention, Kind, ParseResult, Subtotal
from ..numbers import AmountError, parse_yen
from ..periods import parse_period, title_period
from ..text import DecodedFile
from .base import ParseOptions, Sniff

_STATEMENT_WORDS = ("貸借対照表", "損益計算書", "決算報告書", "製造原価報告書", "決算書")
_BRACKETS = re.compile(r"^[\[【〔(<《]+|[\]】〕)>》]+$")
_GRAND_TOTAL = {"合計", "総合計", "計", "借方貸方合計", "試算表合計"}


class GenericTrialBalance:
    name = "table"
    label_ja = "残高試算表・決算書 (CSV / Excel, 汎用)"
    label_en = "Trial balance or annual statement (CSV / Excel, any layout)"

    def sniff(self, file: DecodedFile) -> Sniff | None:
        rows = file.rows()
        found = find_header(rows)
        if found is None:
            return None
        i, f = found
        names = ", ".join(sorted(f))
        return Sniff(0.6, f"table header on row {i + 1} with columns: {names}")

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult:
        mapping = options.column_mapping
        if mapping is not None and not isinstance(mapping, ColumnMapping):
            mapping = ColumnMapping.from_dict(dict(mapping))  # type: ignore[call-overload]
        return parse_table(file, mapping, options.period_end)


def _groups(fields: dict[str, list[int]]) -> list[dict[str, int]]:
    """Split a header into (side-by-side) tables, each starting at an account column."""
    starts = sorted(fields["account"])
    groups: list[dict[str, int]] = []
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else 10**9
        g = {"account": start}
        for logical, idxs in fields.items():
            if logical == "account":
                continue
            inside = [i for i in idxs if start < i < stop] or (
                [i for i in idxs if i < start] if n == 0 else []
            )
            if inside:
                g[logical] = inside[-1] if logical == "closing" else inside[0]
        groups.append(g)
    return groups


def parse_table(
    file: DecodedFile, mapping: ColumnMapping | None, period_end: str | None = None
) -> ParseResult:
    rows = file.rows()
    fn = file.filename
    if mapping is not None and mapping.header_row:
        h = mapping.header_row - 1
        header = rows[h] if 0 <= h < len(rows) else []
        groups = [mapping.resolve(header)]
    else:
        found = find_header(rows)
        if found is None:
            result = ParseResult(kind="trial_balance")
            result.issues.append(
                error("header.missing", file=fn, params={"variant": "no_header", "rows": 30})
            )
            return result
        h, fields = found
        groups = [mapping.resolve(rows[h])] if mapping else _groups(fields)
        header = rows[h]
    title = [",".join(r) for r in rows[:h]]
    stated_kind = mapping.kind if mapping else "auto"
    is_statement = stated_kind == "statement" or (
        stated_kind == "auto" and any(w in t for t in [*title, fn] for w in _STATEMENT_WORDS)
    )
    kind: Kind = (
        "opening"
        if stated_kind == "opening"
        else ("statement" if is_statement else "trial_balance")
    )
    result = ParseResult(kind=kind, closed_statement=is_statement)
    end, start = title_period(title)
    fixed = parse_period(mapping.period_end) if mapping and mapping.period_end else None
    fixed = fixed or (parse_period(period_end) if period_end else None) or end
    result.fiscal_year_start = start
    if "account" not in groups[0]:
        result.issues.append(error("header.account", file=fn, line=h + 1))
        return result
    raw: list[tuple[BalanceRow, bool]] = []
    for g in groups:
        raw += _read_group(rows, h, g, fixed, fn, result, kind)
    _finish(result, raw, mapping.convention if mapping else "auto", fn)
    return result


def read_name_amount_columns(
    sides: list[list[list[str]]], period_end: date, fn: str, result: ParseResult
) -> None:
    """Balances of a statement given as ``[name, amount]`` rows, one list per side.

    Each list holds one row per line of the file (line n at index n - 1; ``["", ""]`` where
    the side has nothing), so that headings, subtotals and located issues work exactly as in
    a table with a header row. Amounts are already whole yen.
    """
    raw: list[tuple[BalanceRow, bool]] = []
    for rows in sides:
        raw += _read_group(
            rows, -1, {"account": 0, "closing": 1}, period_end, fn, result, "statement"
        )
    _finish(result, raw, "natural", fn)


def _finish(result: ParseResult, raw: list[tuple[BalanceRow, bool]], stated: str, fn: str) -> None:
    convention: Convention = _convention(raw, stated)
    for item in raw:
        result.balances.append(_with_convention(item, convention, result.issues, fn))
    _check_totals(result, fn)
    if not result.balances and not result.issues:
        result.issues.append(error("table.empty", file=fn))


def _amount(
    row: list[str], idx: int | None, n: int, fn: str, field: str, issues: list[Issue]
) -> int | None:
    if idx is None or idx >= len(row):
        return None
    raw = row[idx]
    try:
        return parse_yen(raw)
    except AmountError as exc:
        issues.append(
            cell_error(
                "amount.invalid", exc, file=fn, line=n, column=idx + 1, field=field, value=raw
            )
        )
        return None


def _read_group(
    rows: list[list[str]],
    h: int,
    g: dict[str, int],
    fixed: date | None,
    fn: str,
    result: ParseResult,
    kind: str,
) -> list[tuple[BalanceRow, bool]]:
    issues = result.issues
    header = rows[h] if h >= 0 else []  # h = -1: no header row, the rows start on line 1
    out: list[tuple[BalanceRow, bool]] = []
    category = ""
    table = load_synonyms()
    maybe_totals: list[int] = []
    for n, row in enumerate(rows[h + 1 :], h + 2):
        name_raw = row[g["account"]].strip() if g["account"] < len(row) else ""
        name = _BRACKETS.sub("", name_raw.strip()).strip()
        if not name or classify_header(row).get("account"):
            continue
        has_num = any(
            (g.get(k) is not None and g[k] < len(row) and row[g[k]].strip())
            for k in ("opening", "debit", "credit", "closing", "closing_debit", "closing_credit")
        )
        key = normalise_name(name)
        if not has_num:
            if key.replace("の部", "") in table.categories or key in table.categories:
                category = key.replace("の部", "")
            continue
        amounts = {
            k: _amount(
                row, g.get(k), n, fn, header[g[k]] if g.get(k, 10**9) < len(header) else k, issues
            )
            for k in ("opening", "debit", "credit", "closing", "closing_debit", "closing_credit")
        }
        period = fixed
        if "period" in g and g["period"] < len(row):
            period = parse_period(row[g["period"]]) or period
        if period is None and kind == "opening":
            period = date.min  # resolved to the first fiscal-year start of the upload
        if period is None:
            issues.append(
                error(
                    "period.unknown",
                    file=fn,
                    line=n,
                )
            )
            return out
        closing = amounts["closing"]
        convention_fixed = False
        if amounts["closing_debit"] is not None or amounts["closing_credit"] is not None:
            closing = (amounts["closing_debit"] or 0) - (amounts["closing_credit"] or 0)
            convention_fixed = True
        if closing is None:
            if amounts["opening"] is not None or amounts["debit"] is not None:
                closing = None
            continue
        total = total_code(name)
        if (
            key in _GRAND_TOTAL
            or (total and key not in table.leaves)
            or (key.endswith(("合計", "計")) and key not in table.leaves)
        ):
            result.subtotals.append(Subtotal(period, name, closing, n))
            continue
        if total and key in table.leaves:
            maybe_totals.append(len(out))  # 売上原価 alone or a heading with its sum: decide later
        code = row[g["code"]].strip() if "code" in g and g["code"] < len(row) else ""
        account = Account(name, code, category)
        out.append(
            (
                BalanceRow(
                    period,
                    account,
                    closing,
                    "natural",
                    n,
                    amounts["opening"],
                    amounts["debit"],
                    amounts["credit"],
                ),
                convention_fixed,
            )
        )
    return _resolve_totals(out, maybe_totals, result)


def _resolve_totals(
    out: list[tuple[BalanceRow, bool]], maybe: list[int], result: ParseResult
) -> list[tuple[BalanceRow, bool]]:
    """A row named like a sum (売上原価) is a subtotal if other rows hold its items."""
    if not maybe:
        return out
    from kizashi.domain.chart import load_chart

    from ..mapping import map_account

    chart = load_chart()
    codes = [map_account(r.account).code for r, _ in out]
    drop = set()
    for i in maybe:
        row = out[i][0]
        found = total_code(row.account.name)
        if not found:
            continue
        leaves = set(chart.leaf_terms(found[0]))
        if any(c in leaves for j, c in enumerate(codes) if j != i and j not in maybe):
            result.subtotals.append(
                Subtotal(row.period_end, row.account.name, row.closing, row.line)
            )
            drop.add(i)
    return [r for j, r in enumerate(out) if j not in drop]


def _convention(raw: list[tuple[BalanceRow, bool]], stated: str) -> Convention:
    if stated in ("natural", "debit_positive"):
        return stated  # type: ignore[return-value]
    credit_only = debit_negative = 0
    for row, fixed in raw:
        if fixed or None in (row.opening, row.debit, row.credit):
            continue
        assert row.opening is not None and row.debit is not None and row.credit is not None
        dr_ok = row.opening + row.debit - row.credit == row.closing
        cr_ok = row.opening - row.debit + row.credit == row.closing
        if cr_ok and not dr_ok:
            credit_only += 1
        if dr_ok and row.closing < 0 and row.credit > row.debit:
            debit_negative += 1
    return "debit_positive" if not credit_only and debit_negative else "natural"


def _with_convention(
    row: tuple[BalanceRow, bool], convention: Convention, issues: list[Issue], fn: str
) -> BalanceRow:
    r, fixed = row
    conv: Convention = "debit_positive" if fixed else convention
    if None not in (r.opening, r.debit, r.credit) and not fixed:
        assert r.opening is not None and r.debit is not None and r.credit is not None
        dr_ok = r.opening + r.debit - r.credit == r.closing
        cr_ok = r.opening - r.debit + r.credit == r.closing
        if not (dr_ok or (cr_ok and conv == "natural")):
            issues.append(
                error(
                    "tb.arithmetic",
                    file=fn,
                    params={
                        "account": r.account.name,
                        "opening": r.opening,
                        "debit": r.debit,
                        "credit": r.credit,
                        "closing": r.closing,
                    },
                    line=r.line,
                    field=r.account.name,
                    value=str(r.closing),
                )
            )
    return BalanceRow(
        r.period_end, r.account, r.closing, conv, r.line, r.opening, r.debit, r.credit
    )


def _check_totals(result: ParseResult, fn: str) -> None:
    """Debit and credit movements of a trial balance must be equal."""
    by_period: dict[date, list[int]] = {}
    for r in result.balances:
        if r.debit is None or r.credit is None:
            continue
        t = by_period.setdefault(r.period_end, [0, 0])
        t[0] += r.debit
        t[1] += r.credit
    for period, (dr, cr) in by_period.items():
        if dr != cr:
            result.issues.append(
                error(
                    "tb.unbalanced",
                    file=fn,
                    params={
                        "month": f"{period:%Y-%m}",
                        "debit": dr,
                        "credit": cr,
                        "difference": dr - cr,
                    },
                    field="借方/貸方",
                    value=str(dr - cr),
                )
            )
