"""How much one upload may make the importer read: bytes, lines, cells, unpacked bytes, issues.

Every limit is checked *while* reading, so an oversized file is refused after reading just
past the limit, never after loading all of it:

* ``max_bytes`` — the file as uploaded;
* ``max_lines`` — physical lines of a CSV/TSV (counted on the decoded text before it is split),
  rows of a worksheet (counted while openpyxl streams them);
* ``max_cells`` — fields of a CSV or cells of a worksheet, counted row by row;
* ``max_unpacked_bytes`` — the bytes an .xlsx actually decompresses to, counted chunk by chunk
  over every member (the sizes the zip declares are not trusted);
* ``max_issues`` — errors and warnings *listed* per severity; the rest are only counted by code.

A refusal is a :class:`LimitExceeded`: an ``IngestError`` with a stable ``code``, the numbers
in ``params`` and where it happened (file, line, cell), so that pages can say it in their
own language. Its message is bilingual (Japanese / English), like the other refusals of an
upload, for the API and the CLI.
"""

from __future__ import annotations

from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, SupportsIndex

from .errors import IngestError, Issue

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_LINES = 200_000
DEFAULT_MAX_CELLS = 3_000_000
DEFAULT_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_ISSUES = 200
MAX_ZIP_MEMBERS = 10_000
MAX_RATIO = 200  # unpacked bytes per packed byte, over the whole workbook


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_lines: int = DEFAULT_MAX_LINES
    max_cells: int = DEFAULT_MAX_CELLS
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES
    max_issues: int = DEFAULT_MAX_ISSUES


# English templates (msgids of the web catalogue, which has the Japanese) and the Japanese
# text used in the bilingual message for the API and the CLI.
MESSAGES: dict[str, tuple[str, str]] = {
    "upload.too_many_lines": (
        "{file}: more than {limit} lines (line {line} is over the limit); "
        "split the file by period and upload the parts separately",
        "{file}: 行数が上限の {limit} 行を超えています ({line} 行目で超過)。"
        "期間を分けて別々にアップロードしてください",
    ),
    "upload.too_many_cells": (
        "{file}: more than {limit} cells (the limit is passed at line {line}, column {column}); "
        "remove unused columns or split the file by period",
        "{file}: セル数が上限の {limit} 個を超えています ({line} 行目 {column} 列目で超過)。"
        "不要な列を削るか、期間を分けてください",
    ),
    "upload.unpacked_too_large": (
        "{file}: the workbook unpacks to more than {limit} (part {field}); "
        "save only the needed sheet, or export it as CSV",
        "{file}: ブックを展開すると {limit} を超えます (部品 {field})。"
        "必要なシートだけを保存するか、CSV で書き出してください",
    ),
    "upload.compression_ratio": (
        "{file}: the workbook is compressed more than {limit} to 1 (part {field}); refused",
        "{file}: ブックの圧縮率が {limit} 対 1 を超えるため受け付けられません (部品 {field})",
    ),
    "upload.too_many_parts": (
        "{file}: the workbook has more than {limit} parts; refused",
        "{file}: ブックの部品が {limit} 個を超えるため受け付けられません",
    ),
    "upload.memory_limit": (
        "{file}: reading the upload needed more than {limit} of memory; "
        "split the file by period and upload the parts separately",
        "{file}: 読み取りに {limit} を超えるメモリが必要でした。"
        "期間を分けて別々にアップロードしてください",
    ),
    "upload.busy": (
        "{file}: every upload worker stayed busy for {limit} seconds; try again in a moment",
        "{file}: 取り込み処理が {limit} 秒間すべて使用中でした。少し待ってからもう一度送ってください",
    ),
    "upload.timeout": (
        "{file}: reading the upload took longer than {limit} seconds; "
        "split the file by period and upload the parts separately",
        "{file}: 読み取りが {limit} 秒を超えました。期間を分けて別々にアップロードしてください",
    ),
}


def format_size(n: int) -> str:
    """20 MB / 512 KB / 900 bytes — the same text in both languages."""
    if n >= 1024 * 1024:
        mb = n / (1024 * 1024)
        return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def message_params(params: dict[str, Any]) -> dict[str, str]:
    """The numbers of a limit message as text (sizes as MB, counts with separators)."""
    out: dict[str, str] = dict.fromkeys(("file", "line", "column", "field", "limit"), "")
    for k, v in params.items():
        if k in ("limit_bytes",):
            out["limit"] = format_size(int(v))
        elif isinstance(v, int) and not isinstance(v, bool):
            out[k] = f"{v:,}"
        else:
            out[k] = "" if v is None else str(v)
    return out


class LimitExceeded(IngestError):
    """An upload refused by a limit; ``issue()`` locates it for the report."""

    def __init__(
        self,
        code: str,
        *,
        file: str,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        **params: Any,
    ) -> None:
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.params = {"file": file, "line": line, "column": column, "field": field, **params}
        en, ja = MESSAGES[code]
        text = message_params(self.params)
        super().__init__(f"{ja.format(**text)} / {en.format(**text)}")

    def __reduce__(self) -> tuple[Any, ...]:  # survives the pipe from a worker process
        extra = {
            k: v for k, v in self.params.items() if k not in ("file", "line", "column", "field")
        }
        return (_rebuild, (self.code, self.file, self.line, self.column, self.field, extra))

    def issue(self, default_file: str = "") -> Issue:
        return Issue(
            "error",
            self.code,
            str(self),
            file=self.file or default_file,
            line=self.line,
            column=self.column,
            field=self.field,
            params={k: v for k, v in self.params.items() if v is not None},
        )


def _rebuild(
    code: str,
    file: str,
    line: int | None,
    column: int | None,
    field: str | None,
    extra: dict[str, Any],
) -> LimitExceeded:
    return LimitExceeded(code, file=file, line=line, column=column, field=field, **extra)


# The number of issues an importer lists per severity while it reads (set by analyse_files).
ISSUE_CAP: ContextVar[int] = ContextVar("ISSUE_CAP", default=DEFAULT_MAX_ISSUES)


class IssueList(list[Issue]):
    """A list of issues that keeps the first ``cap`` of each severity and counts the rest.

    Importers append to it as to a list; a file with an error on each of 200,000 lines keeps
    a few hundred ``Issue`` objects, not 200,000. ``omitted`` counts what was left out, by code.
    """

    def __init__(self, items: Any = (), cap: int | None = None) -> None:
        super().__init__()
        self.cap = ISSUE_CAP.get() if cap is None else cap
        self.kept: Counter[str] = Counter()
        self.omitted: Counter[str] = Counter()
        self.omitted_by_severity: Counter[str] = Counter()
        self.extend(items)

    def append(self, issue: Issue) -> None:
        if self.kept[issue.severity] < self.cap:
            self.kept[issue.severity] += 1
            super().append(issue)
        else:
            self.omitted[issue.code] += 1
            self.omitted_by_severity[issue.severity] += 1

    def extend(self, issues: Any) -> None:
        for i in issues:
            self.append(i)

    def __iadd__(self, issues: Any) -> IssueList:  # type: ignore[override, misc]
        self.extend(issues)
        return self

    def insert(self, index: SupportsIndex, issue: Issue) -> None:
        self.append(issue)


def limits_of(settings: Any) -> Limits:
    """The limits named in a ``Settings`` (``max_upload_bytes``, ``max_upload_lines`` …)."""
    return Limits(
        max_bytes=settings.max_upload_bytes,
        max_lines=settings.max_upload_lines,
        max_cells=settings.max_upload_cells,
        max_unpacked_bytes=settings.max_upload_unpacked_bytes,
        max_issues=settings.max_upload_issues,
    )
