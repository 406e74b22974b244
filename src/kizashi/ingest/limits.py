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
from .messages import LIMIT_MESSAGES as MESSAGES
from .messages import message_params

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
        super().__init__(
            ja.format(**text), en.format(**text), file=file, line=line, column=column, field=field
        )

    def __reduce__(self) -> tuple[Any, ...]:  # survives the pipe from a worker process
        extra = {
            k: v for k, v in self.params.items() if k not in ("file", "line", "column", "field")
        }
        return (_rebuild, (self.code, self.file, self.line, self.column, self.field, extra))

    def issue(self, default_file: str = "") -> Issue:
        return Issue(
            "error",
            self.code,
            str(self),  # Japanese, as the CLI and the API say a refusal; pages use the params
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
