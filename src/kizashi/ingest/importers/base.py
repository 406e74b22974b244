"""The importer interface: one small protocol every format implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..model import ParseResult
from ..text import DecodedFile


@dataclass(frozen=True)
class Sniff:
    """How sure an importer is that it can read a file (0 < confidence ≤ 1) and why."""

    confidence: float
    reason: str


@runtime_checkable
class Importer(Protocol):
    """A source format. Built-ins and third-party plugins implement exactly this.

    ``sniff`` must be cheap and never raise; ``parse`` may raise ``IngestError`` for a file
    it cannot read at all, and otherwise reports located issues in the result.
    """

    name: str
    label_ja: str
    label_en: str

    def sniff(self, file: DecodedFile) -> Sniff | None: ...

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult: ...


@dataclass(frozen=True)
class ParseOptions:
    """Per-upload settings an importer may use (column mapping for generic tables …)."""

    column_mapping: object | None = None
    period_end: str | None = None


def header_index(header: list[str], names: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Map logical field → column index by header name (NFKC, spaces ignored)."""
    from ..text import normalise

    found: dict[str, int] = {}
    keys = [normalise(h) for h in header]
    for logical, candidates in names.items():
        for cand in candidates:
            c = normalise(cand)
            if c in keys:
                found[logical] = keys.index(c)
                break
    return found
