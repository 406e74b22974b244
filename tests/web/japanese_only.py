"""What a Japanese page or Japanese CLI output may show in Latin letters (tests' helper)."""

from __future__ import annotations

import html
import re

# Words in Latin letters a Japanese reader is shown on purpose: acronyms, encodings, the
# product's name. Everything else in Latin letters is an English message or an internal code.
ALLOWED = {
    "ID",
    "CSV",
    "PDF",
    "API",
    "Excel",
    "kizashi",
    "cp932",
    "utf",
    "shift_jis",
    "UTF",
    "sjis",
    "EBITDA",
    "SN4",
    "English",  # the language switch names the other language in its own words
}
_WORD = re.compile(r"[A-Za-z][A-Za-z_|]*[A-Za-z]|[A-Za-z]")
_KEEP = (
    re.compile(r"\b[\w\-.()（）]+\.(csv|xlsx|xls|txt|pdf)\b", re.I),  # file names
    re.compile(r"\bT\d{13}\b"),  # 適格請求書発行事業者の登録番号 (T番号)
    re.compile(r"\b[A-Z]-\d+\b"),  # loan numbers (A-1, B-1)
    re.compile(r"\bkizashi\.[a-z.]+@[\d.]+\b"),  # a rule pack's reference
    re.compile(r"\b(cp932|cp1252|utf-8(-sig)?|utf-16|shift_jis|euc-jp)\b", re.I),  # encodings
)


def visible_text(page: str) -> str:
    """The text a reader sees: no scripts, styles or tags; titles and labels kept."""
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S | re.I)
    attrs = " ".join(
        m.group(2) for m in re.finditer(r'\b(title|aria-label|placeholder|alt)="([^"]*)"', page)
    )
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(text + " " + attrs)


def latin_words(text: str, allowed: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Latin-letter words that are not allowed (A–D ratings and single letters pass)."""
    for keep in _KEEP:
        text = keep.sub(" ", text)
    out = []
    for w in _WORD.findall(text):
        if len(w) == 1 or w in ALLOWED or w in allowed:
            continue
        out.append(w)
    return sorted(set(out))
