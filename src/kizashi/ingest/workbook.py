"""Reading .xlsx workbooks safely into rows of text (openpyxl, read-only, values only)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from .errors import IngestError
from .limits import MAX_RATIO, MAX_ZIP_MEMBERS, LimitExceeded, Limits
from .text import DecodedFile

_CHUNK = 1024 * 1024


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


def check_unpacked(data: bytes, filename: str, limits: Limits) -> int:
    """Decompress every member of the workbook chunk by chunk and count the actual bytes.

    The sizes a zip declares can lie: only the bytes that come out of the decompressor are
    counted, against ``limits.max_unpacked_bytes`` (all members together, the shared strings
    and the sheets included) and against ``MAX_RATIO`` to the packed size. Nothing is kept;
    the count stops at the first chunk past a limit. Returns the unpacked size.
    """
    ratio_limit = MAX_RATIO * max(len(data), 1)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise LimitExceeded("upload.too_many_parts", file=filename, limit=MAX_ZIP_MEMBERS)
            declared = sum(i.file_size for i in infos)
            if declared > ratio_limit:  # a bomb that says so; the rest is counted below
                raise LimitExceeded(
                    "upload.compression_ratio", file=filename, field="*", limit=MAX_RATIO
                )
            total = 0
            for info in infos:
                with zf.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        total += len(chunk)
                        if total > limits.max_unpacked_bytes:
                            raise LimitExceeded(
                                "upload.unpacked_too_large",
                                file=filename,
                                field=info.filename,
                                limit_bytes=limits.max_unpacked_bytes,
                            )
                        if total > ratio_limit:
                            raise LimitExceeded(
                                "upload.compression_ratio",
                                file=filename,
                                field=info.filename,
                                limit=MAX_RATIO,
                            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise IngestError(
            f"{filename}: .xlsx ファイルとして読めません",
            f"{filename}: not a readable .xlsx file ({exc})",
            file=filename,
        ) from exc
    except NotImplementedError as exc:  # an unsupported compression method
        raise IngestError(
            f"{filename}: .xlsx ファイルとして読めません（対応していない圧縮方式）",
            f"{filename}: not a readable .xlsx file ({exc})",
            file=filename,
        ) from exc
    return total


def read_xlsx(
    data: bytes, filename: str, sheet: str | None = None, limits: Limits | None = None
) -> DecodedFile:
    """The first (or named) worksheet as a DecodedFile whose rows are the cell texts.

    The workbook's unpacked size is counted first (``check_unpacked``); rows and cells are
    counted while openpyxl streams the sheet, so a sheet of a million rows (or a declared
    dimension of 16,384 columns) is refused after ``limits.max_lines`` rows or
    ``limits.max_cells`` cells, never materialised.
    """
    limits = limits or Limits()
    check_unpacked(data, filename, limits)
    rows: list[list[str]] = []
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb[sheet] if sheet else wb.worksheets[0]
            cells = 0
            for n, row in enumerate(ws.iter_rows(values_only=True), 1):
                if n > limits.max_lines:
                    raise LimitExceeded(
                        "upload.too_many_lines", file=filename, line=n, limit=limits.max_lines
                    )
                if cells + len(row) > limits.max_cells:
                    raise LimitExceeded(
                        "upload.too_many_cells",
                        file=filename,
                        line=n,
                        column=limits.max_cells - cells + 1,
                        limit=limits.max_cells,
                    )
                cells += len(row)
                rows.append([_cell_text(v) for v in row])
        finally:
            wb.close()
    except IngestError:
        raise
    except KeyError as exc:
        raise IngestError(
            f"{filename}: シート「{sheet}」がありません",
            f"{filename}: no sheet named {sheet!r}",
            file=filename,
            field=sheet,
        ) from exc
    except Exception as exc:  # openpyxl raises many types on malformed workbooks
        raise IngestError(
            f"{filename}: ブックを読み取れません",
            f"{filename}: cannot read the workbook ({type(exc).__name__})",
            file=filename,
        ) from exc
    while rows and not any(rows[-1]):
        rows.pop()
    text = "\n".join(",".join(r) for r in rows)
    return DecodedFile(filename, data, text, "xlsx", "Office Open XML workbook (.xlsx)", rows)
