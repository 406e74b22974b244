"""Tables of money (bank CSV exports, receivable/payable schedules): decoding and the header.

A CSV is decoded by ``text.decode`` (BOM, strict UTF-8, then CP932); an .xlsx by
``workbook.read_xlsx`` with its limits. The header is the row among the first 30 that names
the most known fields, unless a preset names the columns (logical field → header text or
1-based column number).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import IngestError
from ..limits import Limits
from ..text import DecodedFile, decode, normalise
from ..workbook import is_xlsx, read_xlsx

_UNIT = re.compile(r"[\(（](円|yen|JPY)[\)）]$", re.IGNORECASE)


def header_key(text: str) -> str:
    return _UNIT.sub("", normalise(text)).lower()


def load_table(data: bytes, filename: str, limits: Limits | None = None) -> DecodedFile:
    limits = limits or Limits()
    if is_xlsx(data, filename):
        return read_xlsx(data, filename, limits=limits)
    return decode(data, filename, max_lines=limits.max_lines, max_cells=limits.max_cells)


def find_columns(
    rows: list[list[str]],
    names: Mapping[str, tuple[str, ...]],
    accept: object,
    preset: Mapping[str, str] | None = None,
    limit: int = 30,
) -> tuple[int, dict[str, int]] | None:
    """(0-based header row, logical field → 0-based column) or None.

    ``accept(found)`` says whether a row's fields make a header. With a preset, the first row
    that holds every preset header text is the header (numbers need no header text).
    """
    lookup = {header_key(n): logical for logical, cands in names.items() for n in cands}
    best: tuple[int, int, dict[str, int]] | None = None
    logical: str | None
    for i, row in enumerate(rows[:limit]):
        keys = [header_key(c) for c in row]
        found: dict[str, int] = {}
        if preset:
            ok = True
            for logical, ref in preset.items():
                ref_s = str(ref)
                if ref_s.isdigit() and 1 <= int(ref_s) <= len(row):
                    found[logical] = int(ref_s) - 1
                elif header_key(ref_s) in keys:
                    found[logical] = keys.index(header_key(ref_s))
                else:
                    ok = False
            if ok and found:
                return i, found
            continue
        for j, k in enumerate(keys):
            logical = lookup.get(k)
            if logical and logical not in found:
                found[logical] = j
        if callable(accept) and accept(found):
            score = len(found)
            if best is None or score > best[1]:
                best = (i, score, found)
    return (best[0], best[2]) if best else None


def cell(row: list[str], idx: int | None) -> str:
    if idx is None or idx >= len(row):
        return ""
    return row[idx].strip()


def require(
    found: tuple[int, dict[str, int]] | None, filename: str, what: str
) -> tuple[int, dict[str, int]]:
    if found is None:
        raise IngestError(
            f"{filename}: 最初の 30 行に見出し行が見つかりません（{what}）。"
            "保存した列の対応づけで列を指定してください",
            f"{filename}: no header row found in the first 30 lines ({what});"
            " name the columns with a preset",
            file=filename,
        )
    return found
