"""Reading .xlsx workbooks safely into rows of text (openpyxl, read-only, values only)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from .errors import IngestError
from .text import DecodedFile

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200


def is_xlsx(data: bytes, filename: str) -> bool:
    return data[:4] == b"PK\x03\x04" and filename.lower().endswith((".xlsx", ".xlsm"))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        d = Decimal(repr(value))
        return str(int(d)) if d == d.to_integral_value() else str(d)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, filename: str, sheet: str | None = None) -> DecodedFile:
    """The first (or named) worksheet as a DecodedFile whose rows are the cell texts."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise IngestError(f"{filename}: not a readable .xlsx file ({exc})") from exc
    if total > MAX_UNCOMPRESSED or total > MAX_RATIO * max(len(data), 1):
        raise IngestError(f"{filename}: the workbook expands to {total:,} bytes; refused")
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb[sheet] if sheet else wb.worksheets[0]
            rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    except KeyError as exc:
        raise IngestError(f"{filename}: no sheet named {sheet!r}") from exc
    except Exception as exc:  # openpyxl raises many types on malformed workbooks
        raise IngestError(f"{filename}: cannot read the workbook ({type(exc).__name__})") from exc
    while rows and not any(rows[-1]):
        rows.pop()
    text = "\n".join(",".join(r) for r in rows)
    return DecodedFile(filename, data, text, "xlsx", "Office Open XML workbook (.xlsx)", rows)
