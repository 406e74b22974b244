"""Tables as downloads: the same rows as CSV (UTF-8 with a BOM, so a Japanese Excel opens it)
or as an .xlsx sheet (openpyxl). Cells that a spreadsheet would run as a formula are quoted."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _safe(v: Any) -> Any:
    if isinstance(v, str) and v.startswith(_FORMULA):
        return "'" + v
    return v


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if v is None else _safe(v) for v in r])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(headers))
    for r in rows:
        ws.append([_safe(v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
