"""The importer registry: built-ins register exactly as third-party plugins do.

A plugin package declares an entry point in the group ``kizashi.importers`` whose value is
``module:attribute``; the attribute is an importer instance or a class instantiable without
arguments. The built-ins are listed in ``DEFAULT_IMPORTERS`` in the same ``module:attribute``
form and loaded through the same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points

from .errors import IngestError
from .importers.base import Importer, Sniff
from .text import DecodedFile

ENTRY_POINT_GROUP = "kizashi.importers"

DEFAULT_IMPORTERS: tuple[str, ...] = (
    "kizashi.ingest.importers.yayoi:YayoiJournal",
    "kizashi.ingest.importers.freee:FreeeJournal",
    "kizashi.ingest.importers.freee:FreeeDeals",
    "kizashi.ingest.importers.moneyforward:MoneyForwardJournal",
    "kizashi.ingest.importers.epson:EpsonR4Journal",
    "kizashi.ingest.importers.bugyo:BugyoJournal",
    "kizashi.ingest.importers.opening:OpeningBalances",
    "kizashi.ingest.importers.table:GenericTrialBalance",
    "kizashi.ingest.importers.statement:HeaderlessStatement",
)

MIN_CONFIDENCE = 0.5


def load_importer(spec: str) -> Importer:
    """Load ``module:attribute`` and return an importer instance."""
    module_name, _, attr = spec.partition(":")
    obj = getattr(import_module(module_name), attr)
    instance = obj() if isinstance(obj, type) else obj
    if not isinstance(instance, Importer):
        raise TypeError(f"{spec} does not implement the Importer protocol")
    return instance


def load_importers(*, plugins: bool = True) -> dict[str, Importer]:
    """All importers by name: built-ins first, then entry-point plugins (names must be new)."""
    found: dict[str, Importer] = {}
    specs = list(DEFAULT_IMPORTERS)
    if plugins:
        specs += [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)]
    for spec in specs:
        imp = load_importer(spec)
        if imp.name in found:
            continue  # a plugin cannot silently replace a built-in or an earlier plugin
        found[imp.name] = imp
    return found


@cache
def default_importers() -> dict[str, Importer]:
    """The importers of this process (built-ins and installed plugins), loaded once."""
    return load_importers()


@dataclass(frozen=True)
class Detection:
    importer: Importer
    sniff: Sniff
    candidates: tuple[tuple[str, Sniff], ...]


def detect(file: DecodedFile, importers: dict[str, Importer], name: str | None = None) -> Detection:
    """Choose the importer for ``file`` (or use ``name``); unknown files get a clear answer."""
    if name is not None:
        if name not in importers:
            known = ", ".join(sorted(importers))
            raise IngestError(
                f"形式「{name}」はありません（使える形式: {known}）",
                f"unknown format {name!r}; known formats: {known}",
                file=file.filename,
            )
        imp = importers[name]
        got = _safe_sniff(imp, file)
        reason = f"format chosen by the user ({name})"
        if got is None:
            reason += "; note: the file does not look like this format"
        return Detection(imp, Sniff(1.0, reason), ())
    scored = [(n, s) for n, imp in importers.items() if (s := _safe_sniff(imp, file)) is not None]
    scored.sort(key=lambda t: -t[1].confidence)
    if not scored or scored[0][1].confidence < MIN_CONFIDENCE:
        best = f" (closest: {scored[0][0]}, {scored[0][1].reason})" if scored else ""
        known = ", ".join(sorted(importers))
        raise IngestError(
            f"{file.filename}: この形式は認識できません（使える形式: {known}）。"
            "形式を指定するか、保存した列の対応づけを使ってください",
            f"{file.filename}: unrecognised file format{best}. Known formats: {known};"
            " use --format NAME or a saved column mapping.",
            file=file.filename,
        )
    return Detection(importers[scored[0][0]], scored[0][1], tuple(scored))


def _safe_sniff(imp: Importer, file: DecodedFile) -> Sniff | None:
    try:
        return imp.sniff(file)
    except Exception:  # a plugin's sniff must never break detection of the others
        return None
