"""Languages and formatting: gettext catalogues, yen, 和暦 and dates — all in this one place.

Messages are written in English (the msgid) and translated in ``locale/<lang>/LC_MESSAGES/
kizashi.po``. The ``.po`` files are read directly by a small parser (no compile step, no
extra dependency); ``tests/web/test_i18n.py`` checks that the Japanese catalogue is complete
for every message the templates and the web code use. Japanese is the default locale.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Protocol
from zoneinfo import ZoneInfo

from kizashi.domain.calendar import (  # noqa: F401  (re-exported: the formats in one place)
    EN_MONTHS,
    ERAS,
    format_date,
    format_month,
    format_wareki_date,
    format_wareki_month,
    wareki_year,
)

LOCALES = ("ja", "en")
DOMAIN = "kizashi"


def parse_po(text: str) -> dict[str, str]:
    """msgid → msgstr from the text of a ``.po`` file (plural forms and contexts are not used).

    Untranslated entries (empty msgstr) and fuzzy entries are left out, so the caller falls
    back to the English msgid.
    """
    out: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal msgid, msgstr, fuzzy
        if msgid is not None and msgstr is not None and not fuzzy:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                out[key] = value
        msgid = msgstr = None
        fuzzy = False

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            current = None
        elif line.startswith("#,") and "fuzzy" in line:
            flush()
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid "):
            if msgstr is not None:
                was_fuzzy = fuzzy
                flush()
                fuzzy = was_fuzzy
            msgid = [ast.literal_eval(line[6:])]
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [ast.literal_eval(line[7:])]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
    flush()
    return out


@cache
def catalogue(locale: str) -> dict[str, str]:
    """The translations of one locale ({} for English, whose msgids are the text)."""
    if locale == "en":
        return {}
    path = resources.files("kizashi.web").joinpath(f"locale/{locale}/LC_MESSAGES/{DOMAIN}.po")
    return parse_po(path.read_text("utf-8"))


def negotiate(*candidates: str | None, default: str = "ja") -> str:
    """The first supported locale among the candidates (query, session, user setting…)."""
    for c in candidates:
        if c:
            short = c.strip().lower()[:2]
            if short in LOCALES:
                return short
    return default if default in LOCALES else "ja"


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it (translated where shown)."""
    return message


# Labels of stored enum values (the values are kizashi.store.models enums' values).
ENUM_LABELS: dict[str, str] = {
    "monitoring": N_("Monitoring"),
    "support": N_("Business support"),
    "credit_review": N_("Credit review"),
    "referral": N_("Referral"),
    # data categories a consent covers (domain.vocabulary.Category)
    "profile": N_("Basic information"),
    "financials": N_("Trial balances and financial statements"),
    "bank_transactions": N_("Bank account transactions"),
    "invoices": N_("Invoices"),
    "loans": N_("Borrowings and guarantees"),
    "flags": N_("Early-warning flags"),
    "qualitative": N_("Qualitative and meeting notes"),
    "restructuring": N_("Restructuring of terms"),
    "delinquency": N_("Delinquency"),
    "accident_report": N_("Accident report"),
    "subrogation": N_("Subrogation"),
    "owner": N_("Business owner"),
    "officer": N_("Officer"),
    "admin": N_("Administrator"),
    "auditor": N_("Auditor"),
    "business": N_("Business"),
    "supporter": N_("Adviser"),
    "bank": N_("Bank"),
    "guarantor": N_("Credit guarantee corporation"),
    "revitalization": N_("SME Revitalization Support Council"),
    # flag severity (staff screens) and workflow state
    "critical": N_("Critical"),
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
    "new": N_("New"),
    "acknowledged": N_("Acknowledged"),
    "in_progress": N_("In progress"),
    "resolved": N_("Resolved"),
    "not_needed": N_("No action needed"),
}

# A rule pack's closed vocabularies (kizashi.engine.spec.packs: CATEGORIES, SOURCES, SUPPORTS) are
# Japanese in the pack; these are their English msgids, translated back where shown.
PACK_TERMS: dict[str, str] = {
    "収益性": N_("Profitability"),
    "資金繰り": N_("Cash flow"),
    "財務健全性": N_("Financial soundness"),
    "効率性": N_("Efficiency"),
    "真贋性": N_("Data consistency"),
    "信用事象": N_("Credit events"),
    "データ": N_("Data"),
    "決算書": N_("Financial statements"),
    "試算表": N_("Trial balances"),
    "口座": N_("Bank account"),
    "金融取引": N_("Loans and repayments"),
    "定性": N_("Qualitative information"),
    "確認": N_("Check the facts"),
    "本業支援": N_("Support for the core business"),
    "経営改善": N_("Management improvement"),
    "再生": N_("Business rehabilitation"),
    "再チャレンジ": N_("Fresh start"),
}


# ---------------------------------------------------------------------------- formatting
# Months and days (和暦 / English) are kizashi.domain.calendar's, imported above.


def format_yen(amount: int | None, locale: str = "ja") -> str:
    """12,345,678円 (ja) / ¥12,345,678 (en); negative as −; None as an em dash."""
    if amount is None:
        return "—"
    sign = "−" if amount < 0 else ""
    if locale == "ja":
        return f"{sign}{abs(amount):,}円"
    return f"{sign}¥{abs(amount):,}"


def format_yen_compact(amount: int | float | None, locale: str = "ja") -> str:
    """Short amounts for charts and tables: 1,235万円 / 12.3億円 (ja); ¥12.3M / ¥1.2B (en)."""
    if amount is None:
        return "—"
    sign = "−" if amount < 0 else ""
    a = abs(amount)
    if locale == "ja":
        if a >= 100_000_000:
            oku = a / 100_000_000
            return f"{sign}{oku:,.1f}億円" if oku < 100 else f"{sign}{oku:,.0f}億円"
        if a >= 10_000:
            return f"{sign}{round(a / 10_000):,}万円"
        return f"{sign}{round(a):,}円"
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if a >= size:
            return f"{sign}¥{a / size:,.1f}{suffix}"
    return f"{sign}¥{round(a):,}"


JST = ZoneInfo("Asia/Tokyo")


def format_datetime(dt: datetime | None, locale: str = "ja") -> str:
    """A stored moment in Japan time: 令和8年11月26日 03:04 (ja) / 26 Nov 2026 03:04 (en).

    Naive values are UTC (SQLite returns stored UTC times without their zone).
    """
    if dt is None:
        return "—"
    local = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(JST)
    return f"{format_date(local.date(), locale)} {local:%H:%M}"


def format_number(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


_UNITS = {  # unit → (ja suffix, en suffix, decimals)
    "%": ("%", "%", 1),
    "months": ("か月", " months", 1),
    "years": ("年", " years", 1),
    "times": ("倍", "×", 1),
    "points": ("点", " pts", 0),
    "thousand_yen_per_person": ("千円/人", " k yen/person", 0),
}


def format_indicator(value: float | None, unit: str, locale: str = "ja") -> str | None:
    """An indicator value in its unit: 12.3% / 3.4か月 / 1,235万円 / 2,450千円/人.

    None stays None (the caller says 算出不可); ``bool`` is left to the caller's words.
    """
    if value is None:
        return None
    if unit == "yen":
        return format_yen_compact(value, locale)
    ja, en, decimals = _UNITS.get(unit, (f" {unit}", f" {unit}", 2))
    sign = "−" if value < 0 else ""
    return f"{sign}{abs(value):,.{decimals}f}{ja if locale == 'ja' else en}"


def format_percent_bp(bp: int) -> str:
    """Basis points as a percent: 150 → 1.50%."""
    return f"{bp / 100:.2f}%"


class Bilingual(Protocol):
    """Anything with a Japanese and an English text."""

    @property
    def ja(self) -> str: ...

    @property
    def en(self) -> str: ...


@dataclass(frozen=True)
class Translator:
    """What a request renders with: the locale, gettext and the formatters bound to it."""

    locale: str

    def gettext(self, message: str, **params: object) -> str:
        text = catalogue(self.locale).get(message, message)
        return text.format(**params) if params else text

    def yen(self, amount: int | None) -> str:
        return format_yen(amount, self.locale)

    def yen_compact(self, amount: int | float | None) -> str:
        return format_yen_compact(amount, self.locale)

    def month(self, d: date) -> str:
        return format_month(d, self.locale)

    def month_name(self, month: int) -> str:
        """A month of the year without a year: 3月 / Mar (fiscal-year ends)."""
        return f"{month}月" if self.locale == "ja" else EN_MONTHS[month - 1]

    def date(self, d: date | None) -> str:
        return format_date(d, self.locale)

    def date_time(self, dt: datetime | None) -> str:
        return format_datetime(dt, self.locale)

    def enum_label(self, value: object) -> str:
        key = str(getattr(value, "value", value))
        return self.gettext(ENUM_LABELS[key]) if key in ENUM_LABELS else key

    def pack_term(self, term: str) -> str:
        """A rule pack's category, data source or support type in this language."""
        return self.gettext(PACK_TERMS[term]) if term in PACK_TERMS else term

    def indicator(self, value: float | None, unit: str) -> str:
        if unit == "bool" and value is not None:
            return self.gettext("Yes") if value else self.gettext("No")
        text = format_indicator(value, unit, self.locale)
        return self.gettext("Not computable") if text is None else text

    def pick(self, texts: Mapping[str, str] | Bilingual) -> str:
        """The text in this language from a {"ja": …, "en": …} pair, or from a view model with
        ``ja`` and ``en`` (``views``: ``Label``, ``Texts``); Japanese as fallback."""
        if not isinstance(texts, Mapping):
            texts = {"ja": texts.ja, "en": texts.en}
        return texts.get(self.locale) or texts.get("ja") or ""

    def template_globals(self) -> dict[str, Callable[..., str] | str]:
        return {
            "_": self.gettext,
            "locale": self.locale,
            "fmt_yen": self.yen,
            "fmt_yen_compact": self.yen_compact,
            "fmt_month": self.month,
            "fmt_date": self.date,
            "fmt_datetime": self.date_time,
            "fmt_month_name": self.month_name,
            "fmt_number": format_number,
            "fmt_rate": format_percent_bp,
            "enum_label": self.enum_label,
            "pack_term": self.pack_term,
            "fmt_indicator": self.indicator,
            "pick": self.pick,
        }
