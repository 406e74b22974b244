"""Importing money that moved: bank statements, e-invoices and receivable/payable schedules.

Pure code, no database. ``analyse_money(data, filename)`` picks the format (or uses the one
named), parses it and returns a :class:`MoneyResult`: what the file says (a
:class:`~kizashi.domain.bank.MoneyFile`) and located issues. Errors block storing; warnings
inform. A file that cannot be read at all raises ``IngestError``.

Money importers register like the accounting importers (``registry``): the built-ins are
listed in :data:`MONEY_IMPORTERS` as ``module:attribute``; plugins use the entry-point group
``kizashi.money_importers``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import Literal, Protocol, runtime_checkable

from kizashi.domain.bank import MoneyFile

from .errors import IngestError, Issue
from .importers.base import Sniff
from .limits import DEFAULT_MAX_BYTES, IssueList

MoneyKind = Literal["bank", "invoices", "open_items", "planned_payments"]

MONEY_ENTRY_POINT_GROUP = "kizashi.money_importers"
MONEY_IMPORTERS: tuple[str, ...] = (
    "kizashi.ingest.importers.zengin:ZenginFile",
    "kizashi.ingest.importers.netbank_csv:NetbankCsv",
    "kizashi.ingest.importers.ubl_invoice:UblInvoice",
    "kizashi.ingest.importers.sme_edi:SmeEdiInvoice",
    "kizashi.ingest.importers.open_items:OpenItemSchedule",
)
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class MoneyOptions:
    """Per-upload settings: ``today`` anchors 和暦 and MMDD year inference; ``preset`` is a
    saved column layout for bank CSVs and schedules (logical field → header text)."""

    today: date | None = None
    preset: dict[str, str] | None = None
    side: str | None = None  # open-item schedules: "receivable" or "payable" when not in the file
    as_of: date | None = None  # open-item schedules: the date the balances are at


@dataclass
class MoneyResult:
    format: str
    kind: MoneyKind
    file: MoneyFile
    filename: str = ""
    issues: list[Issue] = field(default_factory=IssueList)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]


@runtime_checkable
class MoneyImporter(Protocol):
    """A money format. ``sniff`` is cheap and never raises; ``parse`` raises ``IngestError``
    for a file it cannot read at all and otherwise reports located issues."""

    name: str
    label_ja: str
    label_en: str
    kind: MoneyKind

    def sniff(self, data: bytes, filename: str) -> Sniff | None: ...

    def parse(self, data: bytes, filename: str, options: MoneyOptions) -> MoneyResult: ...


def load_money_importers(*, plugins: bool = True) -> dict[str, MoneyImporter]:
    found: dict[str, MoneyImporter] = {}
    specs = list(MONEY_IMPORTERS)
    if plugins:
        specs += [ep.value for ep in entry_points(group=MONEY_ENTRY_POINT_GROUP)]
    for spec in specs:
        module_name, _, attr = spec.partition(":")
        obj = getattr(import_module(module_name), attr)
        imp = obj() if isinstance(obj, type) else obj
        if not isinstance(imp, MoneyImporter):
            raise TypeError(f"{spec} does not implement the MoneyImporter protocol")
        found.setdefault(imp.name, imp)
    return found


@cache
def default_money_importers() -> dict[str, MoneyImporter]:
    return load_money_importers()


def sniff_money(data: bytes, filename: str) -> tuple[str, Sniff] | None:
    """The money format that reads ``data`` best, or None when none is confident."""
    best: tuple[str, Sniff] | None = None
    for name, imp in default_money_importers().items():
        try:
            got = imp.sniff(data, filename)
        except Exception:  # a plugin's sniff never breaks detection
            continue
        if got is not None and (best is None or got.confidence > best[1].confidence):
            best = (name, got)
    if best is None or best[1].confidence < MIN_CONFIDENCE:
        return None
    return best


def analyse_money(
    data: bytes,
    filename: str,
    *,
    format: str | None = None,
    options: MoneyOptions | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> MoneyResult:
    """Parse one money file; any input yields a result or an ``IngestError``."""
    if len(data) > max_bytes:
        raise IngestError(
            f"{filename}: {len(data):,} バイトで、上限の {max_bytes:,} バイトを超えています",
            f"{filename}: {len(data):,} bytes is over the size limit of {max_bytes:,} bytes",
            file=filename,
        )
    if not data.strip():
        raise IngestError(
            f"{filename}: 空のファイルです", f"{filename}: the file is empty", file=filename
        )
    registry = default_money_importers()
    if format is not None:
        if format not in registry:
            known = ", ".join(sorted(registry))
            raise IngestError(
                f"形式「{format}」はありません（使える形式: {known}）",
                f"unknown format {format!r}; known formats: {known}",
                file=filename,
            )
        name = format
    else:
        found = sniff_money(data, filename)
        if found is None:
            known = ", ".join(sorted(registry))
            raise IngestError(
                f"{filename}: この形式は認識できません（使える形式: {known}）",
                f"{filename}: unrecognised file format. Known formats: {known}",
                file=filename,
            )
        name = found[0]
    result = registry[name].parse(data, filename, options or MoneyOptions())
    result.filename = filename
    return result
