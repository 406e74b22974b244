"""Amounts as written in Japanese accounting files → exact integers (never float).

Accepted: thousands separators (``,`` ``，`` and spaces), 全角 digits, a leading ``▲`` / ``△``
/ ``-`` / ``−`` / ``－``, parentheses ``(1,000)``, a trailing minus ``1,000-``, a ``¥``/``円``
decoration (also ``\\``: the yen sign at CP932 0x5C, as JA's export writes ``\\7,000``), and
surrounding spaces (``" 150,000 "`` occurs in real EPSON exports).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from .errors import CellError


class AmountError(CellError):
    """The text is not an amount (``reason``: empty, not_amount, fraction, too_large)."""


_NEGATIVE_MARKS = ("▲", "△", "-", "−", "－")
_STRIP = str.maketrans("", "", ",，'  ¥￥円\t\\")  # \\: ¥ as CP932 0x5C decodes
_DECIMAL = re.compile(r"\d+(\.\d+)?\Z")


def parse_decimal(text: str | None, *, blank: Decimal | None = Decimal(0)) -> Decimal:
    """Parse ``text`` to a Decimal; ``blank`` is returned for empty text (None → error)."""
    raw = "" if text is None else str(text)
    s = raw.strip()
    if not s:
        if blank is None:
            raise AmountError("amount is empty", "empty")
        return blank
    s = unicodedata.normalize("NFKC", s).translate(_STRIP)
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s[:1] in _NEGATIVE_MARKS:
        negative, s = not negative, s[1:]
    elif s[-1:] in _NEGATIVE_MARKS:
        negative, s = not negative, s[:-1]
    elif s[:1] == "+":
        s = s[1:]
    if not _DECIMAL.match(s):
        raise AmountError(f"not an amount: {raw!r}", "not_amount", text=raw)
    try:
        value = Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise AmountError(f"not an amount: {raw!r}", "not_amount", text=raw) from exc
    return -value if negative else value


def parse_yen(text: str | None, *, blank_as_zero: bool = True) -> int:
    """Parse an integer yen amount; fractions are an error (yen has no fractions here)."""
    if text and len(text) < 16 and text.isascii() and text.isdigit():
        return int(text)  # the common case, kept fast
    value = parse_decimal(text, blank=Decimal(0) if blank_as_zero else None)
    if value != value.to_integral_value():
        raise AmountError(f"yen amount with a fraction: {text!r}", "fraction", text=text)
    if abs(value) >= Decimal(10) ** 15:
        raise AmountError(f"amount too large: {text!r}", "too_large", text=text)
    return int(value)


def is_amount(text: str) -> bool:
    try:
        parse_decimal(text, blank=None)
    except AmountError:
        return False
    return True
