"""決算報告書 as people export them: title lines, no header row, (科目, 金額) pairs.

A typical sheet (CSV or .xlsx) starts with the company name, 「第12期 決算報告書」,
「自 令和5年4月1日 至 令和6年3月31日」 and 「(単位:円)」; then 【貸借対照表】 with 科目 in one
column and amounts in the next — often two pairs side by side (資産の部 | 負債・純資産の部) —
then 【損益計算書】, where items may sit in a 内訳 column and totals in a column further right.

How it is read: the sheet is cut into sections at their titles (貸借対照表, 損益計算書 …);
within a section a column is an amount column when most of its cells are amounts, else a name
column. On each line a name takes the first amount to its right before the next name, and a
name's side (left or right table) is the number of name blocks before it. The pairs then go
through the same reading as a table with a header row (``table.read_name_amount_columns``):
headings give categories, subtotal rows are kept to cross-check. 株主資本等変動計算書 and
個別注記表 are skipped (their figures repeat the balance sheet). In a comparative layout an
amount column labelled 前期 is passed over, so the 当期 column beside it is read.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date

from ..columns import find_header
from ..errors import cell_error, error
from ..model import ParseResult
from ..numbers import AmountError, is_amount, parse_yen
from ..periods import dates_in, parse_period
from ..text import DecodedFile
from .base import ParseOptions, Sniff
from .table import read_name_amount_columns

_READ = (
    "貸借対照表",
    "損益計算書",
    "製造原価報告書",
    "製造原価明細",
    "販売費及び一般管理費内訳",
    "販売費及び一般管理費明細",
    "販管費明細",
    "販管費内訳",
)
_SKIP = (
    "株主資本等変動計算書",
    "個別注記表",
    "注記",
    "脚注",
    "キャッシュ・フロー計算書",
    "キャッシュフロー計算書",
)
_TITLE_WORDS = ("決算報告書", "決算書", "貸借対照表", "損益計算書")
_UNIT = re.compile(r"単位\s*[:：]?\s*(百万円|千円|円)")
_UNITS = {"円": 1, "千円": 1_000, "百万円": 1_000_000}
_NOT_AN_AMOUNT = re.compile(r"[年月日期単位現在自至第]")
_NOT_THE_END = ("作成", "印刷", "出力", "提出")
_PREVIOUS = ("前期", "前期末", "前年度", "前事業年度", "前期金額")  # a comparative column
_SNIFF_ROWS = 200


def _text(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell).strip()


def _section_word(row: list[str]) -> str | None:
    """The statement a title row opens (貸借対照表 …), or None for an ordinary row."""
    if any(is_amount(c) for c in row if c.strip()):
        return None
    joined = "".join(_text(c) for c in row).replace(" ", "")
    for word in (*_SKIP, *_READ):
        if word in joined:
            return word
    return None


class HeaderlessStatement:
    name = "statement_sheet"
    label_ja = "決算報告書 (見出し行なし, CSV / Excel)"
    label_en = "Annual statement without a header row (CSV / Excel)"

    def sniff(self, file: DecodedFile) -> Sniff | None:
        rows = file.rows()[:_SNIFF_ROWS]
        if find_header(rows) is not None:
            return None  # a header row: the table importer reads it
        has_pair = [_has_pair(r) for r in rows]
        # the title is a line of its own (a journal's 摘要 「決算書作成料」 is not a title)
        titled = any(
            w in "".join(r)
            for r, p in zip(rows[:40], has_pair, strict=False)
            if not p
            for w in _TITLE_WORDS
        )
        pairs = sum(has_pair)
        if not titled or pairs < 3:
            return None
        return Sniff(0.7, f"決算書 title and {pairs} (科目, 金額) lines without a header row")

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult:
        return parse_statement_sheet(file, options.period_end)


def _has_pair(row: list[str]) -> bool:
    """Some text cell has an amount somewhere to its right (one pass over the row)."""
    text_seen = False
    for cell in row:
        c = cell.strip()
        if not c:
            continue
        if not is_amount(c):
            text_seen = True
        elif text_seen:
            return True
    return False


def parse_statement_sheet(file: DecodedFile, period_end: str | None = None) -> ParseResult:
    rows = file.rows()
    fn = file.filename
    result = ParseResult(kind="statement", closed_statement=True)
    pairs = [_has_pair(r) for r in rows]
    titles = [r for r, p in zip(rows, pairs, strict=True) if not p]
    lines = [" ".join(_text(c) for c in r if c.strip()) for r in titles]
    end, start = _period(lines)
    given = parse_period(period_end) if period_end else None
    end = given or end
    if end is None:
        result.issues.append(error("period.unknown", file=fn, params={"variant": "title"}))
        return result
    result.fiscal_year_start = start
    units, unit = [], 1  # the unit stated on or above each line
    for r in rows:
        found = _UNIT.search(" ".join(_text(c) for c in r if c.strip()))
        unit = _UNITS[found.group(1)] if found else unit
        units.append(unit)
    sides: list[list[list[str]]] = []
    for section in _sections(rows):
        kinds = _column_kinds(rows, pairs, section)
        _read_section(rows, kinds, units, section, sides, fn, result)
    width = len(rows)
    for side in sides:
        side.extend([["", ""]] * (width - len(side)))
    read_name_amount_columns(sides, end, fn, result)
    return result


def _period(lines: list[str]) -> tuple[date | None, date | None]:
    """(fiscal-year end, start) from title lines: 至 … or … 現在 first, else the latest date."""
    start: date | None = None
    marked: list[date] = []
    other: list[date] = []
    for line in lines:
        if any(w in line for w in _NOT_THE_END):
            continue
        for pos, d in dates_in(line):
            before = line[max(0, pos - 3) : pos]
            if "自" in before:
                start = d if start is None else min(start, d)
            elif "至" in before or "現在" in line[pos : pos + 16] or "末" in line[pos : pos + 16]:
                marked.append(d)
            else:
                other.append(d)
    pool = marked or other
    return (max(pool) if pool else None), start


def _sections(rows: list[list[str]]) -> list[range]:
    """The rows of each part to read, cut at statement titles; skipped statements left out."""
    out: list[range] = []
    first, reading = 0, True
    for i, row in enumerate(rows):
        word = _section_word(row)
        if word is None:
            continue
        if reading and i > first:
            out.append(range(first, i))
        first, reading = i, word in _READ
    if reading:
        out.append(range(first, len(rows)))
    return out


def _column_kinds(rows: list[list[str]], pairs: list[bool], section: range) -> dict[int, str]:
    """Column → "amount", "previous" (a 前期 column) or "name" within one section."""
    amounts: Counter[int] = Counter()
    texts: Counter[int] = Counter()
    for i in section:
        for c, cell in enumerate(rows[i]):
            s = cell.strip()
            if not s:
                continue
            if is_amount(s):
                amounts[c] += 1
            elif not (_UNIT.search(_text(s)) or dates_in(s)):
                texts[c] += 1
    kinds = {c: "name" for c in texts}
    kinds.update({c: "amount" for c, k in amounts.items() if k >= texts[c]})
    # 比較形式: an amount column labelled 前期 (on a line above, within or before the section)
    # holds last year's figures; the 当期 column beside it is read instead
    for i in range(section.stop):
        if pairs[i]:
            continue
        for c, cell in enumerate(rows[i]):
            if kinds.get(c) == "amount" and _text(cell).replace(" ", "") in _PREVIOUS:
                kinds[c] = "previous"
    return kinds


def _read_section(
    rows: list[list[str]],
    kinds: dict[int, str],
    units: list[int],
    section: range,
    sides: list[list[list[str]]],
    fn: str,
    result: ParseResult,
) -> None:
    side_of: dict[int, int] = {}
    side, previous = -1, "amount"
    for c in sorted(kinds):
        if kinds[c] == "name":
            if previous != "name":
                side += 1
            side_of[c] = side
        previous = kinds[c]
    for i in section:
        row, unit = rows[i], units[i]
        for c, cell in enumerate(row):
            if kinds.get(c) != "name" or not cell.strip():
                continue
            amount = _amount_right_of(row, c, kinds, i + 1, fn, result)
            text = "" if amount is None else str(amount * unit)
            target = side_of[c]
            while len(sides) <= target:
                sides.append([])
            rows_of_side = sides[target]
            rows_of_side.extend([["", ""]] * (i - len(rows_of_side)))
            if len(rows_of_side) == i:
                rows_of_side.append([cell.strip(), text])


def _amount_right_of(
    row: list[str], c: int, kinds: dict[int, str], line: int, fn: str, result: ParseResult
) -> int | None:
    """The first amount right of the name in column ``c``, before the next name; bad → issue."""
    for j in range(c + 1, len(row)):
        cell = row[j].strip()
        if not cell:
            continue
        if kinds.get(j) == "name":
            return None
        if kinds.get(j) != "amount":
            continue
        try:
            return parse_yen(cell)
        except AmountError as exc:
            if re.search(r"\d", _text(cell)) and not _NOT_AN_AMOUNT.search(_text(cell)):
                result.issues.append(
                    cell_error(
                        "amount.invalid",
                        exc,
                        file=fn,
                        line=line,
                        column=j + 1,
                        field=row[c].strip(),
                        value=cell,
                    )
                )
            return None
    return None
