"""Decoding uploaded bytes: sniff the encoding, split CSV rows, keep the original text.

Rules (formats.md, "General rules"): BOM first, then strict UTF-8, then CP932 (not
Shift_JIS: ㈱ and ① are NEC/IBM extensions). Line endings may be LF or CRLF. NFKC is
applied only to copies used for matching (``normalise``), never to the kept text.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from .limits import LimitExceeded

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8 byte-order mark"),
    (b"\xff\xfe", "utf-16", "UTF-16 little-endian byte-order mark"),
    (b"\xfe\xff", "utf-16", "UTF-16 big-endian byte-order mark"),
)


@dataclass(frozen=True)
class DecodedFile:
    """An uploaded file: its name, raw bytes, decoded text and how it was decoded."""

    filename: str
    data: bytes
    text: str
    encoding: str
    encoding_reason: str
    _rows: list[list[str]] | None = field(default=None, compare=False, repr=False)
    max_cells: int | None = field(default=None, compare=False, repr=False)

    @property
    def suffix(self) -> str:
        dot = self.filename.rfind(".")
        return self.filename[dot:].lower() if dot >= 0 else ""

    def rows(self) -> list[list[str]]:
        """The text as CSV rows (cached). Tab-separated text is recognised."""
        if self._rows is None:
            rows = split_rows(self.text, max_cells=self.max_cells, filename=self.filename)
            object.__setattr__(self, "_rows", rows)
        assert self._rows is not None
        return self._rows


def sniff_encoding(data: bytes) -> tuple[str, str]:
    """Return ``(codec, reason)`` for ``data`` without guessing silently."""
    for bom, codec, why in _BOMS:
        if data.startswith(bom):
            return codec, why
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    else:
        if data.isascii():
            return "utf-8", "ASCII only (valid as UTF-8 and CP932)"
        return "utf-8", "valid UTF-8 without a byte-order mark"
    try:
        data.decode("cp932")
    except UnicodeDecodeError as exc:
        return (
            "cp932",
            f"neither UTF-8 (invalid byte at {first_bad}) nor clean CP932 "
            f"(invalid byte at {exc.start}); decoded as CP932 with replacement characters",
        )
    return "cp932", f"not UTF-8 (invalid byte at offset {first_bad}); valid CP932 (Shift_JIS)"


def decode(
    data: bytes,
    filename: str = "",
    *,
    max_lines: int | None = None,
    max_cells: int | None = None,
) -> DecodedFile:
    """Decode bytes to text; never raises for any input — except ``LimitExceeded`` when the
    text has more than ``max_lines`` lines (counted before anything is split)."""
    codec, reason = sniff_encoding(data)
    text = data.decode(codec, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    if max_lines is not None:
        check_lines(text, filename, max_lines)
    return DecodedFile(filename, data, text, codec, reason, max_cells=max_cells)


def check_lines(text: str, filename: str, max_lines: int) -> None:
    """Refuse a text of more than ``max_lines`` physical lines (no copy is made)."""
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines > max_lines:
        raise LimitExceeded(
            "upload.too_many_lines", file=filename, line=max_lines + 1, limit=max_lines
        )


def split_rows(text: str, *, max_cells: int | None = None, filename: str = "") -> list[list[str]]:
    """CSV rows of ``text``; a text with tabs and no commas in its first line is read as TSV.

    With ``max_cells``, the fields are counted row by row and ``LimitExceeded`` is raised at
    the row where the count passes the limit.
    """
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text.replace("\x00", "")), delimiter=delimiter)
    rows: list[list[str]] = []
    cells = _CellCount(max_cells, filename)
    try:
        for row in reader:
            cells.add(len(row), reader.line_num)
            rows.append(row)
    except csv.Error:
        # An unterminated quote or similar: fall back to a plain split so that
        # the importer can still report precise errors.
        rows = []
        cells = _CellCount(max_cells, filename)
        for n, line in enumerate(text.splitlines(), 1):
            row = line.split(delimiter)
            cells.add(len(row), n)
            rows.append(row)
    return rows


class _CellCount:
    """Counts cells row by row; raises when ``limit`` is passed."""

    def __init__(self, limit: int | None, filename: str) -> None:
        self.limit = limit
        self.filename = filename
        self.count = 0

    def add(self, width: int, line: int) -> None:
        before = self.count
        self.count += width
        if self.limit is not None and self.count > self.limit:
            raise LimitExceeded(
                "upload.too_many_cells",
                file=self.filename,
                line=line,
                column=self.limit - before + 1,
                limit=self.limit,
            )


def normalise(name: str) -> str:
    """The matching key of a name: NFKC, no spaces, no surrounding quotes."""
    key = unicodedata.normalize("NFKC", name)
    return "".join(key.split()).strip("\"'")
