"""法人番号 (Japanese corporate number): 13 digits, the first of which is a check digit.

Check digit = 9 − (Σ Pn × Qn mod 9) over the 12-digit base, where Pn is the n-th digit
counted from the right and Qn is 1 for odd n, 2 for even n (法人番号の指定等に関する省令 第2条).
Sole proprietors (個人事業主) have no 法人番号.
"""

from __future__ import annotations

import unicodedata


class CorporateNumberError(ValueError):
    pass


def check_digit(base12: str) -> int:
    if len(base12) != 12 or not base12.isdigit():
        raise CorporateNumberError(f"base must be 12 digits, got {base12!r}")
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def normalize_corporate_number(value: str) -> str:
    """Return the 13-digit 法人番号 from user input (全角 digits, hyphens and spaces allowed).

    Raises CorporateNumberError saying what is wrong.
    """
    text = unicodedata.normalize("NFKC", value).replace("-", "").replace(" ", "").strip()
    if len(text) != 13 or not text.isdigit():
        raise CorporateNumberError(f"法人番号は13桁の数字です（入力:「{value}」）")
    expected = check_digit(text[1:])
    if int(text[0]) != expected:
        raise CorporateNumberError(
            f"法人番号のチェックデジットが一致しません:「{value}」（正しくは {expected}、入力は {text[0]}）"
        )
    return text


def make_corporate_number(base12: str) -> str:
    """The full 13-digit number for a 12-digit base (used by the synthetic portfolio)."""
    return f"{check_digit(base12)}{base12}"
